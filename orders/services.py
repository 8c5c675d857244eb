"""Every write of the orders app: cart, checkout and payment, approvals, purchase orders,
sourcing requests and quotes, messages.

Rules carried here:

* Statuses change only through `order_transition`, `purchase_order_transition` and
  `sourcing_request_transition`: each locks the row, checks its table, saves with
  `update_fields` and writes an event row. An order's status follows its purchase orders
  (`_order_follow_purchase_orders`).
* Locks are taken in one order: the order row, then its purchase orders in primary-key order,
  then (inside the payments services) the FX quote and the ledger accounts.
* Money moves only through payments services, each with an idempotency key derived from our
  own reference ("order:12:checkout", "po:7:refund"), so a retry never moves it twice.
* Mail and tasks go through the task outbox (`procurement.core.outbox`): written inside
  the transaction, sent after commit, swept later if the broker was down; they take ids and
  tolerate a repeat. Webhook deliveries (`orders.webhooks`) are written inside the transaction
  and sent by accounts after commit.
* Goods are received and inspected line by line: a passed line is stocked at once (receipt key
  "po:7:line:3"); a failed line waits for the merchant (accept, return, replace).
* A placed purchase order records its supplier payable (payments.payouts, "po:7"); a later
  price or a returned line adjusts it, a cancellation or return cancels it. A payable already
  exported or paid is left to Finance with an event saying so.
* What a purchase order shows about its supplier is copied to the catalog's scorecard
  (`catalog.services.supplier_performance_record`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.exceptions import UnsupportedLink
from catalog.links import parse_product_link
from catalog.models import Product, Sku, Supplier
from catalog.pricing import quantity_errors
from logistics import services as logistics_services
from logistics.models import Address, ShippingChannel, Warehouse
from logistics.photos import photo_check
from orders import conf, exceptions, selectors, webhooks
from orders.models import (
    CHECKLIST,
    Cart,
    CartLine,
    Inspection,
    InspectionPhoto,
    Message,
    Order,
    OrderEvent,
    OrderLine,
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    Resolution,
    SourcingPhoto,
    SourcingQuote,
    SourcingQuoteLine,
    SourcingRequest,
    SourcingRequestEvent,
)
from payments import exceptions as payments_exceptions
from payments import payouts
from payments import services as payments_services
from payments.models import FxQuote, LedgerTransaction
from payments.money import quantize
from procurement.accounts.currencies import SETTLEMENT_CURRENCY
from procurement.accounts.models import Company, Membership, User
from procurement.accounts.roles import Capability, role_can
from procurement.core.exceptions import DomainError
from procurement.core.outbox import outbox_enqueue

logger = logging.getLogger(__name__)

CNY_CENT = Decimal("0.01")
OS = Order.Status
PS = PurchaseOrder.Status
RS = SourcingRequest.Status


def _actor(user: User | None) -> User | None:
    return user if user is not None and user.is_authenticated else None


# --- Cart ----------------------------------------------------------------------------------------


@dataclass
class CartChange:
    """What happened to the cart: lines added or changed, and refusals with their reasons."""

    added: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _cart(*, user: User, company: Company, lock: bool = False) -> Cart:
    cart, _created = Cart.objects.get_or_create(user=user, company=company)
    if lock:
        cart = Cart.objects.select_for_update().get(pk=cart.pk)
    return cart


def _seen_prices(cart: Cart, product_ids: Iterable[int]) -> None:
    """Record the unit prices now shown for these products: after a change the merchant made,
    the tier they see is the tier they agreed to."""
    lines = [
        line for line in selectors.cart_lines(cart=cart) if line.product_id in set(product_ids)
    ]
    priced = selectors.price_cart_lines(lines)
    changed = []
    for priced_line in priced.lines:
        line = priced_line.line
        if line.seen_unit_price_cny != priced_line.unit_price_cny:
            line.seen_unit_price_cny = priced_line.unit_price_cny
            changed.append(line)
    if changed:
        CartLine.objects.bulk_update(changed, ["seen_unit_price_cny"])


@transaction.atomic
def cart_add(
    *,
    user: User,
    company: Company,
    product: Product,
    quantities: Mapping[Sku | None, int],
) -> CartChange:
    """Add quantities of one product's SKUs (or `{None: n}` for a product without SKUs).

    The product's total in the cart after adding must meet its MOQ and multiple; otherwise
    nothing is added and the reasons come back in `errors`.
    """
    change = CartChange()
    if not catalog_selectors.products_visible().filter(pk=product.pk).exists():
        change.errors.append(_("This product is not available."))
        return change
    wanted = {sku: qty for sku, qty in quantities.items() if qty}
    if any(qty < 0 for qty in wanted.values()):
        change.errors.append(_("Quantities cannot be negative."))
        return change
    if not wanted:
        change.errors.append(_("Choose how many you want."))
        return change
    has_skus = product.skus.exists()
    for sku in wanted:
        if sku is None and has_skus:
            change.errors.append(_("Choose a variant of this product."))
            return change
        if sku is not None and sku.product_id != product.pk:
            change.errors.append(_("%(sku)s is not a variant of this product.") % {"sku": sku.code})
            return change
    # Checked once before the cart exists, so a refused add writes nothing (not even an empty
    # cart), and again under the cart's lock, where another tab may have added meanwhile.
    current = (
        CartLine.objects.filter(cart__user=user, cart__company=company, product=product).aggregate(
            total=Sum("quantity")
        )["total"]
        or 0
    )
    errors = quantity_errors(product=product, quantity=current + sum(wanted.values()))
    if errors:
        change.errors.extend(errors)
        return change
    cart = _cart(user=user, company=company, lock=True)
    existing = {line.sku_id: line for line in cart.lines.filter(product=product)}
    total = sum(line.quantity for line in existing.values()) + sum(wanted.values())
    errors = quantity_errors(product=product, quantity=total)
    if errors:
        change.errors.extend(errors)
        return change
    for sku, qty in wanted.items():
        line = existing.get(sku.pk if sku else None)
        if line is None:
            CartLine.objects.create(cart=cart, product=product, sku=sku, quantity=qty)
        else:
            line.quantity += qty
            line.save(update_fields=["quantity", "updated_at"])
        change.added += 1
    _seen_prices(cart, [product.pk])
    return change


@transaction.atomic
def cart_line_update(*, user: User, company: Company, line_id: int, quantity: int) -> CartLine:
    """Set a line's quantity (0 removes it). The cart may hold a product below its MOQ while the
    merchant edits; the cart page shows why and checkout refuses it. Raises CartLine.DoesNotExist
    for a line that is not in this user's cart."""
    line = CartLine.objects.select_for_update().get(
        pk=line_id, cart__user=user, cart__company=company
    )
    if quantity < 0:
        raise exceptions.CartError(_("Quantities cannot be negative."))
    if quantity == 0:
        line.delete()
        return line
    line.quantity = quantity
    line.save(update_fields=["quantity", "updated_at"])
    _seen_prices(line.cart, [line.product_id])
    return line


@transaction.atomic
def cart_line_remove(*, user: User, company: Company, line_id: int) -> None:
    line = CartLine.objects.get(pk=line_id, cart__user=user, cart__company=company)
    product_id, cart = line.product_id, line.cart
    line.delete()
    _seen_prices(cart, [product_id])


@dataclass
class QuickOrderResult:
    added: int = 0
    rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row number, text, reason)

    @property
    def bad_rows(self) -> list[tuple[int, str, str]]:
        return self.rows


def _parse_quick_rows(text: str) -> list[tuple[int, str, list[str]]]:
    sample = text[:2048]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = []
    for number, cells in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
        if not any(cell.strip() for cell in cells):
            continue
        rows.append((number, ",".join(cells), [cell.strip() for cell in cells]))
    return rows


