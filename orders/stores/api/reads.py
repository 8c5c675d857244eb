"""What a connected store brought in, through the API: the company's stores with their
health, their orders with status and reason, their variants and how they map to portal SKUs;
mapping a variant and retrying a store order are here too, as they act on those rows."""

from django.utils.translation import gettext as _
from ninja.pagination import paginate

from orders.stores import selectors, services
from orders.stores.api.common import (
    ORDERS_READ,
    ORDERS_WRITE,
    MapIn,
    StoreOrderOut,
    StoreOrderPage,
    StoreOut,
    StorePage,
    VariantOut,
    VariantPage,
    _connection_of,
    _may_buy,
    _store,
    _store_order,
    _variant,
    router,
)
from orders.stores.models import StoreOrder, VariantLink
from procurement.core.api import (
    ERRORS,
    READ_ERRORS,
    ApiError,
    IdempotencyKey,
    IdPath,
    KeysetPagination,
    Listing,
    idempotent,
    not_found,
)


@router.get("/stores", response={200: StorePage, **READ_ERRORS}, auth=ORDERS_READ)
@paginate(KeysetPagination)
def store_list(request):
    """The company's connected stores with their health."""
    rows = (
        selectors.connections_for_company(company=request.auth.company)
        .select_related("company")
        .prefetch_related("channel_rules")
    )
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
