"""Reads for orders: the priced cart and the checkout's landed cost, orders, purchase orders,
sourcing requests and their threads, each scoped to a company where a merchant sees them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import Product, Supplier
from catalog.pricing import PriceQuote, price_quote
from logistics import rates
from logistics.models import Address, ShippingChannel
from orders import conf
from orders.models import (
    Cart,
    CartLine,
    InspectionPhoto,
    Message,
    Order,
    OrderEvent,
    OrderLine,
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    SourcingQuote,
    SourcingQuoteLine,
    SourcingRequest,
    SourcingRequestEvent,
)
from payments import pricing
from payments import selectors as payments_selectors
from payments.money import quantize
from procurement.accounts.currencies import SETTLEMENT_CURRENCY
from procurement.accounts.models import Company, User

ORDERS_PAGE_SIZE = 25

# --- Cart ----------------------------------------------------------------------------------------


def cart_for(*, user: User, company: Company) -> Cart | None:
    return Cart.objects.filter(user=user, company=company).first()


def cart_count(*, user: User, company: Company) -> int:
    """Number of lines in the user's cart for this company: one query.

    Every merchant page's navbar shows it, so the SQL is written out: the ORM spends about
    half a millisecond compiling the join each time, longer than the query runs."""
    quote = connection.ops.quote_name
    line, cart = CartLine._meta, Cart._meta
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {quote(line.db_table)} l"  # noqa: S608  # nosec B608
            f" JOIN {quote(cart.db_table)} c"
            f" ON c.{quote(cart.pk.column)} = l.{quote(line.get_field('cart').column)}"
            f" WHERE c.{quote(cart.get_field('user').column)} = %s"
            f" AND c.{quote(cart.get_field('company').column)} = %s",
            [user.pk, company.pk],
        )
        return cursor.fetchone()[0]


def cart_lines(*, cart: Cart) -> QuerySet[CartLine]:
    return (
        CartLine.objects.filter(cart=cart)
        .select_related("product__supplier", "sku")
        .prefetch_related("product__tiers")
        .order_by("product_id", "sku__position", "sku_id", "pk")
    )


@dataclass
class PricedLine:
    line: CartLine
    unit_price_cny: Decimal | None
    line_total_cny: Decimal
    seen_unit_price_cny: Decimal | None

    @property
    def price_changed(self) -> bool:
        return (
            self.seen_unit_price_cny is not None
            and self.unit_price_cny is not None
            and self.unit_price_cny != self.seen_unit_price_cny
        )


@dataclass
class ProductGroup:
    """All cart lines of one product: the tier comes from their total."""

    product: Product
    lines: list[PricedLine]
    quote: PriceQuote | None
    errors: list[str]

    @property
    def total_quantity(self) -> int:
        return sum(p.line.quantity for p in self.lines)

    @property
    def total_cny(self) -> Decimal:
        return sum((p.line_total_cny for p in self.lines), Decimal("0.00"))


@dataclass
class PricedCart:
    groups: list[ProductGroup]

    @property
    def lines(self) -> list[PricedLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def goods_cny(self) -> Decimal:
        return sum((group.total_cny for group in self.groups), Decimal("0.00"))

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def ok(self) -> bool:
        return bool(self.groups) and not any(group.errors for group in self.groups)

    @property
    def changed_lines(self) -> list[PricedLine]:
        return [line for line in self.lines if line.price_changed]

    @property
    def suppliers(self) -> list[Supplier]:
        seen: dict[int, Supplier] = {}
        for group in self.groups:
            seen.setdefault(group.product.supplier_id, group.product.supplier)
        return [seen[pk] for pk in sorted(seen)]

    def signature(self, *extra: object) -> str:
        """A digest of exactly what was priced and shown: any change in lines, quantities or
        prices (or in `extra`, such as the freight) gives another signature."""
        parts = [
            f"{p.line.pk}:{p.line.product_id}:{p.line.sku_id}:{p.line.quantity}:{p.unit_price_cny}"
            for p in self.lines
        ]
        parts += [str(item) for item in extra]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _visible(product: Product) -> bool:
    from catalog.models import Supplier

    return product.is_active and product.supplier.status == Supplier.Status.APPROVED


def price_cart_lines(lines: list[CartLine]) -> PricedCart:
    """Price cart lines product by product (catalog.pricing), with MOQ and multiple checks."""
    from django.utils.translation import gettext as _

    by_product: dict[int, list[CartLine]] = {}
    for line in lines:
        by_product.setdefault(line.product_id, []).append(line)
    groups = []
    for product_lines in by_product.values():
        product = product_lines[0].product
        errors: list[str] = []
        quote = None
        prices: dict[int, tuple[Decimal | None, Decimal]] = {}
        if not _visible(product):
            errors.append(_("This product is no longer available; remove it from your cart."))
        else:
            quantities = {line.sku: line.quantity for line in product_lines}
            quote = price_quote(product=product, quantities=quantities)
            errors.extend(quote.errors)
            by_sku = {(p.sku.pk if p.sku else None): p for p in quote.lines}
            for line in product_lines:
                priced = by_sku.get(line.sku_id)
                if priced is not None:
                    prices[line.pk] = (priced.unit_price_cny, priced.line_total_cny)
        priced_lines = [
            PricedLine(
                line=line,
                unit_price_cny=prices.get(line.pk, (None, Decimal("0.00")))[0],
                line_total_cny=prices.get(line.pk, (None, Decimal("0.00")))[1],
                seen_unit_price_cny=line.seen_unit_price_cny,
            )
            for line in product_lines
        ]
        groups.append(ProductGroup(product=product, lines=priced_lines, quote=quote, errors=errors))
    return PricedCart(groups=groups)


def priced_cart(*, cart: Cart | None) -> PricedCart:
    if cart is None:
        return PricedCart(groups=[])
    return price_cart_lines(list(cart_lines(cart=cart)))


# --- Landed cost ---------------------------------------------------------------------------------


@dataclass
class FreightEstimate:
    available: bool
    reason: str = ""
    chargeable_weight_kg: Decimal | None = None
    price_cny: Decimal | None = None
    price: Decimal | None = None
    missing_weight: list[str] = field(default_factory=list)


@dataclass
class LandedCost:
    """What the merchant sees before placing an order. Wallet-currency figures here are
    estimates at today's mid rate with the disclosed markup; the order's locked FX quote is what
    is charged."""

    currency: str
    goods_cny: Decimal
    supplier_count: int
    domestic_freight_cny: Decimal
    domestic_freight_per_supplier_cny: Decimal
    mid_rate: Decimal | None  # 1 wallet currency = x CNY
    markup_bps: int
    client_rate: Decimal | None
    goods_local: Decimal | None
    domestic_freight_local: Decimal | None
    markup_local: Decimal | None
    fee: payments_selectors.FeeQuote | None
    fee_local: Decimal | None
    freight: FreightEstimate | None
    # The one price (payments.pricing) the FX quote will charge; None without a rate.
    price: pricing.Price | None = None

    @property
    def total_cny(self) -> Decimal:
        return self.goods_cny + self.domestic_freight_cny

    @property
    def charge_local(self) -> Decimal | None:
        return self.price.charge if self.price else None

    @property
    def total_local(self) -> Decimal | None:
        return self.price.total if self.price else None


def _weights(
    items: list[tuple[Product, int]],
) -> tuple[Decimal, Decimal, list[str]]:
    weight, volume, missing = Decimal(0), Decimal(0), []
    for product, quantity in items:
        if product.weight_kg is None:
            missing.append(product.title_en)
            continue
        weight += product.weight_kg * quantity
        if product.length_cm and product.width_cm and product.height_cm:
            volume += product.length_cm * product.width_cm * product.height_cm * quantity
    return weight, volume, missing


def freight_estimate(
    *,
    items: list[tuple[Product, int]],
    destination: Address | None,
    channel: ShippingChannel | None,
    currency: str,
) -> FreightEstimate | None:
    """International freight for the goods by chargeable weight (logistics.rates), or None when
    no destination and channel were chosen ("shipping chosen later")."""
    if destination is None or channel is None:
        return None
    weight, volume, missing = _weights(items)
    if weight <= 0:
        from django.utils.translation import gettext as _

        return FreightEstimate(
            available=False,
            reason=_("No weights are known for these products yet."),
            missing_weight=missing,
        )
    quote = rates.quote_channel(
        channel=channel,
        destination_country=destination.country.code,
        weight_kg=weight,
        volume_cm3=volume,
        # The products' hazards: the same rule that refuses the parcel later.
        restricted={hazard for product, _quantity in items for hazard in product.hazards or ()},
        currency=currency,
    )
    return FreightEstimate(
        available=quote.available,
        reason=quote.reason,
        chargeable_weight_kg=quote.chargeable_weight_kg,
        price_cny=quote.price_cny,
        price=quote.price,
        missing_weight=missing,
    )


def landed_cost(
    *,
    company: Company,
    goods_cny: Decimal,
    supplier_count: int,
    freight: FreightEstimate | None = None,
) -> LandedCost:
    """Priced by `payments.pricing.price()`, as the order's FX quote will be: at today's rates,
    what is shown here is what the quote charges."""
    currency = company.wallet_currency
    per_supplier = conf.domestic_freight_cny()
    domestic = quantize(per_supplier * supplier_count, SETTLEMENT_CURRENCY)
    total_cny = goods_cny + domestic
    mid = payments_selectors.fx_mid_rate(from_currency=currency, to_currency=SETTLEMENT_CURRENCY)
    markup = (
        0
        if currency == SETTLEMENT_CURRENCY
        else payments_selectors.fx_markup_bps(currency=currency)
    )
    price = fee = None
    if mid:
        usd = payments_selectors.convert_for_display(
            amount=total_cny, from_currency=SETTLEMENT_CURRENCY, to_currency="USD"
        )
        if usd is not None and total_cny > 0:
            fee = payments_selectors.fee_quote(company=company, amount_usd=usd)
        price = pricing.price(
            amount=total_cny,
            currency=currency,
            goods_currency=SETTLEMENT_CURRENCY,
            mid_rate=mid,
            markup_bps=markup,
            fee_bps=fee.rate_bps if fee is not None else 0,
            minimum_fee_usd=fee.minimum_fee_usd if fee is not None else Decimal(0),
            usd_rate=(
                payments_selectors.fx_mid_rate(from_currency="USD", to_currency=currency)
                if fee is not None
                else None
            ),
        )
    return LandedCost(
        currency=currency,
        goods_cny=goods_cny,
        supplier_count=supplier_count,
        domestic_freight_cny=domestic,
        domestic_freight_per_supplier_cny=per_supplier,
        mid_rate=price.mid_rate if price else None,
        markup_bps=markup,
        client_rate=price.client_rate if price else None,
        goods_local=price.at_client_rate(goods_cny) if price else None,
        domestic_freight_local=price.at_client_rate(domestic) if price else None,
        markup_local=price.markup_amount if price else None,
        fee=fee,
        fee_local=price.fee if price and fee is not None else None,
        freight=freight,
        price=price,
    )


# --- Orders --------------------------------------------------------------------------------------


def orders_of(*, company: Company) -> QuerySet[Order]:
    return Order.objects.filter(company=company)


def _count_of(model, field: str) -> Coalesce:
    """How many `model` rows point at the outer row by `field`, as a scalar subquery."""
    counted = (
        model.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted), 0)


def order_list(
    *,
    company: Company,
    status: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    search: str = "",
) -> QuerySet[Order]:
    """The company's orders, newest first, with what the list shows fetched in the same query."""
    # The counts as correlated subqueries, not joins grouped by order: the page's own count
    # (the paginator's) then drops them and reads the orders alone, and a page reads only its
    # 25 orders' lines and purchase orders instead of grouping every order of the company.
    qs = (
        orders_of(company=company)
        .select_related("created_by")
        .annotate(
            line_count=_count_of(OrderLine, "order"),
            po_count=_count_of(PurchaseOrder, "order"),
        )
        .order_by("-created_at", "-pk")
    )
    if status:
        qs = qs.filter(status=status)
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(created_at__gte=datetime.combine(date_from, time.min, tzinfo=tz))
    if date_to:
        qs = qs.filter(
            created_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
        )
    search = search.strip()
    if search:
        digits = search.upper().removeprefix("ORD-").lstrip("0")
        condition = Q(number__iexact=search)
        if digits.isdigit():
            condition |= Q(pk=int(digits))
        qs = qs.filter(condition)
    return qs