@transaction.atomic
def cart_quick_order(*, user: User, company: Company, text: str) -> QuickOrderResult:
    """Add rows of "SKU code,quantity" (pasted or from a CSV file). A header row is skipped.

    Each bad row is reported with its reason and the good rows are added. Rows of one product
    are judged together: their total, with what the cart already holds, must meet the
    product's MOQ and multiple, or every row of that product is reported with the reason.
    """
    result = QuickOrderResult()
    rows = _parse_quick_rows(text)
    if len(rows) > conf.quick_order_max_rows():
        result.rows.append(
            (
                0,
                "",
                _("At most %(n)s rows at a time; split the list.")
                % {"n": conf.quick_order_max_rows()},
            )
        )
        return result
    parsed: list[tuple[int, str, str, int]] = []
    for number, raw, cells in rows:
        if len(cells) < 2:
            result.rows.append((number, raw, _("Give a SKU code and a quantity.")))
            continue
        code, qty_text = cells[0], cells[1]
        if number == 1 and not qty_text.lstrip("+").isdigit():
            continue  # a header row
        try:
            qty = int(qty_text)
        except ValueError:
            result.rows.append((number, raw, _("“%(q)s” is not a whole number.") % {"q": qty_text}))
            continue
        if qty <= 0:
            result.rows.append((number, raw, _("The quantity must be at least 1.")))
            continue
        parsed.append((number, raw, code, qty))

    codes = {code for _n, _r, code, _q in parsed}
    skus = {
        sku.code.lower(): sku
        for sku in Sku.objects.filter(
            code__in=codes | {c.upper() for c in codes} | {c.lower() for c in codes},
            product__in=catalog_selectors.products_visible(),
        ).select_related("product")
    }
    by_product: dict[int, list[tuple[int, str, Sku, int]]] = {}
    for number, raw, code, qty in parsed:
        sku = skus.get(code.lower())
        if sku is None:
            result.rows.append(
                (number, raw, _("No product with SKU code “%(code)s”.") % {"code": code})
            )
            continue
        by_product.setdefault(sku.product_id, []).append((number, raw, sku, qty))

    cart = _cart(user=user, company=company, lock=True)
    in_cart = {
        row["product_id"]: row["total"]
        for row in cart.lines.values("product_id").annotate(total=Sum("quantity"))
    }
    for product_id, product_rows in by_product.items():
        product = product_rows[0][2].product
        total = in_cart.get(product_id, 0) + sum(qty for *_rest, qty in product_rows)
        errors = quantity_errors(product=product, quantity=total)
        if errors:
            reason = _("%(product)s: %(errors)s") % {
                "product": product.title_en,
                "errors": " ".join(errors),
            }
            result.rows.extend((number, raw, reason) for number, raw, _sku, _qty in product_rows)
            continue
        existing = {line.sku_id: line for line in cart.lines.filter(product_id=product_id)}
        for _number, _raw, sku, qty in product_rows:
            line = existing.get(sku.pk)
            if line is None:
                existing[sku.pk] = CartLine.objects.create(
                    cart=cart, product=product, sku=sku, quantity=qty
                )
            else:
                line.quantity += qty
                line.save(update_fields=["quantity", "updated_at"])
            result.added += 1
    _seen_prices(cart, by_product)
    result.rows.sort(key=lambda row: row[0])
    return result


@transaction.atomic
def cart_accept_prices(*, user: User, company: Company) -> None:
    """The merchant has seen the new prices: record them as seen."""
    cart = selectors.cart_for(user=user, company=company)
    if cart is not None:
        _seen_prices(cart, cart.lines.values_list("product_id", flat=True))


# --- Order transitions ---------------------------------------------------------------------------

ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OS.PENDING_APPROVAL: frozenset({OS.AWAITING_PAYMENT, OS.CANCELLED}),
    OS.AWAITING_PAYMENT: frozenset({OS.PAID, OS.PENDING_APPROVAL, OS.CANCELLED}),
    OS.PAID: frozenset({OS.PARTLY_PURCHASED, OS.PURCHASING, OS.IN_WAREHOUSE, OS.REFUNDED}),
    OS.PARTLY_PURCHASED: frozenset({OS.PAID, OS.PURCHASING, OS.IN_WAREHOUSE, OS.REFUNDED}),
    OS.PURCHASING: frozenset({OS.PAID, OS.PARTLY_PURCHASED, OS.IN_WAREHOUSE, OS.REFUNDED}),
    OS.IN_WAREHOUSE: frozenset({OS.PARTLY_PURCHASED, OS.PURCHASING, OS.COMPLETED}),
    OS.COMPLETED: frozenset(),
    OS.CANCELLED: frozenset(),
    OS.REFUNDED: frozenset(),
}

# Statuses of a paid order while its goods are bought: it follows its purchase orders.
ORDER_PURCHASE_PHASE = frozenset({OS.PAID, OS.PARTLY_PURCHASED, OS.PURCHASING, OS.IN_WAREHOUSE})


def _lock_order(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def _order_event(order: Order, *, from_status: str, to_status: str, actor, reason: str) -> None:
    OrderEvent.objects.create(
        order=order,
        actor=_actor(actor),
        from_status=from_status,
        to_status=to_status,
        reason=reason,
    )


def _order_apply(
    order: Order, *, to_status: str, actor: User | None, reason: str = "", fields=()
) -> Order:
    """Check the table and save `order` (already locked by the caller) with its event."""
    if to_status not in ORDER_TRANSITIONS[order.status]:
        raise exceptions.InvalidTransition(
            _("An order cannot go from “%(from)s” to “%(to)s”.")
            % {"from": order.get_status_display(), "to": OS(to_status).label}
        )
    from_status = order.status
    order.status = to_status
    order.save(update_fields=["status", "updated_at", *fields])
    _order_event(order, from_status=from_status, to_status=to_status, actor=actor, reason=reason)
    return order


@transaction.atomic
def order_transition(
    *, order: Order, to_status: str, actor: User | None, reason: str = ""
) -> Order:
    """The guarded change of an order's status: lock, check the table, save, record."""
    return _order_apply(_lock_order(order), to_status=to_status, actor=actor, reason=reason)


def _derived_status(purchase_orders: Sequence[PurchaseOrder]) -> str | None:
    """The order status its purchase orders imply (None: no purchase order yet)."""
    if not purchase_orders:
        return None
    active = [po for po in purchase_orders if po.status not in PURCHASE_ORDER_CLOSED]
    if not active:
        return OS.REFUNDED
    if all(po.status == PS.STOCKED for po in active):
        return OS.IN_WAREHOUSE
    unbought = [po for po in active if po.status in PURCHASE_ORDER_NOT_BOUGHT]
    if len(unbought) == len(active):
        return OS.PAID
    if unbought:
        return OS.PARTLY_PURCHASED
    return OS.PURCHASING


def _order_follow_purchase_orders(order: Order, *, actor: User | None, reason: str = "") -> Order:
    """Move a paid order (locked) to the status its purchase orders imply."""
    if order.status not in ORDER_PURCHASE_PHASE:
        return order
    target = _derived_status(list(order.purchase_orders.order_by("pk")))
    if target is None or target == order.status:
        return order
    if target == OS.REFUNDED:
        _refund_rest(order, actor=actor)
    return _order_apply(order, to_status=target, actor=actor, reason=reason)


@transaction.atomic
def order_complete(*, order: Order, actor: User, reason: str = "") -> Order:
    if not actor.has_perm("orders.complete_order"):
        raise exceptions.PermissionRefused
    return order_transition(order=order, to_status=OS.COMPLETED, actor=actor, reason=reason)


# --- Placing orders ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewLine:
    supplier: Supplier
    product: Product | None
    sku: Sku | None
    description: str
    quantity: int
    unit_price_cny: Decimal


def _needs_approval(membership: Membership | None, amount: Decimal | None) -> bool:
    """Above the buyer's spending limit (company currency) an approver must approve. With a
    limit but no amount (no rate to estimate with), approval is required to be safe."""
    if membership is None or membership.spending_limit is None:
        return False
    return amount is None or amount > membership.spending_limit


def _lock_fx_quote(order: Order, *, actor: User | None) -> FxQuote | None:
    """Lock a fresh FX quote (with the service fee) for the order's CNY total, or None when no
    usable rate exists (the pay page then asks to refresh)."""
    try:
        return payments_services.fx_quote_create(
            company=order.company, amount=order.total_cny, with_fee=True, actor=actor
        )
    except DomainError:
        logger.info("no FX quote for %s", order.reference, exc_info=True)
        return None


@transaction.atomic
def order_place_from_lines(
    *,
    company: Company,
    actor: User,
    membership: Membership | None,
    lines: Sequence[NewLine],
    checkout_key: str,
    destination: Address | None = None,
    channel: ShippingChannel | None = None,
    chargeable_weight_kg: Decimal | None = None,
    intl_freight_estimate_cny: Decimal | None = None,
) -> Order:
    """Place an order from priced lines without a cart (the merchant API): the same landed
    cost, approval rule and FX quote lock as checkout."""
    return _order_create(
        company=company,
        actor=actor,
        membership=membership,
        lines=lines,
        checkout_key=checkout_key,
        source=Order.Source.API,
        destination=destination,
        channel=channel,
        chargeable_weight_kg=chargeable_weight_kg,
        intl_freight_estimate_cny=intl_freight_estimate_cny,
    )


def _order_create(
    *,
    company: Company,
    actor: User,
    membership: Membership | None,
    lines: Sequence[NewLine],
    checkout_key: str,
    source: str,
    destination: Address | None = None,
    channel: ShippingChannel | None = None,
    chargeable_weight_kg: Decimal | None = None,
    intl_freight_estimate_cny: Decimal | None = None,
    sourcing_quote: SourcingQuote | None = None,
) -> Order:
    suppliers = {line.supplier.pk for line in lines}
    goods = sum(
        ((line.unit_price_cny * line.quantity).quantize(CNY_CENT) for line in lines),
        Decimal("0.00"),
    )
    cost = selectors.landed_cost(company=company, goods_cny=goods, supplier_count=len(suppliers))
    order = Order.objects.create(
        company=company,
        created_by=actor,
        checkout_key=checkout_key,
        source=source,
        currency=company.wallet_currency,
        goods_cny=goods,
        domestic_freight_cny=cost.domestic_freight_cny,
        destination=destination,
        shipping_channel=channel,
        chargeable_weight_kg=chargeable_weight_kg,
        intl_freight_estimate_cny=intl_freight_estimate_cny,
        estimated_total=cost.total_local,
        sourcing_quote=sourcing_quote,
        status=OS.AWAITING_PAYMENT,
    )
    order.number = f"ORD-{order.pk:06d}"
    order.save(update_fields=["number"])
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            supplier=line.supplier,
            product=line.product,
            sku=line.sku,
            description=line.description[:300],
            sku_code=line.sku.code if line.sku else "",
            quantity=line.quantity,
            unit_price_cny=line.unit_price_cny,
            line_total_cny=(line.unit_price_cny * line.quantity).quantize(CNY_CENT),
        )
        for line in lines
    )
    if _needs_approval(membership, cost.total_local):
        order.status = OS.PENDING_APPROVAL
        order.save(update_fields=["status"])
        _order_event(
            order,
            from_status="",
            to_status=OS.PENDING_APPROVAL,
            actor=actor,
            reason=_("Above the buyer's spending limit"),
        )
        outbox_enqueue(task="orders.tasks.order_approval_needed", args=[order.pk])
    else:
        _order_event(order, from_status="", to_status=OS.AWAITING_PAYMENT, actor=actor, reason="")
        order.quote = _lock_fx_quote(order, actor=actor)
        order.save(update_fields=["quote"])
    return order


