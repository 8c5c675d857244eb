"""Orders, purchase orders and sourcing through the API, by the same services as the pages."""

import uuid
from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from logistics import selectors as logistics_selectors
from logistics.models import Address, ShippingChannel
from orders import selectors, services
from orders.exceptions import LineRefused
from orders.models import (
    Order,
    PurchaseOrder,
    PurchaseOrderEvent,
    SourcingQuote,
    SourcingRequest,
)
from payments.api import Money, money
from procurement.accounts.api import KeyAuth
from procurement.accounts.currencies import SETTLEMENT_CURRENCY
from procurement.core.api import (
    ERRORS,
    READ_ERRORS,
    ApiError,
    BodyIn,
    Id,
    IdempotencyKey,
    IdPath,
    KeysetPagination,
    Listing,
    PositiveAmountIn,
    idempotent,
    not_found,
)

router = Router(tags=["orders"])
sourcing_router = Router(tags=["sourcing"])

ORDERS_READ = KeyAuth("orders:read")
ORDERS_WRITE = KeyAuth("orders:write")
SOURCING_READ = KeyAuth("sourcing:read")
SOURCING_WRITE = KeyAuth("sourcing:write")
MAX_LINES = 200


# --- schemas -------------------------------------------------------------------------------------


class EventOut(Schema):
    from_status: str
    to_status: str
    reason: str
    created_at: datetime


class OrderLineOut(Schema):
    id: int
    product_id: int | None
    sku_id: int | None
    sku_code: str
    description: str
    quantity: int
    unit_price: Money
    line_total: Money


class PurchaseOrderOut(Schema):
    id: int
    order_id: int
    supplier_id: int
    status: str
    status_changed_at: datetime
    tracking_number: str
    events: list[EventOut]


class FxQuoteOut(Schema):
    id: int
    client_rate: str
    charge: Money
    fee: Money
    total: Money
    expires_at: datetime


class OrderOut(Schema):
    id: int
    number: str
    status: str
    source: str
    created_at: datetime
    paid_at: datetime | None
    goods: Money
    domestic_freight: Money
    total_cny: Money
    estimated_total: Money | None
    fx_quote: FxQuoteOut | None
    destination_id: int | None
    channel_id: int | None


class OrderDetailOut(OrderOut):
    lines: list[OrderLineOut]
    purchase_orders: list[PurchaseOrderOut]
    events: list[EventOut]


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None


class LineIn(BodyIn):
    product_id: Id
    sku_id: Id | None = None
    quantity: int = Field(..., ge=1, le=10_000_000)


class OrderIn(BodyIn):
    lines: list[LineIn] = Field(..., min_length=1, max_length=MAX_LINES)
    destination_id: Id | None = None
    channel_id: Id | None = None
    pay: bool = False


class PayIn(BodyIn):
    quote_id: Id | None = None


class SourcingRequestIn(BodyIn):
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    links: list[str] = Field(default_factory=list, max_length=50)
    target_quantity: int | None = Field(None, ge=1, le=100_000_000)
    target_unit_price: PositiveAmountIn | None = Field(
        None, description="A decimal string in the company's wallet currency."
    )


class QuoteLineOut(Schema):
    supplier_id: int
    product_id: int | None
    description: str
    quantity: int
    moq: int
    unit_price: Money
    lead_time_days: int


class SourcingQuoteOut(Schema):
    id: int
    status: str
    valid_until: datetime
    note: str
    sent_at: datetime | None
    lines: list[QuoteLineOut]
    order_id: int | None


class SourcingRequestOut(Schema):
    id: int
    status: str
    title: str
    description: str
    links: list[dict]
    target_quantity: int | None
    target_unit_price: Money | None
    created_at: datetime


class SourcingRequestDetailOut(SourcingRequestOut):
    quotes: list[SourcingQuoteOut]
    events: list[EventOut]


class SourcingPage(Schema):
    items: list[SourcingRequestOut]
    next_cursor: str | None


# --- serialisers ---------------------------------------------------------------------------------


def _cny(amount: Decimal) -> dict:
    return money(amount, SETTLEMENT_CURRENCY)