def order_detail(*, company: Company, pk: int) -> Order:
    """Raises Order.DoesNotExist for another company's order."""
    return (
        orders_of(company=company)
        .select_related("created_by", "approved_by", "quote", "destination", "shipping_channel")
        .prefetch_related(
            # Products and SKUs: the lines show their titles in the merchant's language.
            Prefetch(
                "lines", queryset=OrderLine.objects.select_related("supplier", "product", "sku")
            ),
            Prefetch(
                "purchase_orders",
                queryset=PurchaseOrder.objects.select_related("supplier")
                .prefetch_related(
                    Prefetch(
                        "lines",
                        queryset=PurchaseOrderLine.objects.select_related("product", "sku")
                        .prefetch_related("photos")
                        .order_by("pk"),
                    )
                )
                .order_by("pk"),
            ),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
            Prefetch("messages", queryset=Message.objects.select_related("author")),
        )
        .get(pk=pk)
    )


def order_purchase_order_events(*, order: Order) -> QuerySet[PurchaseOrderEvent]:
    return (
        PurchaseOrderEvent.objects.filter(purchase_order__order=order)
        .select_related("actor", "purchase_order")
        .order_by("created_at", "pk")
    )


def purchase_order_of(*, company: Company, pk: int) -> PurchaseOrder:
    return (
        PurchaseOrder.objects.filter(order__company=company)
        .select_related("order", "supplier")
        .get(pk=pk)
    )


