"""Stock, parcels with tracking and dropshipping parcels through the API, by the same services
as the pages."""

from datetime import datetime
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from logistics import selectors, services
from logistics.models import Address, Parcel
from payments.api import Money, money
from procurement.accounts.api import KeyAuth
from procurement.core.api import (
    ERRORS,
    READ_ERRORS,
    AmountIn,
    ApiError,
    BodyIn,
    Id,
    IdempotencyKey,
    IdPath,
    KeysetPagination,
    Listing,
    idempotent,
    not_found,
)

router = Router(tags=["logistics"])

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


class AddressIn(BodyIn):
    name: str = Field(..., min_length=1, max_length=120)
    company_name: str = Field("", max_length=160)
    phone: str = Field(..., min_length=1, max_length=32)
    line1: str = Field(..., min_length=1, max_length=200)
    line2: str = Field("", max_length=200)
    city: str = Field(..., min_length=1, max_length=100)
    region: str = Field("", max_length=100)
    postcode: str = Field("", max_length=12)
    country: str = Field(..., min_length=2, max_length=2)


class ParcelIn(BodyIn):
    """Either `address_id` from the address book or `address`, an end customer's address
    (dropshipping) that is saved to the book."""

    item_ids: list[Id] = Field(..., min_length=1, max_length=200)
    channel_id: Id
    address_id: Id | None = None
    address: AddressIn | None = None
    insured_value: AmountIn | None = Field(
        None, description="A decimal string in the company's wallet currency."
    )
    request_packing: bool = False


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


def _stock_item(item) -> dict:
    return {
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


@router.get("/stock", response={200: StockPage, **READ_ERRORS}, auth=LOGISTICS_READ)
@paginate(KeysetPagination)
def stock_list(request, status: Literal["", "in_stock", "reserved", "shipped"] = ""):
    items = selectors.stock_of(company=request.auth.company, status=status or None)
    return Listing(items, show=_stock_item)


@router.get("/parcels", response={200: ParcelPage, **READ_ERRORS}, auth=LOGISTICS_READ)
@paginate(KeysetPagination)
def parcel_list(request):
    return Listing(selectors.parcels_of(company=request.auth.company), show=_parcel)


@router.get(
    "/parcels/{parcel_id}", response={200: ParcelDetailOut, **READ_ERRORS}, auth=LOGISTICS_READ
)
def parcel_detail(request, parcel_id: IdPath):
    return _parcel_detail(request.auth.company, parcel_id)


@router.post("/parcels", response={201: ParcelDetailOut, **ERRORS}, auth=LOGISTICS_WRITE)
def parcel_create(request, payload: ParcelIn, idempotency_key: IdempotencyKey = ""):
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