@transaction.atomic
def order_place_from_cart(
    *,
    user: User,
    company: Company,
    membership: Membership | None,
    checkout_key: str,
    signature: str,
    destination: Address | None = None,
    channel: ShippingChannel | None = None,
) -> Order:
    """Turn the cart into an order at the prices the merchant was shown.

    Idempotent by `checkout_key` (one per checkout form): a double submit, a retry or a second
    tab with the same form returns the order made the first time. The cart row is locked, so
    two different forms cannot both take the same lines. When prices, quantities or lines
    differ from what the form showed (`signature`), PricesChanged is raised and nothing is
    written.
    """
    existing = Order.objects.filter(checkout_key=checkout_key, company=company).first()
    if existing is not None:
        return existing
    cart = _cart(user=user, company=company, lock=True)
    existing = Order.objects.filter(checkout_key=checkout_key, company=company).first()
    if existing is not None:
        return existing
    priced = selectors.priced_cart(cart=cart)
    if priced.is_empty:
        raise exceptions.CartEmpty
    if not priced.ok:
        raise exceptions.CartInvalid
    if priced.signature(destination and destination.pk, channel and channel.pk) != signature:
        raise exceptions.PricesChanged
    if destination is not None and destination.company_id != company.pk:
        raise exceptions.OrdersError(_("Choose one of your own addresses."))
    items = [(group.product, group.total_quantity) for group in priced.groups]
    freight = selectors.freight_estimate(
        items=items, destination=destination, channel=channel, currency=company.wallet_currency
    )
    lines = [
        NewLine(
            supplier=group.product.supplier,
            product=group.product,
            sku=priced_line.line.sku,
            description=group.product.title_en
            + (f" — {priced_line.line.sku.label}" if priced_line.line.sku else ""),
            quantity=priced_line.line.quantity,
            unit_price_cny=priced_line.unit_price_cny,
        )
        for group in priced.groups
        for priced_line in group.lines
    ]
    try:
        with transaction.atomic():
            order = _order_create(
                company=company,
                actor=user,
                membership=membership,
                lines=lines,
                checkout_key=checkout_key,
                source=Order.Source.CART,
                destination=destination,
                channel=channel,
                chargeable_weight_kg=freight.chargeable_weight_kg if freight else None,
                intl_freight_estimate_cny=(
                    freight.price_cny if freight and freight.available else None
                ),
            )
    except IntegrityError:
        # The same checkout key committed by a concurrent request that did not wait on the cart.
        return Order.objects.get(checkout_key=checkout_key, company=company)
    CartLine.objects.filter(pk__in=[p.line.pk for p in priced.lines]).delete()
    return order


@transaction.atomic
def order_quote_refresh(*, order: Order, actor: User | None) -> Order:
    """Lock a new FX quote for an order awaiting payment (the old one expired or is stale)."""
    order = _lock_order(order)
    if order.status != OS.AWAITING_PAYMENT:
        raise exceptions.InvalidTransition(_("Only an order awaiting payment gets a new quote."))
    order.quote = payments_services.fx_quote_create(
        company=order.company, amount=order.total_cny, with_fee=True, actor=actor
    )
    order.save(update_fields=["quote", "updated_at"])
    return order


def _checkout_key(order: Order) -> str:
    return f"{order.reference}:checkout"


@transaction.atomic
def order_pay(
    *,
    order: Order,
    actor: User,
    membership: Membership | None = None,
    quote_id: int | None = None,
) -> Order:
    """Pay an order from the wallet at its locked quote, exactly once.

    The order row is locked first; an order already paid is returned unchanged, and the ledger
    transaction's idempotency key is derived from the order ("order:12:checkout"), so double
    clicks, retries and concurrent tabs charge once. `quote_id` is the quote the merchant saw:
    if it was replaced meanwhile, nothing is charged. Raises the payments refusals
    (InsufficientBalance, QuoteExpired, QuoteUsed, ...) with nothing written.
    """
    order = _lock_order(order)
    if order.charge_id is not None:
        return order
    if order.status != OS.AWAITING_PAYMENT:
        raise exceptions.InvalidTransition(_("This order is not awaiting payment."))
    if order.quote_id is None:
        raise payments_exceptions.QuoteExpired
    if quote_id is not None and quote_id != order.quote_id:
        raise exceptions.PricesChanged(
            _("The quote was refreshed in another window. Check the amount and pay again.")
        )
    quote = order.quote
    if order.approved_at is None and _needs_approval(membership, quote.total_charge):
        _order_apply(
            order,
            to_status=OS.PENDING_APPROVAL,
            actor=actor,
            reason=_("Above the spending limit of the person paying"),
        )
        outbox_enqueue(task="orders.tasks.order_approval_needed", args=[order.pk])
        return order
    charge = payments_services.checkout_charge(
        quote=quote,
        reference=order.reference,
        idempotency_key=_checkout_key(order),
        actor=actor,
        company=order.company,
        memo=_("Order %(number)s") % {"number": order.number},
    )
    order.charge = charge
    order.paid_at = timezone.now()
    _order_apply(order, to_status=OS.PAID, actor=actor, fields=["charge", "paid_at"])
    _split_into_purchase_orders(order, actor=actor)
    outbox_enqueue(task="orders.tasks.order_paid", args=[order.pk])
    webhooks.order_paid(order)
    return order


def _split_into_purchase_orders(order: Order, *, actor: User | None) -> list[PurchaseOrder]:
    """One purchase order per supplier, lines copied, in supplier order."""
    by_supplier: dict[int, list[OrderLine]] = {}
    for line in order.lines.order_by("pk"):
        by_supplier.setdefault(line.supplier_id, []).append(line)
    per_supplier = quantize(
        order.domestic_freight_cny / max(len(by_supplier), 1), SETTLEMENT_CURRENCY
    )
    created = []
    for index, supplier_id in enumerate(sorted(by_supplier)):
        freight = per_supplier
        if index == len(by_supplier) - 1:
            freight = order.domestic_freight_cny - per_supplier * (len(by_supplier) - 1)
        po = PurchaseOrder.objects.create(
            order=order, supplier_id=supplier_id, domestic_freight_cny=freight
        )
        PurchaseOrderLine.objects.bulk_create(
            PurchaseOrderLine(
                purchase_order=po,
                order_line=line,
                product=line.product,
                sku=line.sku,
                description=line.description,
                quantity=line.quantity,
                unit_price_cny=line.unit_price_cny,
            )
            for line in by_supplier[supplier_id]
        )
        PurchaseOrderEvent.objects.create(
            purchase_order=po,
            actor=_actor(actor),
            from_status="",
            to_status=PS.PENDING,
            reason=_("Created when the order was paid"),
        )
        created.append(po)
    return created


# --- Approvals -----------------------------------------------------------------------------------


def _require_approver(order: Order, actor: User, membership: Membership | None) -> None:
    if (
        membership is None
        or membership.company_id != order.company_id
        or not role_can(membership.role, Capability.APPROVE)
    ):
        raise exceptions.PermissionRefused(_("Only an approver or an owner can decide this."))
    if order.created_by_id == actor.pk:
        raise exceptions.PermissionRefused(_("Another approver must decide on your own order."))


@transaction.atomic
def order_approve(
    *, order: Order, actor: User, membership: Membership | None, comment: str = ""
) -> Order:
    order = _lock_order(order)
    _require_approver(order, actor, membership)
    order.approved_by = actor
    order.approved_at = timezone.now()
    order.approval_comment = comment.strip()
    order.quote = _lock_fx_quote(order, actor=actor)
    _order_apply(
        order,
        to_status=OS.AWAITING_PAYMENT,
        actor=actor,
        reason=comment.strip() or _("Approved"),
        fields=["approved_by", "approved_at", "approval_comment", "quote"],
    )
    outbox_enqueue(task="orders.tasks.order_approval_decided", args=[order.pk])
    return order


@transaction.atomic
def order_reject(
    *, order: Order, actor: User, membership: Membership | None, comment: str
) -> Order:
    comment = (comment or "").strip()
    if not comment:
        raise exceptions.OrdersError(_("Say why the order is rejected."))
    order = _lock_order(order)
    _require_approver(order, actor, membership)
    order.approval_comment = comment
    _order_apply(
        order,
        to_status=OS.CANCELLED,
        actor=actor,
        reason=_("Rejected: %(comment)s") % {"comment": comment},
        fields=["approval_comment"],
    )
    outbox_enqueue(task="orders.tasks.order_approval_decided", args=[order.pk])
    return order


# --- Cancelling and refunds ----------------------------------------------------------------------