def purchase_order_line_of(*, company: Company, pk: int) -> PurchaseOrderLine:
    """Raises PurchaseOrderLine.DoesNotExist for another company's line."""
    return PurchaseOrderLine.objects.select_related("purchase_order__order").get(
        pk=pk, purchase_order__order__company=company
    )


def inspection_photo_of(*, company: Company, pk: int) -> InspectionPhoto:
    """Raises InspectionPhoto.DoesNotExist for a photo of another company's goods."""
    return InspectionPhoto.objects.get(pk=pk, line__purchase_order__order__company=company)


def approvals_pending(*, company: Company) -> QuerySet[Order]:
    return (
        orders_of(company=company)
        .filter(status=Order.Status.PENDING_APPROVAL)
        .select_related("created_by")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("supplier")))
        .order_by("created_at", "pk")
    )


# --- Sourcing ------------------------------------------------------------------------------------


def sourcing_requests_of(*, company: Company) -> QuerySet[SourcingRequest]:
    return (
        SourcingRequest.objects.filter(company=company)
        .select_related("created_by")
        .annotate(quote_count=Count("quotes", filter=~Q(quotes__status="draft")))
        .order_by("-created_at", "-pk")
    )


def sourcing_request_detail(*, company: Company, pk: int) -> SourcingRequest:
    return (
        SourcingRequest.objects.filter(company=company)
        .select_related("created_by", "assigned_to", "product")
        .prefetch_related(
            "photos",
            Prefetch(
                "quotes",
                queryset=SourcingQuote.objects.exclude(status=SourcingQuote.Status.DRAFT)
                .prefetch_related(
                    Prefetch(
                        "lines", queryset=SourcingQuoteLine.objects.select_related("supplier")
                    ),
                    "orders",
                )
                .order_by("-created_at", "-pk"),
            ),
            Prefetch("events", queryset=SourcingRequestEvent.objects.select_related("actor")),
            Prefetch("messages", queryset=Message.objects.select_related("author")),
        )
        .get(pk=pk)
    )