def _events(rows) -> list[dict]:
    return [
        {
            "from_status": e.from_status,
            "to_status": e.to_status,
            "reason": e.reason,
            "created_at": e.created_at,
        }
        for e in rows
    ]


def _order(order: Order) -> dict:
    quote = order.quote
    return {
        "id": order.pk,
        "number": order.number,
        "status": order.status,
        "source": order.source,
        "created_at": order.created_at,
        "paid_at": order.paid_at,
        "goods": _cny(order.goods_cny),
        "domestic_freight": _cny(order.domestic_freight_cny),
        "total_cny": _cny(order.total_cny),
        "estimated_total": money(order.estimated_total, order.currency),
        "fx_quote": None
        if quote is None
        else {
            "id": quote.pk,
            "client_rate": str(quote.client_rate),
            "charge": money(quote.charge_amount, quote.from_currency),
            "fee": money(quote.fee_amount, quote.from_currency),
            "total": money(quote.total_charge, quote.from_currency),
            "expires_at": quote.expires_at,
        },
        "destination_id": order.destination_id,
        "channel_id": order.shipping_channel_id,
    }


def _purchase_order(po: PurchaseOrder, events) -> dict:
    return {
        "id": po.pk,
        "order_id": po.order_id,
        "supplier_id": po.supplier_id,
        "status": po.status,
        "status_changed_at": po.status_changed_at,
        "tracking_number": po.tracking_number,
        "events": _events(events),
    }


def _order_detail(order: Order) -> dict:
    po_events: dict[int, list] = {}
    for event in selectors.order_purchase_order_events(order=order):
        po_events.setdefault(event.purchase_order_id, []).append(event)
    data = _order(order)
    data.update(
        lines=[
            {
                "id": line.pk,
                "product_id": line.product_id,
                "sku_id": line.sku_id,
                "sku_code": line.sku_code,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": _cny(line.unit_price_cny),
                "line_total": _cny(line.line_total_cny),
            }
            for line in order.lines.all()
        ],
        purchase_orders=[
            _purchase_order(po, po_events.get(po.pk, [])) for po in order.purchase_orders.all()
        ],
        events=_events(sorted(order.events.all(), key=lambda e: (e.created_at, e.pk))),
    )
    return data


def _order_of(request, pk: int) -> Order:
    try:
        return selectors.order_detail(company=request.auth.company, pk=pk)
    except Order.DoesNotExist as error:
        raise not_found() from error


# --- orders --------------------------------------------------------------------------------------


# What one row of the order list reads: the order's own columns and its quote's, by one join.
_ORDER_ROW = (
    "id",
    "number",
    "status",
    "source",
    "created_at",
    "paid_at",
    "goods_cny",
    "domestic_freight_cny",
    "currency",
    "estimated_total",
    "destination_id",
    "shipping_channel_id",
    "quote_id",
    "quote__client_rate",
    "quote__charge_amount",
    "quote__fee_amount",
    "quote__from_currency",
    "quote__expires_at",
)


def _order_row(row: dict) -> dict:
    """`_order` from a row of `_ORDER_ROW`: the same answer without an Order or an FxQuote
    built per row."""
    goods, freight = row["goods_cny"], row["domestic_freight_cny"]
    quote = None
    if row["quote_id"] is not None:
        pay_in = row["quote__from_currency"]
        charge, fee = row["quote__charge_amount"], row["quote__fee_amount"]
        quote = {
            "id": row["quote_id"],
            "client_rate": str(row["quote__client_rate"]),
            "charge": money(charge, pay_in),
            "fee": money(fee, pay_in),
            "total": money(charge + fee, pay_in),
            "expires_at": row["quote__expires_at"],
        }
    return {
        "id": row["id"],
        "number": row["number"],
        "status": row["status"],
        "source": row["source"],
        "created_at": row["created_at"],
        "paid_at": row["paid_at"],
        "goods": _cny(goods),
        "domestic_freight": _cny(freight),
        "total_cny": _cny(goods + freight),
        "estimated_total": money(row["estimated_total"], row["currency"]),
        "fx_quote": quote,
        "destination_id": row["destination_id"],
        "channel_id": row["shipping_channel_id"],
    }