def _wallet_amount(order: Order, cny: Decimal) -> Decimal:
    """CNY goods back in the wallet currency at the order's own client rate."""
    quote = order.charge.quote
    return quantize(cny / quote.client_rate, quote.from_currency)


def _refund_purchase_order(po: PurchaseOrder, *, actor: User | None) -> None:
    """Give back what the merchant paid for this purchase order: its goods and freight at the
    checkout's rate (less a price difference already refunded), and a price difference it paid.
    The last purchase order to close refunds the remainder of the charge, fee included."""
    order = po.order
    if order.charge_id is None:
        return
    if po.price_difference_id is not None and po.price_difference.quote_id is not None:
        payments_services.wallet_refund(
            charge=po.price_difference,
            idempotency_key=f"{po.reference}:refund-difference",
            actor=actor,
            memo=_("Refund of the price difference on %(po)s") % {"po": po},
        )
    others_open = (
        order.purchase_orders.exclude(pk=po.pk).exclude(status__in=PURCHASE_ORDER_CLOSED).exists()
    )
    if not others_open:
        return  # the order follows to REFUNDED, which refunds the rest (_refund_rest)
    cny = po.expected_total_cny - sum(
        (line.line_total_cny for line in po.lines.filter(refund__isnull=False)), Decimal(0)
    )
    if po.price_difference_id is not None and po.price_difference.quote_id is None:
        cny -= _favourable_difference_cny(po)
    if cny <= 0:
        return
    po.refund = payments_services.wallet_refund(
        charge=order.charge,
        idempotency_key=f"{po.reference}:refund",
        amount=_wallet_amount(order, cny),
        actor=actor,
        memo=_("Refund of %(po)s") % {"po": po},
    )
    po.save(update_fields=["refund"])


def _favourable_difference_cny(po: PurchaseOrder) -> Decimal:
    expected = po.expected_total_cny
    actual = po.actual_total_cny if po.actual_total_cny is not None else expected
    return max(expected - actual, Decimal(0))


def _refund_rest(order: Order, *, actor: User | None) -> None:
    """Refund what is left of the checkout charge (the service fee included)."""
    if order.charge_id is None:
        return
    # RefundExceedsCharge: everything was given back already.
    with contextlib.suppress(payments_exceptions.RefundExceedsCharge):
        payments_services.wallet_refund(
            charge=order.charge,
            idempotency_key=f"{order.reference}:refund",
            actor=actor,
            memo=_("Refund of order %(number)s") % {"number": order.number},
        )


@transaction.atomic
def order_cancel(*, order: Order, actor: User, reason: str = "") -> Order:
    """Cancel an order. Before payment it is simply cancelled; after payment and before any
    purchase order was placed everything is refunded to the wallet (status refunded). Once goods
    were bought, purchase orders are cancelled one by one (purchase_order_cancel)."""
    order = _lock_order(order)
    if order.status in (OS.PENDING_APPROVAL, OS.AWAITING_PAYMENT):
        return _order_apply(order, to_status=OS.CANCELLED, actor=actor, reason=reason)
    if order.status != OS.PAID:
        raise exceptions.InvalidTransition(
            _(
                "Goods of this order were already bought. Ask your account manager which "
                "purchase orders can still be cancelled."
            )
        )
    pos = list(PurchaseOrder.objects.select_for_update().filter(order=order).order_by("pk"))
    for po in pos:
        if po.status in PURCHASE_ORDER_CLOSED:
            continue
        _po_apply(po, to_status=PS.CANCELLED, actor=actor, reason=reason or _("Order cancelled"))
    _refund_rest(order, actor=actor)
    return _order_apply(order, to_status=OS.REFUNDED, actor=actor, reason=reason)


# --- Purchase orders -----------------------------------------------------------------------------

PURCHASE_ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    PS.PENDING: frozenset({PS.PLACED, PS.PRICE_CHANGED, PS.OUT_OF_STOCK, PS.CANCELLED}),
    PS.OUT_OF_STOCK: frozenset({PS.PENDING, PS.CANCELLED}),
    PS.PRICE_CHANGED: frozenset({PS.PLACED, PS.CANCELLED}),
    PS.PLACED: frozenset({PS.SHIPPED, PS.OUT_OF_STOCK, PS.CANCELLED}),
    PS.SHIPPED: frozenset({PS.RECEIVED}),
    PS.RECEIVED: frozenset({PS.INSPECTED, PS.RETURNED}),
    # Back to placed: the merchant asked for replacements of failed lines.
    PS.INSPECTED: frozenset({PS.STOCKED, PS.RETURNED, PS.PLACED}),
    PS.STOCKED: frozenset(),
    PS.CANCELLED: frozenset(),
    PS.RETURNED: frozenset(),
}
PURCHASE_ORDER_CLOSED = frozenset({PS.CANCELLED, PS.RETURNED})
PURCHASE_ORDER_NOT_BOUGHT = frozenset({PS.PENDING, PS.OUT_OF_STOCK, PS.PRICE_CHANGED})
# Exceptions the merchant is told about by mail.
PURCHASE_ORDER_MERCHANT_EXCEPTIONS = frozenset({PS.OUT_OF_STOCK, PS.PRICE_CHANGED})


def _lock_po(po: PurchaseOrder) -> tuple[Order, PurchaseOrder]:
    """Lock the order, then the purchase order (the fixed order)."""
    order = Order.objects.select_for_update().get(pk=po.order_id)
    po = PurchaseOrder.objects.select_for_update().get(pk=po.pk)
    po.order = order
    return order, po


def _po_event(po: PurchaseOrder, *, from_status: str, to_status: str, actor, reason: str) -> None:
    PurchaseOrderEvent.objects.create(
        purchase_order=po,
        actor=_actor(actor),
        from_status=from_status,
        to_status=to_status,
        reason=reason,
    )


def _po_apply(
    po: PurchaseOrder, *, to_status: str, actor: User | None, reason: str = "", fields=()
) -> PurchaseOrder:
    if to_status not in PURCHASE_ORDER_TRANSITIONS[po.status]:
        raise exceptions.InvalidTransition(
            _("A purchase order cannot go from “%(from)s” to “%(to)s”.")
            % {"from": po.get_status_display(), "to": PS(to_status).label}
        )
    from_status = po.status
    po.status = to_status
    po.status_changed_at = timezone.now()
    po.save(update_fields=["status", "status_changed_at", "updated_at", *fields])
    _po_event(po, from_status=from_status, to_status=to_status, actor=actor, reason=reason)
    if to_status in PURCHASE_ORDER_MERCHANT_EXCEPTIONS:
        outbox_enqueue(task="orders.tasks.purchase_order_exception", args=[po.pk])
        webhooks.purchase_order_exception(po)
    return po


@transaction.atomic
def purchase_order_transition(
    *, po: PurchaseOrder, to_status: str, actor: User | None, reason: str = ""
) -> PurchaseOrder:
    """The guarded change of a purchase order's status; the order follows."""
    order, po = _lock_po(po)
    _po_apply(po, to_status=to_status, actor=actor, reason=reason)
    _order_follow_purchase_orders(order, actor=actor)
    return po


def _require(actor: User, perm: str) -> None:
    if not actor.has_perm(f"orders.{perm}"):
        raise exceptions.PermissionRefused


@transaction.atomic
def purchase_order_change_supplier(
    *, po: PurchaseOrder, supplier: Supplier, actor: User, reason: str = ""
) -> PurchaseOrder:
    """Route a purchase order not yet placed to another supplier (out of stock goes back to
    pending). The merchant's prices do not change."""
    _require(actor, "route_purchaseorder")
    order, po = _lock_po(po)
    if po.status not in (PS.PENDING, PS.OUT_OF_STOCK):
        raise exceptions.InvalidTransition(_("Only a purchase order not yet placed is rerouted."))
    if supplier.status != Supplier.Status.APPROVED:
        raise exceptions.OrdersError(_("Choose an approved supplier."))
    old = po.supplier
    po.supplier = supplier
    note = _("Supplier changed from %(old)s to %(new)s.") % {"old": old, "new": supplier}
    note = f"{note} {reason}".strip()
    if po.status == PS.OUT_OF_STOCK:
        _po_apply(po, to_status=PS.PENDING, actor=actor, reason=note, fields=["supplier"])
    else:
        po.save(update_fields=["supplier", "updated_at"])
        _po_event(po, from_status=po.status, to_status=po.status, actor=actor, reason=note)
    _order_follow_purchase_orders(order, actor=actor)
    return po


@transaction.atomic
def purchase_order_split(
    *,
    po: PurchaseOrder,
    line_ids: Sequence[int],
    supplier: Supplier,
    actor: User,
    reason: str = "",
) -> PurchaseOrder:
    """Move some lines of a purchase order not yet placed to a new purchase order with another
    supplier. The merchant paid domestic freight once per original supplier; the new purchase
    order carries none (the platform bears it). Returns the new purchase order."""
    _require(actor, "route_purchaseorder")
    order, po = _lock_po(po)
    if po.status not in (PS.PENDING, PS.OUT_OF_STOCK):
        raise exceptions.InvalidTransition(_("Only a purchase order not yet placed is split."))
    if supplier.status != Supplier.Status.APPROVED:
        raise exceptions.OrdersError(_("Choose an approved supplier."))
    all_ids = set(po.lines.values_list("pk", flat=True))
    moving = set(line_ids)
    if not moving or not moving <= all_ids:
        raise exceptions.OrdersError(_("Choose lines of this purchase order to move."))
    if moving == all_ids:
        raise exceptions.OrdersError(
            _("To move every line, change the supplier of the purchase order instead.")
        )
    new = PurchaseOrder.objects.create(order=order, supplier=supplier)
    PurchaseOrderLine.objects.filter(pk__in=moving).update(purchase_order=new)
    note = _("%(n)s line(s) moved from %(old)s to %(new)s with %(supplier)s.") % {
        "n": len(moving),
        "old": po,
        "new": new,
        "supplier": supplier,
    } + (f" {reason}" if reason else "")
    _po_event(po, from_status=po.status, to_status=po.status, actor=actor, reason=note)
    _po_event(new, from_status="", to_status=PS.PENDING, actor=actor, reason=note)
    _order_follow_purchase_orders(order, actor=actor)
    return new


