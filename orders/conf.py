"""Orders settings, each read with its development default (none is required in settings)."""

from decimal import Decimal

from django.conf import settings


def domestic_freight_cny() -> Decimal:
    """Flat domestic freight per supplier, in CNY, from the supplier to our warehouse.

    The catalog's Supplier has no freight field, so one flat fee per supplier in an order is
    charged: ORDERS_DOMESTIC_FREIGHT_CNY (default 15.00).
    """
    return Decimal(str(getattr(settings, "ORDERS_DOMESTIC_FREIGHT_CNY", "15.00")))


def quick_order_max_rows() -> int:
    return int(getattr(settings, "ORDERS_QUICK_ORDER_MAX_ROWS", 500))


def quick_order_max_bytes() -> int:
    return int(getattr(settings, "ORDERS_QUICK_ORDER_MAX_BYTES", 512 * 1024))


def sourcing_max_photos() -> int:
    return int(getattr(settings, "ORDERS_SOURCING_MAX_PHOTOS", 6))


def staff_notify_email() -> str:
    """Where merchant messages go when the company has no account manager (empty: nowhere)."""
    return str(getattr(settings, "ORDERS_STAFF_EMAIL", ""))


def quote_validity_days() -> int:
    """Default validity of a sourcing quote an account manager prepares."""
    return int(getattr(settings, "ORDERS_QUOTE_VALIDITY_DAYS", 7))


def inspection_max_photos() -> int:
    """Photos per inspected purchase order line."""
    return int(getattr(settings, "ORDERS_INSPECTION_MAX_PHOTOS", 8))


def supplier_dispatch_days() -> int:
    """Days a supplier has, from placement, to ship when no quoted lead time says otherwise:
    shipped within them counts as on time in the supplier's scorecard."""
    return int(getattr(settings, "ORDERS_SUPPLIER_DISPATCH_DAYS", 3))
