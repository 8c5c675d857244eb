"""Store connections through the API, by the same services as the pages: the connected
stores with their health, their orders with status and reason, variant mapping, retry."""

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from orders.stores import selectors, services
from orders.stores.models import StoreConnection, StoreOrder, VariantLink
from payments.api import Money, money
from procurement.accounts.api import KeyAuth
from procurement.accounts.roles import Capability, role_can
from procurement.core.api import (
    ERRORS,
    READ_ERRORS,
    ApiError,
    BodyIn,
    IdempotencyKey,
    IdPath,
    KeysetPagination,
    Listing,
    idempotent,
    not_found,
)

router = Router(tags=["stores"])

ORDERS_READ = KeyAuth("orders:read")
ORDERS_WRITE = KeyAuth("orders:write")


class StoreOut(Schema):
    id: int
    platform: str
    name: str
    shop: str
    status: str
    webhook_status: str
    last_call_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    last_polled_at: datetime | None
    auto_pay: bool
    auto_pay_limit: Money | None
    notify_customer: bool
    shipping_channel_id: int | None


class StorePage(Schema):
    items: list[StoreOut]
    next_cursor: str | None


class StoreOrderOut(Schema):
    id: int
    store_id: int
    external_id: str
    number: str
    customer_name: str
    status: str
    reason: str
    order_id: int | None
    parcel_id: int | None
    tracking_number: str
    tracking_pushed_at: datetime | None
    push_error: str
    created_at: datetime


class StoreOrderPage(Schema):
    items: list[StoreOrderOut]
    next_cursor: str | None


class VariantOut(Schema):
    id: int
    store_id: int
    external_variant_id: str
    title: str
    store_sku: str
    sku_code: str | None
    product_id: int | None


class VariantPage(Schema):
    items: list[VariantOut]
    next_cursor: str | None


class MapIn(BodyIn):
    sku_code: str = Field(
        ..., max_length=90, description='A portal SKU code, "product:<id>" or "" to unmap.'
    )


def _store(connection: StoreConnection) -> dict:
    return {
        "id": connection.pk,
        "platform": connection.platform,
        "name": connection.name,
        "shop": connection.shop,
        "status": connection.status,
        "webhook_status": connection.webhook_status,
        "last_call_at": connection.last_call_at,
        "last_error": connection.last_error,
        "last_error_at": connection.last_error_at,
        "last_polled_at": connection.last_polled_at,
        "auto_pay": connection.auto_pay,
        "auto_pay_limit": money(connection.auto_pay_limit, connection.company.wallet_currency)
        if connection.auto_pay_limit is not None
        else None,
        "notify_customer": connection.notify_customer,
        "shipping_channel_id": connection.shipping_channel_id,
    }


def _store_order(store_order: StoreOrder) -> dict:
    parcel = store_order.parcel
    return {
        "id": store_order.pk,
        "store_id": store_order.connection_id,
        "external_id": store_order.external_id,
        "number": store_order.number,
        "customer_name": store_order.customer_name,
        "status": store_order.status,
        "reason": store_order.reason,
        "order_id": store_order.order_id,
        "parcel_id": store_order.parcel_id,
        "tracking_number": parcel.tracking_number if parcel else "",
        "tracking_pushed_at": store_order.tracking_pushed_at,
        "push_error": store_order.push_error,
        "created_at": store_order.created_at,
    }


def _variant(link: VariantLink) -> dict:
    return {
        "id": link.pk,
        "store_id": link.connection_id,
        "external_variant_id": link.external_variant_id,
        "title": link.title,
        "store_sku": link.store_sku,
        "sku_code": link.sku.code if link.sku else None,
        "product_id": link.product_id,
    }


def _connection_of(request, pk: int) -> StoreConnection:
    try:
        return selectors.connection_for_company(company=request.auth.company, pk=pk)
    except StoreConnection.DoesNotExist as error:
        raise not_found() from error


def _may_buy(request) -> None:
    membership = request.auth.membership
    if membership is None or not role_can(membership.role, Capability.BUY):
        raise ApiError(403, "role_refused", _("The key's creator may not buy for the company."))


@router.get("/stores", response={200: StorePage, **READ_ERRORS}, auth=ORDERS_READ)
@paginate(KeysetPagination)
def store_list(request):
    """The company's connected stores with their health."""
    rows = selectors.connections_for_company(company=request.auth.company).select_related("company")
    return Listing(rows, show=_store)


@router.get("/stores/{store_id}", response={200: StoreOut, **READ_ERRORS}, auth=ORDERS_READ)
def store_detail(request, store_id: IdPath):
    return _store(_connection_of(request, store_id))


@router.get(
    "/stores/{store_id}/orders", response={200: StoreOrderPage, **READ_ERRORS}, auth=ORDERS_READ
)
@paginate(KeysetPagination)
def store_order_list(request, store_id: IdPath, status: str = ""):
    """The store's orders, newest first, with their status and why they wait."""
    connection = _connection_of(request, store_id)
    if status and status not in StoreOrder.Status.values:
        raise ApiError(422, "invalid", _("Unknown status."), "status")
    rows = selectors.store_orders(
        company=request.auth.company, connection=connection, status=status
    )
    return Listing(rows, show=_store_order)


@router.get(
    "/stores/{store_id}/variants", response={200: VariantPage, **READ_ERRORS}, auth=ORDERS_READ
)
@paginate(KeysetPagination)
def store_variant_list(request, store_id: IdPath, unmapped: bool = False):
    connection = _connection_of(request, store_id)
    rows = VariantLink.objects.filter(connection=connection).select_related("sku")
    if unmapped:
        rows = rows.filter(product__isnull=True)
    return Listing(rows, show=_variant)


@router.post(
    "/stores/variants/{variant_id}/map", response={200: VariantOut, **ERRORS}, auth=ORDERS_WRITE
)
def store_variant_map(
    request, variant_id: IdPath, payload: MapIn, idempotency_key: IdempotencyKey = ""
):
    """Map a store variant to a portal SKU; the store's orders waiting for it are placed."""
    _may_buy(request)
    try:
        link = selectors.variant_link_for_company(company=request.auth.company, pk=variant_id)
    except VariantLink.DoesNotExist as error:
        raise not_found() from error

    def run() -> dict:
        mapped = services.variant_link_map(link=link, sku_code=payload.sku_code)
        return _variant(VariantLink.objects.select_related("sku").get(pk=mapped.pk))

    return idempotent(request, status=200, run=run)


@router.post(
    "/stores/orders/{store_order_id}/retry",
    response={200: StoreOrderOut, **ERRORS},
    auth=ORDERS_WRITE,
)
def store_order_retry(request, store_order_id: IdPath, idempotency_key: IdempotencyKey = ""):
    """Try a waiting store order again: place it, follow its portal order, push its tracking."""
    _may_buy(request)
    try:
        store_order = selectors.store_order_for_company(
            company=request.auth.company, pk=store_order_id
        )
    except StoreOrder.DoesNotExist as error:
        raise not_found() from error

    def run() -> dict:
        done = services.store_order_retry(store_order=store_order)
        return _store_order(
            selectors.store_order_for_company(company=request.auth.company, pk=done.pk)
        )

    return idempotent(request, status=200, run=run)