class DifferenceHandling:
    CHARGE = "charge"  # charge or refund the difference through the ledger now
    ASK = "ask"  # a higher price is put to the merchant to accept or cancel


def _price_difference(order: Order, po: PurchaseOrder, cny: Decimal, actor) -> LedgerTransaction:
    return payments_services.price_difference_adjust(
        charge=order.charge,
        difference=cny,
        idempotency_key=f"{po.reference}:difference",
        actor=actor,
        memo=_("Price difference on %(po)s (%(number)s)") % {"po": po, "number": order.number},
    )


@transaction.atomic
def purchase_order_place(
    *,
    po: PurchaseOrder,
    actor: User,
    supplier_order_no: str,
    actual_total_cny: Decimal,
    handling: str = DifferenceHandling.CHARGE,
) -> PurchaseOrder:
    """Record the 1688 order number and the actual price (goods and domestic freight).

    A lower price is refunded to the wallet at the checkout's rate. A higher price is charged
    to the wallet at today's rate (handling "charge"; refused with nothing written when the
    wallet is short) or put to the merchant to accept or cancel (handling "ask").
    """
    _require(actor, "place_purchaseorder")
    order, po = _lock_po(po)
    actual = quantize(Decimal(actual_total_cny), SETTLEMENT_CURRENCY)
    if actual <= 0:
        raise exceptions.OrdersError(_("Enter the price actually paid."))
    supplier_order_no = supplier_order_no.strip()
    difference = actual - po.expected_total_cny
    po.supplier_order_no = supplier_order_no
    if difference > 0 and handling == DifferenceHandling.ASK:
        po.proposed_total_cny = actual
        return _po_apply(
            po,
            to_status=PS.PRICE_CHANGED,
            actor=actor,
            reason=_("The supplier asks ¥%(actual)s instead of ¥%(expected)s.")
            % {"actual": actual, "expected": po.expected_total_cny},
            fields=["supplier_order_no", "proposed_total_cny"],
        )
    if not supplier_order_no:
        raise exceptions.OrdersError(_("Enter the supplier's order number."))
    po.actual_total_cny = actual
    po.placed_at = timezone.now()
    fields = ["supplier_order_no", "actual_total_cny", "placed_at"]
    if difference:
        po.price_difference = _price_difference(order, po, difference, actor)
        fields.append("price_difference")
    reason = _("1688 order %(no)s, ¥%(actual)s") % {"no": supplier_order_no, "actual": actual}
    if difference:
        reason += " " + _("(difference ¥%(d)s settled with the wallet)") % {"d": difference}
    _po_apply(po, to_status=PS.PLACED, actor=actor, reason=reason, fields=fields)
    _payable_record(po, actor=actor)
    _supplier_performance_sync(po)
    _order_follow_purchase_orders(order, actor=actor)
    return po


def _require_merchant(po: PurchaseOrder, membership: Membership | None) -> None:
    if (
        membership is None
        or membership.company_id != po.order.company_id
        or not role_can(membership.role, Capability.BUY)
    ):
        raise exceptions.PermissionRefused


@transaction.atomic
def purchase_order_price_accept(
    *, po: PurchaseOrder, actor: User, membership: Membership | None
) -> PurchaseOrder:
    """The merchant accepts the supplier's higher price: the difference is charged now."""
    order, po = _lock_po(po)
    _require_merchant(po, membership)
    if po.status != PS.PRICE_CHANGED or po.proposed_total_cny is None:
        raise exceptions.InvalidTransition
    difference = po.proposed_total_cny - po.expected_total_cny
    po.actual_total_cny = po.proposed_total_cny
    po.placed_at = timezone.now()
    po.price_difference = _price_difference(order, po, difference, actor)
    _po_apply(
        po,
        to_status=PS.PLACED,
        actor=actor,
        reason=_("New price accepted; ¥%(d)s charged.") % {"d": difference},
        fields=["actual_total_cny", "placed_at", "price_difference"],
    )
    _payable_record(po, actor=actor)
    _supplier_performance_sync(po)
    _order_follow_purchase_orders(order, actor=actor)
    return po


@transaction.atomic
def purchase_order_cancel(
    *,
    po: PurchaseOrder,
    actor: User,
    reason: str = "",
    membership: Membership | None = None,
    as_merchant: bool = False,
) -> PurchaseOrder:
    """Cancel a purchase order and refund what was paid for it. Staff (cancel permission) may
    cancel it until the supplier ships; the merchant may cancel it when it waits for them
    (price changed) or its goods are out of stock."""
    order, po = _lock_po(po)
    if as_merchant:
        _require_merchant(po, membership)
        if po.status not in PURCHASE_ORDER_MERCHANT_EXCEPTIONS:
            raise exceptions.InvalidTransition(
                _("Ask your account manager to cancel this purchase order.")
            )
    else:
        _require(actor, "cancel_purchaseorder")
    _po_apply(po, to_status=PS.CANCELLED, actor=actor, reason=reason)
    _refund_purchase_order(po, actor=actor)
    _payable_cancel(po, actor=actor, reason=reason or _("Purchase order cancelled"))
    _supplier_performance_sync(po)
    _order_follow_purchase_orders(order, actor=actor)
    return po


@transaction.atomic
def purchase_order_out_of_stock(
    *, po: PurchaseOrder, actor: User, reason: str = ""
) -> PurchaseOrder:
    _require(actor, "place_purchaseorder")
    order, po = _lock_po(po)
    _po_apply(po, to_status=PS.OUT_OF_STOCK, actor=actor, reason=reason)
    _order_follow_purchase_orders(order, actor=actor)
    return po


@transaction.atomic
def purchase_order_ship(*, po: PurchaseOrder, actor: User, tracking_number: str) -> PurchaseOrder:
    """Record the supplier's shipment to our warehouse with its domestic tracking number."""
    _require(actor, "ship_purchaseorder")
    tracking_number = tracking_number.strip()
    if not tracking_number:
        raise exceptions.OrdersError(_("Enter the domestic tracking number."))
    order, po = _lock_po(po)
    po.tracking_number = tracking_number
    # The first shipment is what the supplier's dispatch time is judged by; a replacement
    # shipment keeps it.
    po.shipped_at = po.shipped_at or timezone.now()
    _po_apply(
        po,
        to_status=PS.SHIPPED,
        actor=actor,
        reason=_("Tracking %(no)s") % {"no": tracking_number},
        fields=["tracking_number", "shipped_at"],
    )
    _supplier_performance_sync(po)
    _order_follow_purchase_orders(order, actor=actor)
    return po


@transaction.atomic
def purchase_order_receive(
    *,
    po: PurchaseOrder,
    actor: User,
    note: str = "",
    warehouse: Warehouse | None = None,
    counts: Mapping[int, int] | None = None,
) -> PurchaseOrder:
    """The supplier's parcel arrived: record the warehouse and the count per line.

    `counts` maps line ids to the quantity counted (0 to the quantity ordered); a line left out
    counts as complete. Only lines still to inspect are counted, so after a replacement the
    lines already stocked keep their figures.
    """
    _require(actor, "receive_purchaseorder")
    order, po = _lock_po(po)
    if PS.RECEIVED not in PURCHASE_ORDER_TRANSITIONS[po.status]:
        raise exceptions.InvalidTransition(_("Only goods the supplier shipped can be received."))
    lines = list(po.lines.select_for_update().filter(inspection=Inspection.PENDING).order_by("pk"))
    counts = dict(counts or {})
    if set(counts) - {line.pk for line in lines}:
        raise exceptions.OrdersError(_("Count only the lines of this purchase order."))
    counted = []
    for line in lines:
        quantity = counts.get(line.pk, line.quantity)
        if quantity is None or not 0 <= quantity <= line.quantity:
            raise exceptions.OrdersError(
                _("%(line)s: count between 0 and %(n)s.")
                % {"line": line.description, "n": line.quantity}
            )
        line.received_quantity = quantity
        counted.append(f"{line.description}: {quantity}/{line.quantity}")
    PurchaseOrderLine.objects.bulk_update(lines, ["received_quantity"])
    fields = []
    if warehouse is not None:
        po.warehouse = warehouse
        fields.append("warehouse")
    reason = "; ".join(counted)
    if note.strip():
        reason = f"{note.strip()} — {reason}" if reason else note.strip()
    _po_apply(po, to_status=PS.RECEIVED, actor=actor, reason=reason, fields=fields)
    _order_follow_purchase_orders(order, actor=actor)
    return po