def sourcing_quote_of(*, company: Company, pk: int) -> SourcingQuote:
    return (
        SourcingQuote.objects.filter(request__company=company)
        .exclude(status=SourcingQuote.Status.DRAFT)
        .select_related("request")
        .get(pk=pk)
    )


# --- Receiving -----------------------------------------------------------------------------------


def purchase_order_find(*, query: str) -> QuerySet[PurchaseOrder]:
    """Purchase orders matching what warehouse staff scan or type: the supplier's domestic
    tracking number, our PO number ("PO-12" or "12") or the 1688 order number."""
    query = query.strip()
    if not query:
        return PurchaseOrder.objects.none()
    condition = Q(tracking_number__iexact=query) | Q(supplier_order_no__iexact=query)
    digits = query.upper().removeprefix("PO-").removeprefix("PO")
    if digits.isdigit():
        condition |= Q(pk=int(digits))
    return (
        PurchaseOrder.objects.filter(condition)
        .select_related("order__company", "supplier", "warehouse")
        .order_by("status_changed_at", "pk")
    )


# --- Supplier performance ------------------------------------------------------------------------


@dataclass(frozen=True)
class PurchaseOrderPerformance:
    """What one placed purchase order says about its supplier."""

    dispatched_on_time: bool | None  # None until the supplier ships
    cancelled: bool
    lines_inspected: int
    lines_failed: int
    units_inspected: int
    units_defective: int


def promised_dispatch_days(po: PurchaseOrder) -> int:
    """The longest lead time quoted for this supplier's lines when the order came from a
    sourcing quote; otherwise ORDERS_SUPPLIER_DISPATCH_DAYS."""
    quote_id = po.order.sourcing_quote_id
    if quote_id is not None:
        days = [
            line.lead_time_days
            for line in SourcingQuoteLine.objects.filter(
                quote_id=quote_id, supplier_id=po.supplier_id
            )
        ]
        if days:
            return max(days)
    return conf.supplier_dispatch_days()


def purchase_order_performance(po: PurchaseOrder) -> PurchaseOrderPerformance:
    """On time: shipped (first shipment) within the promised days of placement. Defects count
    every inspection, replacements included: a line that failed and was replaced stays a
    failure. Units are the line's ordered quantity per inspection."""
    on_time = None
    if po.placed_at is not None and po.shipped_at is not None:
        on_time = po.shipped_at - po.placed_at <= timedelta(days=promised_dispatch_days(po))
    lines = list(po.lines.all())
    return PurchaseOrderPerformance(
        dispatched_on_time=on_time,
        cancelled=po.status == PurchaseOrder.Status.CANCELLED,
        lines_inspected=sum(line.times_inspected for line in lines),
        lines_failed=sum(line.times_failed for line in lines),
        units_inspected=sum(line.quantity * line.times_inspected for line in lines),
        units_defective=sum(line.quantity * line.times_failed for line in lines),
    )
