"""Placing orders (from the cart, from API lines, from an accepted sourcing quote) and paying
them from the wallet at the locked FX quote; a paid order splits into one purchase order per
supplier."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from catalog.models import Product, Sku, Supplier
from catalog.pricing import price_quote
from logistics.models import Address, ShippingChannel
from orders import exceptions, selectors, webhooks
from orders.models import (
    CartLine,
    Order,
    OrderLine,
    PurchaseOrder,
    PurchaseOrderLine,
    SourcingQuote,
)
from orders.services.cart import _cart
from orders.services.status import OS, _lock_order, _order_created, _pos_created
from payments import exceptions as payments_exceptions
from payments import selectors as payments_selectors
from payments import services as payments_services
from payments.models import FxQuote
from payments.money import quantize
from procurement.accounts.currencies import SETTLEMENT_CURRENCY
from procurement.accounts.models import Company, Membership, User
from procurement.core import states
from procurement.core.exceptions import DomainError
from procurement.core.outbox import outbox_enqueue
from procurement.core.phrases import phrase

logger = logging.getLogger(__name__)

CNY_CENT = Decimal("0.01")


@dataclass(frozen=True)
class NewLine:
    """A line priced and described, ready to be written into an order (from the cart, from
    requested lines or from an accepted sourcing quote)."""

    supplier: Supplier
    product: Product | None
    sku: Sku | None
    description: str
    quantity: int
    unit_price_cny: Decimal


def order_needs_approval(membership: Membership | None, amount: Decimal | None) -> bool:
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


@dataclass(frozen=True)
class RequestedLine:
    """A line as a merchant's system asks for it (the API): a product, the SKU (required when
    the product has SKUs) and how many. It is priced here, never by the caller."""

    product_id: int
    sku_id: int | None
    quantity: int


def _new_line(product: Product, sku: Sku | None, quantity: int, unit_price_cny: Decimal) -> NewLine:
    """A catalog line priced by catalog.pricing, described as the order shows it."""
    return NewLine(
        supplier=product.supplier,
        product=product,
        sku=sku,
        description=product.title_en + (f" — {sku.label}" if sku else ""),
        quantity=quantity,
        unit_price_cny=unit_price_cny,
    )


def _priced_requested_lines(lines: Sequence[RequestedLine]) -> list[NewLine]:
    """Price requested lines as the cart prices them (`catalog.pricing.price_quote`): the tier
    from the product's total across its SKUs, MOQ and multiples enforced, a SKU's own price
    winning over the tier. Lines of the same SKU add up; products keep the order they were
    first asked for. Raises a LineRefused naming the first line at fault."""
    products = {
        product.pk: product
        for product in catalog_selectors.products_visible()
        .filter(pk__in={line.product_id for line in lines})
        .select_related("supplier")
        .prefetch_related("tiers", Prefetch("skus", queryset=Sku.objects.order_by("pk")))
    }
    grouped: dict[int, dict[Sku | None, int]] = {}
    first_index: dict[int, int] = {}
    for index, line in enumerate(lines):
        product = products.get(line.product_id)
        if product is None:
            raise exceptions.LineNotFound(index=index, field="product_id")
        sku = None
        if line.sku_id is not None:
            sku = next((s for s in product.skus.all() if s.pk == line.sku_id), None)
            if sku is None:
                raise exceptions.LineInvalid(
                    _("This SKU is not a variant of the product."), index=index, field="sku_id"
                )
        elif product.skus.all():
            raise exceptions.LineInvalid(
                _("Choose a SKU of this product."), index=index, field="sku_id"
            )
        quantities = grouped.setdefault(product.pk, {})
        quantities[sku] = quantities.get(sku, 0) + line.quantity
        first_index.setdefault(product.pk, index)
    priced = []
    for product_id, quantities in grouped.items():
        product = products[product_id]
        quote = price_quote(product=product, quantities=quantities, tiers=product.tiers.all())
        if not quote.ok:
            raise exceptions.LineQuantity(
                " ".join(quote.errors), index=first_index[product_id], field="quantity"
            )
        priced.extend(
            _new_line(product, line.sku, line.quantity, line.unit_price_cny) for line in quote.lines
        )
    return priced


def _check_destination(company: Company, destination: Address | None) -> None:
    if destination is not None and destination.company_id != company.pk:
        raise exceptions.OrdersError(_("Choose one of your own addresses."))


@transaction.atomic
@payments_selectors.payments_read_once()
def order_place_from_lines(
    *,
    company: Company,
    actor: User,
    membership: Membership | None,
    lines: Sequence[RequestedLine],
    checkout_key: str,
    destination: Address | None = None,
    channel: ShippingChannel | None = None,
) -> Order:
    """Place an order from requested lines without a cart (the merchant API): priced as the
    cart prices them, with the same freight estimate, landed cost, approval rule and FX quote
    lock as checkout. Raises LineNotFound / LineInvalid / LineQuantity for a line that cannot
    be ordered, with nothing written."""
    _check_destination(company, destination)
    return _order_create(
        company=company,
        actor=actor,
        membership=membership,
        lines=_priced_requested_lines(lines),
        checkout_key=checkout_key,
        source=Order.Source.API,
        destination=destination,
        channel=channel,
    )


def _freight_estimate(
    lines: Sequence[NewLine],
    *,
    destination: Address | None,
    channel: ShippingChannel | None,
    currency: str,
) -> selectors.FreightEstimate | None:
    """International freight for the lines' catalog products, by product total, as the
    checkout page estimates it."""
    totals: dict[Product, int] = {}
    for line in lines:
        if line.product is not None:
            totals[line.product] = totals.get(line.product, 0) + line.quantity
    return selectors.freight_estimate(
        items=list(totals.items()), destination=destination, channel=channel, currency=currency
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
    sourcing_quote: SourcingQuote | None = None,
) -> Order:
    """Write an order from priced lines: its landed cost and freight estimate, awaiting payment
    with a locked FX quote, or awaiting approval above the buyer's spending limit."""
    suppliers = {line.supplier.pk for line in lines}
    goods = sum(
        ((line.unit_price_cny * line.quantity).quantize(CNY_CENT) for line in lines),
        Decimal("0.00"),
    )
    freight = _freight_estimate(
        lines, destination=destination, channel=channel, currency=company.wallet_currency
    )
    cost = selectors.landed_cost(company=company, goods_cny=goods, supplier_count=len(suppliers))
    needs_approval = order_needs_approval(membership, cost.total_local)
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
        chargeable_weight_kg=freight.chargeable_weight_kg if freight else None,
        intl_freight_estimate_cny=freight.price_cny if freight and freight.available else None,
        estimated_total=cost.total_local,
        sourcing_quote=sourcing_quote,
        status=OS.PENDING_APPROVAL if needs_approval else OS.AWAITING_PAYMENT,
    )
    # The number needs the key; it is saved with the quote below, in one update.
    order.number = f"ORD-{order.pk:06d}"
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
    if needs_approval:
        _order_created(order, actor=actor, reason=phrase("Above the buyer's spending limit"))
        outbox_enqueue(task="orders.tasks.order_approval_needed", args=[order.pk])
        order.save(update_fields=["number"])
    else:
        _order_created(order, actor=actor)
        order.quote = _lock_fx_quote(order, actor=actor)
        order.save(update_fields=["number", "quote"])
    return order