@transaction.atomic
def purchase_order_return(*, po: PurchaseOrder, actor: User, reason: str) -> PurchaseOrder:
    """Goods failed inspection and go back to the supplier; the merchant is refunded."""
    _require(actor, "receive_purchaseorder")
    order, po = _lock_po(po)
    if po.lines.filter(stock_item_id__isnull=False).exists():
        raise exceptions.InvalidTransition(
            _("Some lines are already in stock: the merchant decides on each failed line.")
        )
    _po_return(po, actor=actor, reason=reason)
    _order_follow_purchase_orders(order, actor=actor)
    return po


def _po_return(po: PurchaseOrder, *, actor: User | None, reason: str) -> None:
    _po_apply(po, to_status=PS.RETURNED, actor=actor, reason=reason)
    _refund_purchase_order(po, actor=actor)
    _payable_cancel(po, actor=actor, reason=reason or _("Returned to the supplier"))
    _supplier_performance_sync(po)


# --- Inspection, line by line --------------------------------------------------------------------

MEASURES = ("weight_kg", "length_cm", "width_cm", "height_cm")


def _checked_photos(uploads: Sequence[UploadedFile]):
    """Check every photo (Pillow: real JPEG/PNG/WebP, size, pixel count) before writing any."""
    if len(uploads) > conf.inspection_max_photos():
        raise exceptions.OrdersError(
            _("Add at most %(n)s photos per line.") % {"n": conf.inspection_max_photos()}
        )
    checked = []
    for upload in uploads:
        try:
            checked.append(photo_check(upload))
        except DomainError as error:
            raise exceptions.OrdersError(
                _("%(name)s: %(reason)s") % {"name": upload.name, "reason": error.message}
            ) from None
    return checked


def _line_label(line: PurchaseOrderLine) -> str:
    return _("Line %(pk)s (%(description)s)") % {"pk": line.pk, "description": line.description}


def _line_stock(
    po: PurchaseOrder, line: PurchaseOrderLine, *, photos: Sequence[UploadedFile] = ()
) -> None:
    """Put a line's counted goods into the merchant's stock, once (receipt key per line)."""
    if not line.received_quantity:
        return
    if po.warehouse_id is None:
        raise exceptions.OrdersError(_("Receive the goods into a warehouse first."))
    if any(getattr(line, name) is None for name in MEASURES):
        raise exceptions.OrdersError(_("Record the weight and size of the line's goods."))
    for upload in photos:
        upload.seek(0)
    failed = line.failed_checks
    summary = (
        _("Passed inspection")
        if not failed
        else _("Accepted as is: %(items)s") % {"items": ", ".join(failed)}
    )
    if line.inspection_note:
        summary = f"{summary}. {line.inspection_note}"
    item = logistics_services.stock_receive(
        company=po.order.company,
        warehouse=po.warehouse,
        description=f"{line.description} x {line.received_quantity}",
        quantity=line.received_quantity,
        weight_kg=line.weight_kg,
        length_cm=line.length_cm,
        width_cm=line.width_cm,
        height_cm=line.height_cm,
        source_reference=po.reference,
        inspection_summary=summary,
        photos=photos,
        receipt_key=f"{po.reference}:line:{line.pk}",
    )
    line.stock_item_id = item.pk
    line.save(update_fields=["stock_item_id"])


@transaction.atomic
def purchase_order_line_inspect(
    *,
    line: PurchaseOrderLine,
    actor: User,
    checklist: Mapping[str, bool],
    note: str = "",
    photos: Sequence[UploadedFile] = (),
    weight_kg: Decimal | None = None,
    length_cm: Decimal | None = None,
    width_cm: Decimal | None = None,
    height_cm: Decimal | None = None,
) -> PurchaseOrderLine:
    """Inspect one received line against CHECKLIST, with photos and the goods' measures.

    The line passes only when every item is in order and the count matches the order; a
    passed line goes into stock at once. A failed line needs at least one photo and waits for
    the merchant (accept as is, return, replace). When the last line is inspected the purchase
    order becomes inspected, and stocked if nothing waits for the merchant.
    """
    _require(actor, "receive_purchaseorder")
    order, po = _lock_po(line.purchase_order)
    line = PurchaseOrderLine.objects.select_for_update().get(pk=line.pk, purchase_order=po)
    if po.status != PS.RECEIVED:
        raise exceptions.InvalidTransition(_("Receive and count the goods before inspecting."))
    if line.inspection != Inspection.PENDING:
        raise exceptions.InvalidTransition(_("This line was already inspected."))
    results = {key: bool(checklist.get(key)) for key in CHECKLIST}
    if line.received_quantity != line.quantity:
        results["quantity"] = False
    passed = all(results.values())
    measures = {
        "weight_kg": weight_kg,
        "length_cm": length_cm,
        "width_cm": width_cm,
        "height_cm": height_cm,
    }
    if line.received_quantity and any(value is None or value <= 0 for value in measures.values()):
        raise exceptions.OrdersError(_("Record the weight and size of the line's goods."))
    checked = _checked_photos(list(photos))
    if not passed and not checked:
        raise exceptions.OrdersError(_("Add a photo showing why the line failed."))
    for name, value in measures.items():
        setattr(line, name, value)
    line.checklist = results
    line.inspection = Inspection.PASSED if passed else Inspection.FAILED
    line.inspection_note = note.strip()
    line.inspected_at = timezone.now()
    line.resolution = ""
    line.resolved_at = None
    line.times_inspected += 1
    line.times_failed += 0 if passed else 1
    line.save(
        update_fields=[
            *MEASURES,
            "checklist",
            "inspection",
            "inspection_note",
            "inspected_at",
            "resolution",
            "resolved_at",
            "times_inspected",
            "times_failed",
        ]
    )
    for photo in checked:
        InspectionPhoto.objects.create(line=line, image=photo.image, thumbnail=photo.thumbnail)
    failed_items = [str(CHECKLIST[key]) for key, ok in results.items() if not ok]
    reason = (
        _("%(line)s passed inspection.") % {"line": _line_label(line)}
        if passed
        else _("%(line)s failed inspection: %(items)s.")
        % {"line": _line_label(line), "items": ", ".join(failed_items)}
    )
    if line.inspection_note:
        reason = f"{reason} {line.inspection_note}"
    _po_event(po, from_status=po.status, to_status=po.status, actor=actor, reason=reason)
    if passed:
        _line_stock(po, line, photos=list(photos))
    if not po.lines.filter(inspection=Inspection.PENDING).exists():
        lines = list(po.lines.order_by("pk"))
        failed = sum(1 for item in lines if item.inspection == Inspection.FAILED)
        _po_apply(
            po,
            to_status=PS.INSPECTED,
            actor=actor,
            reason=_("%(passed)s line(s) passed, %(failed)s failed.")
            % {"passed": len(lines) - failed, "failed": failed},
        )
        po.inspection_summary = "\n".join(
            f"{item.description}: {item.get_inspection_display()}" for item in lines
        )
        po.save(update_fields=["inspection_summary"])
        _supplier_performance_sync(po)
        if failed:
            # The merchant decides: mail, and the webhook for its ERP.
            outbox_enqueue(task="orders.tasks.purchase_order_exception", args=[po.pk])
            webhooks.purchase_order_exception(
                po,
                failed_line_ids=[item.pk for item in lines if item.inspection == Inspection.FAILED],
            )
        else:
            _po_finish(po, actor=actor)
    _order_follow_purchase_orders(order, actor=actor)
    return line


def _po_finish(po: PurchaseOrder, *, actor: User | None) -> None:
    """Every failed line of an inspected purchase order (locked) has its decision: refund
    returned lines, wait for replacements, or close the purchase order."""
    lines = list(po.lines.select_for_update().order_by("pk"))
    if any(line.inspection == Inspection.FAILED and not line.resolution for line in lines) or any(
        line.inspection == Inspection.PENDING for line in lines
    ):
        return
    returned = [line for line in lines if line.resolution == Resolution.RETURNED]
    replaced = [line for line in lines if line.resolution == Resolution.REPLACED]
    if len(returned) == len(lines):
        _po_return(po, actor=actor, reason=_("Every line returned to the supplier."))
        return
    order = po.order
    for line in returned:
        if line.refund_id is None and order.charge_id is not None:
            line.refund = payments_services.wallet_refund(
                charge=order.charge,
                idempotency_key=f"{po.reference}:line:{line.pk}:refund",
                amount=_wallet_amount(order, line.line_total_cny),
                actor=actor,
                memo=_("Refund of %(line)s returned from %(po)s")
                % {"line": line.description, "po": po},
            )
            line.save(update_fields=["refund"])
    if returned:
        _payable_adjust(
            po,
            actor=actor,
            reason=_("%(n)s line(s) returned to the supplier") % {"n": len(returned)},
        )
    if replaced:
        for line in replaced:
            line.received_quantity = None
            line.inspection = Inspection.PENDING
            line.stock_item_id = None
        PurchaseOrderLine.objects.bulk_update(
            replaced, ["received_quantity", "inspection", "stock_item_id"]
        )
        _po_apply(
            po,
            to_status=PS.PLACED,
            actor=actor,
            reason=_("Waiting for the supplier to replace %(n)s line(s).") % {"n": len(replaced)},
        )
        return
    _po_apply(po, to_status=PS.STOCKED, actor=actor, reason=_("Inspected goods stocked."))