@router.get("/orders", response={200: OrderPage, **READ_ERRORS}, auth=ORDERS_READ)
@paginate(KeysetPagination)
def order_list(request, status: str = ""):
    # One query of plain rows (the page's own columns and its quote's): no lines or purchase
    # orders counted, no model built per order; the rows are written as OrderPage declares.
    orders = selectors.orders_of(company=request.auth.company)
    if status:
        orders = orders.filter(status=status)
    return Listing(orders.values(*_ORDER_ROW), show=_order_row, direct=True)


@router.get("/orders/{order_id}", response={200: OrderDetailOut, **READ_ERRORS}, auth=ORDERS_READ)
def order_detail(request, order_id: IdPath):
    return _order_detail(_order_of(request, order_id))


def _destination(request, payload: OrderIn) -> tuple[Address | None, ShippingChannel | None]:
    company = request.auth.company
    destination = channel = None
    if payload.destination_id is not None:
        destination = (
            logistics_selectors.destinations_for_company(company=company)
            .filter(pk=payload.destination_id)
            .first()
        )
        if destination is None:
            raise ApiError(404, "not_found", _("Not found."), "destination_id")
    if payload.channel_id is not None:
        channel = (
            logistics_selectors.channels_for_company(company=company)
            .filter(pk=payload.channel_id)
            .first()
        )
        if channel is None:
            raise ApiError(404, "not_found", _("Not found."), "channel_id")
    return destination, channel


@router.post("/orders", response={201: OrderDetailOut, **ERRORS}, auth=ORDERS_WRITE)
def order_create(request, payload: OrderIn, idempotency_key: IdempotencyKey = ""):
    """Place an order from lines (no cart), priced and checked by the service checkout uses; with
    `pay: true` it is also paid from the wallet at its locked FX quote, all or nothing.
    Orders above the key creator's spending limit wait for an approver."""
    key = request.auth

    def run() -> dict:
        destination, channel = _destination(request, payload)
        try:
            order = services.order_place_from_lines(
                company=key.company,
                actor=key.created_by,
                membership=key.membership,
                lines=[
                    services.RequestedLine(
                        product_id=line.product_id, sku_id=line.sku_id, quantity=line.quantity
                    )
                    for line in payload.lines
                ],
                checkout_key=f"api:{uuid.uuid4().hex}",
                destination=destination,
                channel=channel,
            )
        except LineRefused as error:
            raise ApiError(
                error.status, error.code, error.message, f"lines[{error.index}].{error.field}"
            ) from error
        if payload.pay and order.status == Order.Status.AWAITING_PAYMENT:
            services.order_pay(order=order, actor=key.created_by, membership=key.membership)
        return _order_detail(selectors.order_detail(company=key.company, pk=order.pk))

    return idempotent(request, status=201, run=run)


@router.post("/orders/{order_id}/pay", response={200: OrderDetailOut, **ERRORS}, auth=ORDERS_WRITE)
def order_pay(request, order_id: IdPath, payload: PayIn, idempotency_key: IdempotencyKey = ""):
    """Pay an order awaiting payment from the wallet at its locked quote, exactly once."""
    key = request.auth
    order = _order_of(request, order_id)

    def run() -> dict:
        services.order_pay(
            order=order, actor=key.created_by, membership=key.membership, quote_id=payload.quote_id
        )
        return _order_detail(selectors.order_detail(company=key.company, pk=order.pk))

    return idempotent(request, status=200, run=run)


@router.get(
    "/purchase-orders/{purchase_order_id}",
    response={200: PurchaseOrderOut, **READ_ERRORS},
    auth=ORDERS_READ,
)
def purchase_order_detail(request, purchase_order_id: IdPath):
    try:
        po = selectors.purchase_order_of(company=request.auth.company, pk=purchase_order_id)
    except PurchaseOrder.DoesNotExist as error:
        raise not_found() from error
    events = PurchaseOrderEvent.objects.filter(purchase_order=po).order_by("created_at", "pk")
    return _purchase_order(po, events)


