"""Stock, parcels with tracking, dropshipping parcels, and the wallet, through the API."""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from logistics import selectors, services
from logistics.models import Address, Parcel
from payments import selectors as payments_selectors
from procurement.api_common import (
    ERRORS,
    READ_ERRORS,
    ApiError,
    KeyAuth,
    Money,
    id_cursor,
    idempotent,
    money,
    not_found,
    page_limit,
)

router = Router(tags=["logistics"])
wallet_router = Router(tags=["wallet"], auth=KeyAuth("wallet:read"))

LOGISTICS_READ = KeyAuth("logistics:read")
LOGISTICS_WRITE = KeyAuth("logistics:write")


class StockItemOut(Schema):
    id: int
    description: str
    quantity: int
    status: str
    warehouse: str
    weight_kg: str
    length_cm: str
    width_cm: str
    height_cm: str
    source_reference: str
    arrived_at: datetime
    free_storage_until: str
    parcel_id: int | None


class StockPage(Schema):
    items: list[StockItemOut]
    next_cursor: str | None


class TrackingEventOut(Schema):
    kind: str
    occurred_at: datetime
    description: str
    location: str


class ParcelOut(Schema):
    id: int
    reference: str
    status: str
    destination_id: int
    channel_id: int
    tracking_number: str
    estimated_freight: Money | None
    actual_freight: Money | None
    created_at: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None


class ParcelDetailOut(ParcelOut):
    item_ids: list[int]
    events: list[dict]
    tracking_events: list[TrackingEventOut]


class ParcelPage(Schema):
    items: list[ParcelOut]
    next_cursor: str | None


class AddressIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    company_name: str = Field("", max_length=160)
    phone: str = Field(..., min_length=1, max_length=32)
    line1: str = Field(..., min_length=1, max_length=200)
    line2: str = Field("", max_length=200)
    city: str = Field(..., min_length=1, max_length=100)
    region: str = Field("", max_length=100)
    postcode: str = Field("", max_length=12)
    country: str = Field(..., min_length=2, max_length=2)


class ParcelIn(Schema):
    """Either `address_id` from the address book or `address`, an end customer's address
    (dropshipping) that is saved to the book."""

    item_ids: list[int] = Field(..., min_length=1, max_length=200)
    channel_id: int
    address_id: int | None = None
    address: AddressIn | None = None
    insured_value: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    request_packing: bool = False


class BalanceOut(Schema):
    balance: Money


class StatementLineOut(Schema):
    id: int
    created_at: datetime
    kind: str
    memo: str
    reference: str
    amount: Money
    balance_after: Money


class StatementPage(Schema):
    items: list[StatementLineOut]
    next_cursor: str | None


def _parcel(parcel: Parcel) -> dict:
    return {
        "id": parcel.pk,
        "reference": parcel.reference,
        "status": parcel.status,
        "destination_id": parcel.destination_id,
        "channel_id": parcel.channel_id,
        "tracking_number": parcel.tracking_number,
        "estimated_freight": money(parcel.estimated_freight, parcel.currency),
        "actual_freight": money(parcel.actual_freight, parcel.currency),
        "created_at": parcel.created_at,
        "shipped_at": parcel.shipped_at,
        "delivered_at": parcel.delivered_at,
    }


def _parcel_detail(company, pk: int) -> dict:
    try:
        parcel = selectors.parcel_detail(company=company, pk=pk)
    except Parcel.DoesNotExist as error:
        raise not_found() from error
    data = _parcel(parcel)
    data.update(
        item_ids=[item.pk for item in parcel.items.all()],
        events=[
            {
                "from_status": e.from_status,
                "to_status": e.to_status,
                "note": e.note,
                "created_at": e.created_at.isoformat(),
            }
            for e in parcel.events.all()
        ],
        tracking_events=[
            {
                "kind": t.kind,
                "occurred_at": t.occurred_at,
                "description": t.description,
                "location": t.location,
            }
            for t in parcel.tracking_events.all()
        ],
    )
    return data