def _line_decide(
    *, line: PurchaseOrderLine, actor: User, membership: Membership | None, decision: str
) -> PurchaseOrderLine:
    order, po = _lock_po(line.purchase_order)
    _require_merchant(po, membership)
    line = PurchaseOrderLine.objects.select_for_update().get(pk=line.pk, purchase_order=po)
    if po.status != PS.INSPECTED or line.inspection != Inspection.FAILED or line.resolution:
        raise exceptions.InvalidTransition(_("This line does not wait for your decision."))
    line.resolution = decision
    line.resolved_at = timezone.now()
    line.save(update_fields=["resolution", "resolved_at"])
    _po_event(
        po,
        from_status=po.status,
        to_status=po.status,
        actor=actor,
        reason=_("%(line)s: %(decision)s")
        % {"line": _line_label(line), "decision": Resolution(decision).label},
    )
    if decision == Resolution.ACCEPTED:
        _line_stock(po, line)
    _po_finish(po, actor=actor)
    _order_follow_purchase_orders(order, actor=actor)
    return line


@transaction.atomic
def purchase_order_line_accept(
    *, line: PurchaseOrderLine, actor: User, membership: Membership | None
) -> PurchaseOrderLine:
    """The merchant takes a failed line as it is: its counted goods go into stock."""
    return _line_decide(line=line, actor=actor, membership=membership, decision=Resolution.ACCEPTED)


@transaction.atomic
def purchase_order_line_return(
    *, line: PurchaseOrderLine, actor: User, membership: Membership | None
) -> PurchaseOrderLine:
    """The merchant sends a failed line back: it is refunded at the checkout's rate and the
    supplier payable shrinks (the whole purchase order returned refunds as a cancellation)."""
    return _line_decide(line=line, actor=actor, membership=membership, decision=Resolution.RETURNED)


@transaction.atomic
def purchase_order_line_replace(
    *, line: PurchaseOrderLine, actor: User, membership: Membership | None
) -> PurchaseOrderLine:
    """The merchant wants the supplier to replace a failed line: once every failed line is
    decided the purchase order goes back to placed and the replacement is received and
    inspected like the first shipment."""
    return _line_decide(line=line, actor=actor, membership=membership, decision=Resolution.REPLACED)


# --- Supplier payables (payments.payouts, issue 7) -----------------------------------------------


def _supplier_payee(supplier: Supplier) -> tuple[str, str, str]:
    """Payee name, bank account and bank for the supplier's bank transfer.

    A supplier without bank details gets no payable: payments refuses it, the purchase order
    says Finance must record it, and "Record supplier payable" in the admin retries.
    """
    return (
        supplier.payee_name or supplier.name_zh or supplier.name_en,
        supplier.bank_account,
        supplier.bank_name,
    )


def _payable_amounts(po: PurchaseOrder) -> tuple[Decimal, Decimal]:
    """What the supplier is owed (its actual price less lines returned to it) and the part of
    it that is domestic freight."""
    returned = sum(
        (line.line_total_cny for line in po.lines.all() if line.resolution == Resolution.RETURNED),
        Decimal(0),
    )
    amount = po.actual_total_cny - returned
    return amount, min(po.domestic_freight_cny, amount)


def _payable_record(po: PurchaseOrder, *, actor: User | None) -> bool:
    """Record the supplier payable of a purchase order just placed (locked), once. A refusal
    (missing bank details) is written on the timeline instead: the placement stands."""
    if po.payable_recorded or po.actual_total_cny is None:
        return po.payable_recorded
    name, account, bank = _supplier_payee(po.supplier)
    amount, freight = _payable_amounts(po)
    try:
        with transaction.atomic():
            payouts.supplier_payable_record(
                reference=po.reference,
                order_reference=po.order.reference,
                company=po.order.company,
                supplier_reference=f"supplier:{po.supplier_id}",
                payee_name=name,
                payee_account=account,
                payee_bank=bank,
                amount_cny=amount,
                freight_cny=freight,
                placed_at=po.placed_at or timezone.now(),
                idempotency_key=f"{po.reference}:placed",
                actor=actor,
            )
    except DomainError as error:
        logger.warning("supplier payable of %s not recorded: %s", po.reference, error)
        _po_event(
            po,
            from_status=po.status,
            to_status=po.status,
            actor=actor,
            reason=_("Supplier payable NOT recorded (%(why)s). Finance must record it.")
            % {"why": error.message},
        )
        return False
    po.payable_recorded = True
    po.save(update_fields=["payable_recorded"])
    return True


@transaction.atomic
def purchase_order_payable_record(*, po: PurchaseOrder, actor: User) -> PurchaseOrder:
    """Retry recording the supplier payable of a placed purchase order (e.g. once the supplier's
    bank details exist). Raises OrdersError with the reason when payments still refuses."""
    _require(actor, "place_purchaseorder")
    _order, po = _lock_po(po)
    if po.payable_recorded:
        return po
    if po.placed_at is None or po.status in PURCHASE_ORDER_CLOSED:
        raise exceptions.InvalidTransition(_("Only a placed purchase order has a payable."))
    if not _payable_record(po, actor=actor):
        raise exceptions.OrdersError(
            _("Payments refused the payable; see the purchase order's timeline.")
        )
    _po_event(
        po,
        from_status=po.status,
        to_status=po.status,
        actor=actor,
        reason=_("Supplier payable recorded."),
    )
    return po


PURCHASE_ORDER_BOUGHT = frozenset({PS.PLACED, PS.SHIPPED, PS.RECEIVED, PS.INSPECTED, PS.STOCKED})


@transaction.atomic
def purchase_order_supplier_price_correct(
    *, po: PurchaseOrder, actor: User, actual_total_cny: Decimal, reason: str
) -> PurchaseOrder:
    """Correct the price the supplier charges after placement (a typo, a freight rebate, a
    surcharge agreed with the supplier): the actual price and the supplier payable follow.

    The merchant's money does not move here: its price difference was settled when the purchase
    order was placed (purchase_order_place). Refused without a reason.
    """
    _require(actor, "place_purchaseorder")
    reason = (reason or "").strip()
    if not reason:
        raise exceptions.OrdersError(_("Say why the supplier's price changed."))
    _order, po = _lock_po(po)
    if po.status not in PURCHASE_ORDER_BOUGHT or po.actual_total_cny is None:
        raise exceptions.InvalidTransition(
            _("Only a placed purchase order has a price to correct.")
        )
    actual = quantize(Decimal(actual_total_cny), SETTLEMENT_CURRENCY)
    if actual <= 0:
        raise exceptions.OrdersError(_("Enter the price actually paid."))
    if actual == po.actual_total_cny:
        return po
    before = po.actual_total_cny
    po.actual_total_cny = actual
    po.save(update_fields=["actual_total_cny", "updated_at"])
    _po_event(
        po,
        from_status=po.status,
        to_status=po.status,
        actor=actor,
        reason=_("Supplier price corrected from ¥%(before)s to ¥%(after)s: %(reason)s")
        % {"before": before, "after": actual, "reason": reason},
    )
    _payable_adjust(po, actor=actor, reason=reason)
    return po


def _payable_adjust(po: PurchaseOrder, *, actor: User | None, reason: str) -> None:
    if not po.payable_recorded:
        return
    amount, freight = _payable_amounts(po)
    key = f"{po.reference}:amount:{po.events.count()}"
    try:
        with transaction.atomic():
            payouts.supplier_payable_adjust(
                reference=po.reference,
                amount_cny=amount,
                freight_cny=freight,
                idempotency_key=key,
                reason=reason,
                actor=actor,
            )
    except payouts.PayableLocked:
        _finance_must_settle(po, actor=actor, what=_("make it ¥%(a)s") % {"a": amount})


def _payable_cancel(po: PurchaseOrder, *, actor: User | None, reason: str) -> None:
    if not po.payable_recorded:
        return
    try:
        with transaction.atomic():
            payouts.supplier_payable_cancel(
                reference=po.reference,
                idempotency_key=f"{po.reference}:cancelled",
                reason=reason,
                actor=actor,
            )
    except payouts.PayableLocked:
        _finance_must_settle(po, actor=actor, what=_("cancel it"))


def _finance_must_settle(po: PurchaseOrder, *, actor: User | None, what: str) -> None:
    _po_event(
        po,
        from_status=po.status,
        to_status=po.status,
        actor=actor,
        reason=_(
            "The supplier payable is already exported or paid and could not change (%(what)s). "
            "Finance must settle it with the supplier manually."
        )
        % {"what": what},
    )


# --- Supplier scorecard (catalog.SupplierPerformance) --------------------------------------------


def _supplier_performance_sync(po: PurchaseOrder) -> None:
    """Copy what this purchase order shows about its supplier to the catalog's scorecard.
    Only purchase orders placed with the supplier count."""
    if po.placed_at is None:
        return
    perf = selectors.purchase_order_performance(po)
    catalog_services.supplier_performance_record(
        supplier=po.supplier,
        reference=po.reference,
        placed_at=po.placed_at,
        dispatched_on_time=perf.dispatched_on_time,
        cancelled=perf.cancelled,
        units_inspected=perf.units_inspected,
        units_defective=perf.units_defective,
        response_minutes=None,
    )


# --- Sourcing ------------------------------------------------------------------------------------