# --- sourcing ------------------------------------------------------------------------------------


def _sourcing_request(request_obj: SourcingRequest) -> dict:
    return {
        "id": request_obj.pk,
        "status": request_obj.status,
        "title": request_obj.title,
        "description": request_obj.description,
        "links": request_obj.links,
        "target_quantity": request_obj.target_quantity,
        "target_unit_price": money(request_obj.target_unit_price, request_obj.target_currency)
        if request_obj.target_unit_price is not None and request_obj.target_currency
        else None,
        "created_at": request_obj.created_at,
    }


def _quote(quote: SourcingQuote) -> dict:
    order = next(iter(quote.orders.all()), None)
    return {
        "id": quote.pk,
        "status": quote.status,
        "valid_until": quote.valid_until,
        "note": quote.note,
        "sent_at": quote.sent_at,
        "lines": [
            {
                "supplier_id": line.supplier_id,
                "product_id": line.product_id,
                "description": line.description,
                "quantity": line.quantity,
                "moq": line.moq,
                "unit_price": _cny(line.unit_price_cny),
                "lead_time_days": line.lead_time_days,
            }
            for line in quote.lines.all()
        ],
        "order_id": order.pk if order else None,
    }


def _sourcing_detail(company, pk: int) -> dict:
    try:
        obj = selectors.sourcing_request_detail(company=company, pk=pk)
    except SourcingRequest.DoesNotExist as error:
        raise not_found() from error
    data = _sourcing_request(obj)
    data.update(
        quotes=[_quote(q) for q in obj.quotes.all()],
        events=_events(sorted(obj.events.all(), key=lambda e: (e.created_at, e.pk))),
    )
    return data


@sourcing_router.get(
    "/sourcing-requests", response={200: SourcingPage, **READ_ERRORS}, auth=SOURCING_READ
)
@paginate(KeysetPagination)
def sourcing_request_list(request):
    requests = selectors.sourcing_requests_of(company=request.auth.company)
    return Listing(requests, show=_sourcing_request)


@sourcing_router.get(
    "/sourcing-requests/{request_id}",
    response={200: SourcingRequestDetailOut, **READ_ERRORS},
    auth=SOURCING_READ,
)
def sourcing_request_detail(request, request_id: IdPath):
    return _sourcing_detail(request.auth.company, request_id)


@sourcing_router.post(
    "/sourcing-requests",
    response={201: SourcingRequestDetailOut, **ERRORS},
    auth=SOURCING_WRITE,
)
def sourcing_request_create(
    request, payload: SourcingRequestIn, idempotency_key: IdempotencyKey = ""
):
    """Ask for a quote from 1688, Taobao or Tmall links, or a description."""
    key = request.auth

    def run() -> dict:
        created = services.sourcing_request_create(
            company=key.company,
            actor=key.created_by,
            title=payload.title,
            description=payload.description,
            links_text="\n".join(link.replace("\n", " ") for link in payload.links),
            target_quantity=payload.target_quantity,
            target_unit_price=payload.target_unit_price,
        )
        return _sourcing_detail(key.company, created.pk)

    return idempotent(request, status=201, run=run)


@sourcing_router.post(
    "/sourcing-quotes/{quote_id}/accept",
    response={201: OrderDetailOut, **ERRORS},
    auth=SOURCING_WRITE,
)
def sourcing_quote_accept(request, quote_id: IdPath, idempotency_key: IdempotencyKey = ""):
    """Accept a quote: it becomes an order at the quoted prices (once), awaiting payment."""
    key = request.auth
    try:
        quote = selectors.sourcing_quote_of(company=key.company, pk=quote_id)
    except SourcingQuote.DoesNotExist as error:
        raise not_found() from error

    def run() -> dict:
        order = services.sourcing_quote_accept(
            quote=quote, actor=key.created_by, membership=key.membership
        )
        return _order_detail(selectors.order_detail(company=key.company, pk=order.pk))

    return idempotent(request, status=201, run=run)