@router.get("/stock", response={200: StockPage, **READ_ERRORS}, auth=LOGISTICS_READ)
def stock_list(
    request,
    status: Literal["", "in_stock", "reserved", "shipped"] = "",
    cursor: str = "",
    limit: int = 50,
):
    qs = selectors.stock_of(company=request.auth.company, status=status or None)
    after = id_cursor(cursor)
    if after is not None:
        qs = qs.filter(pk__lt=after)
    size = page_limit(limit)
    rows = list(qs.order_by("-pk")[: size + 1])
    items = rows[:size]
    return {
        "items": [
            {
                "id": item.pk,
                "description": item.description,
                "quantity": item.quantity,
                "status": item.status,
                "warehouse": item.warehouse.code,
                "weight_kg": str(item.weight_kg),
                "length_cm": str(item.length_cm),
                "width_cm": str(item.width_cm),
                "height_cm": str(item.height_cm),
                "source_reference": item.source_reference,
                "arrived_at": item.arrived_at,
                "free_storage_until": item.free_storage_until.isoformat(),
                "parcel_id": item.parcel_id,
            }
            for item in items
        ],
        "next_cursor": str(items[-1].pk) if len(rows) > size else None,
    }


@router.get("/parcels", response={200: ParcelPage, **READ_ERRORS}, auth=LOGISTICS_READ)
def parcel_list(request, cursor: str = "", limit: int = 50):
    qs = selectors.parcels_of(company=request.auth.company)
    after = id_cursor(cursor)
    if after is not None:
        qs = qs.filter(pk__lt=after)
    size = page_limit(limit)
    rows = list(qs.order_by("-pk")[: size + 1])
    items = rows[:size]
    return {
        "items": [_parcel(p) for p in items],
        "next_cursor": str(items[-1].pk) if len(rows) > size else None,
    }


@router.get(
    "/parcels/{parcel_id}", response={200: ParcelDetailOut, **READ_ERRORS}, auth=LOGISTICS_READ
)
def parcel_detail(request, parcel_id: int):
    return _parcel_detail(request.auth.company, parcel_id)


@router.post("/parcels", response={201: ParcelDetailOut, **ERRORS}, auth=LOGISTICS_WRITE)
def parcel_create(request, payload: ParcelIn):
    """A parcel of stored items to an address; with `address` it ships to an end customer
    (dropshipping). With `request_packing: true` the freight estimate is charged at once."""
    key = request.auth
    company = key.company
    if (payload.address_id is None) == (payload.address is None):
        raise ApiError(422, "invalid", _("Give either address_id or address."), "address")

    def run() -> dict:
        channel = (
            selectors.channels_for_company(company=company).filter(pk=payload.channel_id).first()
        )
        if channel is None:
            raise ApiError(404, "not_found", _("Not found."), "channel_id")
        if payload.address is not None:
            destination = services.address_create(
                company=company,
                kind=Address.Kind.END_CUSTOMER,
                **payload.address.dict(),
            )
        else:
            destination = (
                selectors.destinations_for_company(company=company)
                .filter(pk=payload.address_id)
                .first()
            )
            if destination is None:
                raise ApiError(404, "not_found", _("Not found."), "address_id")
        parcel = services.parcel_create(
            company=company,
            actor=key.created_by,
            destination=destination,
            channel=channel,
            item_ids=payload.item_ids,
            insured_value=payload.insured_value,
        )
        if payload.request_packing:
            services.parcel_request_packing(parcel=parcel, actor=key.created_by)
        return _parcel_detail(company, parcel.pk)

    return idempotent(request, status=201, run=run)


# --- wallet --------------------------------------------------------------------------------------


@wallet_router.get("/wallet", response={200: list[BalanceOut], **READ_ERRORS})
def wallet_balances(request):
    company = request.auth.company
    accounts = list(payments_selectors.wallet_accounts(company=company))
    if not accounts:
        return [{"balance": money(Decimal(0), company.wallet_currency)}]
    return [{"balance": money(a.balance, a.currency)} for a in accounts]


@wallet_router.get("/wallet/statement", response={200: StatementPage, **READ_ERRORS})
def wallet_statement(request, currency: str = "", cursor: str = "", limit: int = 50):
    qs = payments_selectors.wallet_statement(
        company=request.auth.company, currency=currency.upper()[:3] or None
    )
    after = id_cursor(cursor)
    if after is not None:
        qs = qs.filter(pk__lt=after)
    size = page_limit(limit)
    rows = list(qs[: size + 1])
    items = rows[:size]
    return {
        "items": [
            {
                "id": p.pk,
                "created_at": p.transaction.created_at,
                "kind": p.transaction.kind,
                "memo": p.transaction.memo,
                "reference": p.transaction.reference,
                "amount": money(p.amount, p.currency),
                "balance_after": money(p.balance_after, p.currency),
            }
            for p in items
        ],
        "next_cursor": str(items[-1].pk) if len(rows) > size else None,
    }