@transaction.atomic
@payments_selectors.payments_read_once()
def order_place_from_cart(
    *,
    user: User,
    company: Company,
    membership: Membership | None,
    checkout_key: str,
    signature: str,
    destination: Address | None = None,
    channel: ShippingChannel | None = None,
    priced: selectors.PricedCart | None = None,
) -> Order:
    """Turn the cart into an order at the prices the merchant was shown.

    `priced` is the cart as the caller has just priced it (the checkout page prices it to show
    the landed cost): it is not priced again. Under the cart's lock its lines (ids, SKUs,
    quantities) must still be the cart's, or PricesChanged is raised; the signature still
    proves those prices are the ones the form showed.

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
    if priced is None:
        priced = selectors.priced_cart(cart=cart)
    elif set(cart.lines.values_list("pk", "product_id", "sku_id", "quantity")) != {
        (p.line.pk, p.line.product_id, p.line.sku_id, p.line.quantity) for p in priced.lines
    }:
        raise exceptions.PricesChanged
    if priced.is_empty:
        raise exceptions.CartEmpty
    if not priced.ok:
        raise exceptions.CartInvalid
    if priced.signature(destination and destination.pk, channel and channel.pk) != signature:
        raise exceptions.PricesChanged
    _check_destination(company, destination)
    lines = [
        _new_line(
            group.product,
            priced_line.line.sku,
            priced_line.line.quantity,
            priced_line.unit_price_cny,
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
            )
    except IntegrityError:
        # The same checkout key committed by a concurrent request that did not wait on the cart.
        return Order.objects.get(checkout_key=checkout_key, company=company)
    CartLine.objects.filter(pk__in=[p.line.pk for p in priced.lines]).delete()
    return order


@transaction.atomic
@payments_selectors.payments_read_once()
def order_quote_refresh(*, order: Order, actor: User | None) -> Order:
    """Lock a new FX quote for an order awaiting payment (the old one expired or is stale)."""
    order = _lock_order(order)
    if not order.awaits_payment:
        raise exceptions.InvalidTransition(_("Only an order awaiting payment gets a new quote."))
    order.quote = payments_services.fx_quote_create(
        company=order.company, amount=order.total_cny, with_fee=True, actor=actor
    )
    order.save(update_fields=["quote", "updated_at"])
    return order


def _checkout_key(order: Order) -> str:
    return f"{order.reference}:checkout"


@transaction.atomic
@payments_selectors.payments_read_once()
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
    given, order = order, _lock_order(order)
    # The caller's company and quote are not read again: neither row's figures change once the
    # quote is locked, and the quote itself is locked before it is used.
    if given.company_id == order.company_id:
        order.company = given.company
    if order.quote_id is not None and order.quote_id == given.quote_id:
        order.quote = given.quote
    if order.charge_id is not None:
        return order
    if not order.awaits_payment:
        raise exceptions.InvalidTransition(_("This order is not awaiting payment."))
    if order.quote_id is None:
        raise payments_exceptions.QuoteExpired
    if quote_id is not None and quote_id != order.quote_id:
        raise exceptions.PricesChanged(
            _("The quote was refreshed in another window. Check the amount and pay again.")
        )
    quote = order.quote
    if order.approved_at is None and order_needs_approval(membership, quote.total_charge):
        states.apply(
            order,
            to=OS.PENDING_APPROVAL,
            actor=actor,
            reason=phrase("Above the spending limit of the person paying"),
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
    states.apply(
        order, to=OS.PAID, actor=actor, changes={"charge": charge, "paid_at": timezone.now()}
    )
    _split_into_purchase_orders(order, actor=actor)
    outbox_enqueue(task="orders.tasks.order_paid", args=[order.pk])
    webhooks.order_paid(order)
    return order


def _split_into_purchase_orders(order: Order, *, actor: User | None) -> list[PurchaseOrder]:
    """One purchase order per supplier, lines copied, in supplier order.

    Written in three statements whatever the number of lines or suppliers (the purchase orders,
    their lines, their first timeline rows): the lines are copied by id, never re-read."""
    by_supplier: dict[int, list[OrderLine]] = {}
    for line in order.lines.order_by("pk"):
        by_supplier.setdefault(line.supplier_id, []).append(line)
    per_supplier = quantize(
        order.domestic_freight_cny / max(len(by_supplier), 1), SETTLEMENT_CURRENCY
    )
    supplier_ids = sorted(by_supplier)
    created = []
    for index, supplier_id in enumerate(supplier_ids):
        freight = per_supplier
        if index == len(supplier_ids) - 1:
            freight = order.domestic_freight_cny - per_supplier * (len(supplier_ids) - 1)
        created.append(
            PurchaseOrder(order=order, supplier_id=supplier_id, domestic_freight_cny=freight)
        )
    # Both PostgreSQL and SQLite (3.35+) return the new keys, which the lines need.
    created = PurchaseOrder.objects.bulk_create(created)
    PurchaseOrderLine.objects.bulk_create(
        PurchaseOrderLine(
            purchase_order=po,
            order_line=line,
            product_id=line.product_id,
            sku_id=line.sku_id,
            description=line.description,
            quantity=line.quantity,
            unit_price_cny=line.unit_price_cny,
        )
        for po in created
        for line in by_supplier[po.supplier_id]
    )
    _pos_created(created, actor=actor, reason=phrase("Created when the order was paid"))
    return created