SOURCING_TRANSITIONS: dict[str, frozenset[str]] = {
    RS.SUBMITTED: frozenset({RS.QUOTED, RS.CLOSED}),
    RS.QUOTED: frozenset({RS.QUOTED, RS.ACCEPTED, RS.DECLINED, RS.CLOSED}),
    RS.DECLINED: frozenset({RS.QUOTED, RS.CLOSED}),
    RS.ACCEPTED: frozenset(),
    RS.CLOSED: frozenset(),
}


def _sourcing_apply(
    request: SourcingRequest, *, to_status: str, actor, reason: str = "", fields=()
) -> SourcingRequest:
    if to_status not in SOURCING_TRANSITIONS[request.status]:
        raise exceptions.InvalidTransition
    from_status = request.status
    request.status = to_status
    request.save(update_fields=["status", "updated_at", *fields])
    SourcingRequestEvent.objects.create(
        request=request,
        actor=_actor(actor),
        from_status=from_status,
        to_status=to_status,
        reason=reason,
    )
    return request


@transaction.atomic
def sourcing_request_transition(
    *, request: SourcingRequest, to_status: str, actor: User | None, reason: str = ""
) -> SourcingRequest:
    request = SourcingRequest.objects.select_for_update().get(pk=request.pk)
    return _sourcing_apply(request, to_status=to_status, actor=actor, reason=reason)


def parse_links(text: str) -> tuple[list[dict], list[str]]:
    """Parsed links (as stored) and the errors, one per bad line."""
    links, errors = [], []
    for raw in (text or "").splitlines():
        raw = raw.strip()
        if not raw:
            continue
        try:
            parsed = parse_product_link(raw)
        except UnsupportedLink as error:
            errors.append(f"{raw[:80]}: {error}")
            continue
        links.append(
            {
                "source": parsed.source,
                "site": parsed.site,
                "external_id": parsed.external_id,
                "url": parsed.canonical_url,
            }
        )
    return links, errors


@transaction.atomic
def sourcing_request_create(
    *,
    company: Company,
    actor: User,
    title: str,
    description: str = "",
    links_text: str = "",
    target_quantity: int | None = None,
    target_unit_price: Decimal | None = None,
    photos: Sequence[UploadedFile] = (),
    product: Product | None = None,
) -> SourcingRequest:
    """A merchant asks for a quote: links to 1688/Taobao/Tmall products, or a description and
    photos. Photos are checked by the caller's form (type, size, a real image)."""
    links, errors = parse_links(links_text)
    if errors:
        raise exceptions.OrdersError(" ".join(errors))
    if not (links or description.strip() or photos or product):
        raise exceptions.OrdersError(_("Paste a product link, or describe the product."))
    if len(photos) > conf.sourcing_max_photos():
        raise exceptions.OrdersError(
            _("Add at most %(n)s photos.") % {"n": conf.sourcing_max_photos()}
        )
    request = SourcingRequest.objects.create(
        company=company,
        created_by=actor,
        title=title.strip()[:200],
        description=description.strip(),
        links=links,
        product=product,
        target_quantity=target_quantity,
        target_unit_price=target_unit_price,
        target_currency=company.wallet_currency if target_unit_price is not None else "",
        assigned_to=company.account_manager,
    )
    for upload in photos:
        photo = SourcingPhoto(request=request, image=upload)
        photo.full_clean(exclude=["request"])
        photo.save()
    SourcingRequestEvent.objects.create(
        request=request, actor=actor, from_status="", to_status=RS.SUBMITTED
    )
    return request


def _default_validity():
    return timezone.now() + timedelta(days=conf.quote_validity_days())


@transaction.atomic
def sourcing_quote_send(*, quote: SourcingQuote, actor: User) -> SourcingQuote:
    """Send a drafted quote to the merchant: earlier quotes are superseded, the request becomes
    quoted, the merchant is told by mail."""
    _require(actor, "quote_sourcingrequest")
    request = SourcingRequest.objects.select_for_update().get(pk=quote.request_id)
    quote = SourcingQuote.objects.select_for_update().get(pk=quote.pk)
    if quote.status != SourcingQuote.Status.DRAFT:
        raise exceptions.InvalidTransition(_("This quote was already sent."))
    if not quote.lines.exists():
        raise exceptions.OrdersError(_("Add at least one line to the quote."))
    if quote.is_expired:
        raise exceptions.OrdersError(_("Set a validity date in the future."))
    SourcingQuote.objects.filter(request=request, status=SourcingQuote.Status.SENT).update(
        status=SourcingQuote.Status.SUPERSEDED, decided_at=timezone.now()
    )
    quote.status = SourcingQuote.Status.SENT
    quote.sent_at = timezone.now()
    quote.save(update_fields=["status", "sent_at", "updated_at"])
    _sourcing_apply(
        request, to_status=RS.QUOTED, actor=actor, reason=_("Quote %(q)s sent") % {"q": quote}
    )
    outbox_enqueue(task="orders.tasks.sourcing_quote_ready", args=[quote.pk])
    webhooks.quote_ready(quote)
    return quote


@transaction.atomic
def sourcing_quote_accept(
    *, quote: SourcingQuote, actor: User, membership: Membership | None
) -> Order:
    """The merchant accepts a quote: it becomes an order at the quoted prices (once). An expired
    or superseded quote cannot be accepted."""
    request = SourcingRequest.objects.select_for_update().get(pk=quote.request_id)
    quote = SourcingQuote.objects.select_for_update().get(pk=quote.pk)
    if (
        membership is None
        or membership.company_id != request.company_id
        or not role_can(membership.role, Capability.BUY)
    ):
        raise exceptions.PermissionRefused
    existing = quote.orders.first()
    if existing is not None:
        return existing
    if quote.status != SourcingQuote.Status.SENT:
        raise exceptions.QuoteNotAcceptable
    if quote.is_expired:
        raise exceptions.QuoteNotAcceptable(
            _("This quote expired. Ask your account manager for a new one.")
        )
    lines = [
        NewLine(
            supplier=line.supplier,
            product=line.product,
            sku=line.sku,
            description=line.description,
            quantity=line.quantity,
            unit_price_cny=line.unit_price_cny,
        )
        for line in quote.lines.select_related("supplier", "product", "sku").order_by("pk")
    ]
    order = _order_create(
        company=request.company,
        actor=actor,
        membership=membership,
        lines=lines,
        checkout_key=f"sourcing-quote:{quote.pk}",
        source=Order.Source.QUOTE,
        sourcing_quote=quote,
    )
    quote.status = SourcingQuote.Status.ACCEPTED
    quote.decided_at = timezone.now()
    quote.save(update_fields=["status", "decided_at", "updated_at"])
    _sourcing_apply(
        request,
        to_status=RS.ACCEPTED,
        actor=actor,
        reason=_("Quote %(q)s accepted: order %(number)s") % {"q": quote, "number": order.number},
    )
    return order


@transaction.atomic
def sourcing_quote_decline(
    *, quote: SourcingQuote, actor: User, membership: Membership | None, reason: str
) -> SourcingQuote:
    reason = (reason or "").strip()
    if not reason:
        raise exceptions.OrdersError(_("Tell us why, so we can find something better."))
    request = SourcingRequest.objects.select_for_update().get(pk=quote.request_id)
    quote = SourcingQuote.objects.select_for_update().get(pk=quote.pk)
    if (
        membership is None
        or membership.company_id != request.company_id
        or not role_can(membership.role, Capability.BUY)
    ):
        raise exceptions.PermissionRefused
    if quote.status != SourcingQuote.Status.SENT:
        raise exceptions.QuoteNotAcceptable
    quote.status = SourcingQuote.Status.DECLINED
    quote.decided_at = timezone.now()
    quote.save(update_fields=["status", "decided_at", "updated_at"])
    request.decline_reason = reason
    _sourcing_apply(
        request, to_status=RS.DECLINED, actor=actor, reason=reason, fields=["decline_reason"]
    )
    return quote


@transaction.atomic
def sourcing_quote_create(
    *,
    request: SourcingRequest,
    actor: User,
    lines: Sequence[Mapping],
    valid_until=None,
    note: str = "",
) -> SourcingQuote:
    """A draft quote with its lines (dicts of SourcingQuoteLine fields); send it with
    sourcing_quote_send. The admin edits drafts with inlines; tests and scripts use this."""
    _require(actor, "quote_sourcingrequest")
    quote = SourcingQuote.objects.create(
        request=request, valid_until=valid_until or _default_validity(), note=note, created_by=actor
    )
    for values in lines:
        line = SourcingQuoteLine(quote=quote, **values)
        line.full_clean(exclude=["quote"])
        line.save()
    return quote


# --- Messages ------------------------------------------------------------------------------------


@transaction.atomic
def message_post(
    *,
    author: User,
    body: str,
    order: Order | None = None,
    sourcing_request: SourcingRequest | None = None,
    from_staff: bool = False,
) -> Message:
    """Post to the thread of an order or a sourcing request; the other side gets a mail."""
    body = (body or "").strip()
    if not body:
        raise exceptions.OrdersError(_("Write a message."))
    if (order is None) == (sourcing_request is None):
        raise ValueError("a message belongs to exactly one thread")
    message = Message.objects.create(
        author=author,
        body=body,
        order=order,
        sourcing_request=sourcing_request,
        from_staff=from_staff,
    )
    outbox_enqueue(task="orders.tasks.message_posted", args=[message.pk])
    return message
