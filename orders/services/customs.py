"""What logistics keeps of a purchased product for customs and carriers, copied at the
boundary when the goods go into stock: its hazards (channels refuse by them), HS code, origin,
Chinese description and what was paid per unit."""

from __future__ import annotations

from logistics.services.stock import CustomsData
from orders.models import PurchaseOrderLine
from procurement.accounts.currencies import SETTLEMENT_CURRENCY


def line_stock_customs(line: PurchaseOrderLine) -> dict:
    """Keyword arguments for `logistics.services.stock_receive` describing the line's goods.
    The value paid is the unit price the merchant was charged for the goods, in CNY; the
    declaration converts it into the currency the merchant declares in."""
    product = line.product
    if product is None:  # a sourcing line without a catalog product: staff complete it
        return {
            "customs": CustomsData(
                unit_value=line.unit_price_cny, value_currency=SETTLEMENT_CURRENCY
            )
        }
    return {
        "restricted_goods": list(product.hazards or ()),
        "customs": CustomsData(
            product_reference=f"product:{product.pk}",
            sku_reference=f"sku:{line.sku_id}" if line.sku_id else "",
            description_zh=(product.title_zh or "")[:300],
            hs_code=product.hs_code,
            origin_country=product.origin_country.code or "",
            unit=product.unit,
            unit_value=line.unit_price_cny,
            value_currency=SETTLEMENT_CURRENCY,
        ),
    }
