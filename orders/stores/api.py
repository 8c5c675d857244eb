"""Store connections through the API, by the same services as the pages: connecting a store,
its settings, pausing, resuming, new credentials and removing it (company owners and admins,
as on the pages), the connected stores with their health, their orders with status and reason,
variant mapping, publishing a portal product as a draft, retry. No answer carries a secret."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from pydantic import AfterValidator

from catalog import selectors as catalog_selectors
from logistics import selectors as logistics_selectors
from logistics.models import ShippingChannel
from orders.stores import selectors, services
from orders.stores.models import StoreConnection, StoreOrder, VariantLink
from payments.api import Money, money
from procurement.accounts.api import KeyAuth
from procurement.accounts.roles import Capability, role_can
from procurement.core.api import (
    AMOUNT_PATTERN,
    ERRORS,
    READ_ERRORS,
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

router = Router(tags=["stores"])

ORDERS_READ = KeyAuth("orders:read")
ORDERS_WRITE = KeyAuth("orders:write")


class ChannelRuleOut(Schema):
    country: str = Field(description="ISO 3166-1 alpha-2 destination country.")
    channel_id: int


class ChannelRuleIn(Schema):
    country: str = Field(description="ISO 3166-1 alpha-2 destination country.")
    channel_id: int


class AllocationOut(Schema):
    product_id: int | None
    sku_id: int | None
    description: str
    quantity: int
    from_stock: int = Field(description="Units shipped from the merchant's stock.")
    purchased: int = Field(description="Units bought from the supplier.")


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
    markup_percent: str = Field(description="Percent added to the landed cost when publishing.")
    brand_name: str
    channel_rules: list[ChannelRuleOut] = Field(
        description="The channel per destination country, instead of the default channel."
    )


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
    allocation: list[AllocationOut] = Field(
        description="Per product and SKU: what ships from stock and what is purchased."
    )
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


def _decimal(value: str) -> Decimal:
    return Decimal(value)


# A percent the connection's column holds (up to 9999.99), as a decimal string.
PercentIn = Annotated[
    str,
    Field(pattern=r"^(0|[1-9][0-9]{0,3})(\.[0-9]{1,2})?$", examples=["100"]),
    AfterValidator(_decimal),
]
LimitIn = Annotated[
    str, Field(pattern=AMOUNT_PATTERN, examples=["250.00"]), AfterValidator(_decimal)
]
Secret = Annotated[str, Field(max_length=255, json_schema_extra={"writeOnly": True})]


class SettingsIn(BodyIn):
    """What the store's settings page sets. A field left out keeps its value; `auto_pay_limit`
    and `shipping_channel_id` sent as null clear them."""

    auto_pay: bool | None = None
    auto_pay_limit: LimitIn | None = Field(
        None, description="In the wallet currency; orders above it wait for approval."
    )
    notify_customer: bool | None = None
    shipping_channel_id: Id | None = None
    markup_percent: PercentIn | None = None
    brand_name: str | None = Field(None, max_length=80)


class ConnectIn(SettingsIn):
    platform: Literal["shopify", "woocommerce"]
    name: str = Field("", max_length=120)
    shop: str = Field(
        ...,
        max_length=255,
        description="Shopify: the shop's myshopify.com domain. WooCommerce: the https site URL.",
    )
    access_key: Secret = Field(
        ...,
        description=(
            "Shopify: the custom app's Admin API access token. WooCommerce: the REST API "
            "consumer key (read/write)."
        ),
    )
    access_secret: Secret = Field("", description="WooCommerce: the consumer secret.")
    client_secret: Secret = Field(
        "", description="Shopify: the app's client secret, which signs its webhooks."
    )


class CredentialsIn(BodyIn):
    access_key: Secret
    access_secret: Secret = ""
    client_secret: Secret = ""


class PublishIn(BodyIn):
    product_id: Id


class PublishOut(Schema):
    store_id: int
    product_id: int
    external_product_id: str
    variants: list[VariantOut]


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
        "markup_percent": str(connection.markup_percent),
        "brand_name": connection.brand_name,
        "channel_rules": [
            {"country": str(rule.country), "channel_id": rule.channel_id}
            for rule in connection.channel_rules.all()
        ],
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
        "allocation": [
            {
                "product_id": row.get("product_id"),
                "sku_id": row.get("sku_id"),
                "description": str(row.get("description") or ""),
                "quantity": int(row.get("quantity") or 0),
                "from_stock": int(row.get("from_stock") or 0),
                "purchased": int(row.get("purchased") or 0),
            }
            for row in store_order.allocation or []
            if isinstance(row, dict)
        ],
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


def _may_manage(request) -> None:
    """Connecting, pausing, resuming and removing stores: owners and admins, as on the pages."""
    membership = request.auth.membership
    if membership is None or not role_can(membership.role, Capability.EDIT_COMPANY):
        raise ApiError(
            403,
            "role_refused",
            _("The key's creator may not manage the company's store connections."),
        )


def _channel(
    request, channel_id: int | None, *, field: str = "shipping_channel_id"
) -> ShippingChannel | None:
    if channel_id is None:
        return None
    channel = (
        logistics_selectors.channels_for_company(company=request.auth.company)
        .filter(pk=channel_id)
        .first()
    )
    if channel is None:
        raise ApiError(422, "invalid", _("Choose one of your shipping channels."), field)
    return channel


def _shown(connection: StoreConnection) -> dict:
    """The connection as saved, read again (the services return it with its secrets)."""
    return _store(
        StoreConnection.objects.select_related("company", "shipping_channel")
        .prefetch_related("channel_rules")
        .get(pk=connection.pk)
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


def _settings(request, payload: SettingsIn, connection: StoreConnection | None) -> dict:
    """The settings the payload sets, the others as they are (or their defaults on connect)."""
    sent = payload.model_fields_set
    current = {
        "auto_pay": connection.auto_pay if connection else False,
        "auto_pay_limit": connection.auto_pay_limit if connection else None,
        "notify_customer": connection.notify_customer if connection else True,
        "shipping_channel": connection.shipping_channel if connection else None,
        "markup_percent": connection.markup_percent if connection else Decimal(100),
        "brand_name": connection.brand_name if connection else "",
    }
    for name in ("auto_pay", "notify_customer", "markup_percent", "brand_name"):
        value = getattr(payload, name)
        if name in sent and value is not None:
            current[name] = value
    if "auto_pay_limit" in sent:
        current["auto_pay_limit"] = payload.auto_pay_limit
    if "shipping_channel_id" in sent:
        current["shipping_channel"] = _channel(request, payload.shipping_channel_id)
    return current


@router.post("/stores", response={201: StoreOut, **ERRORS}, auth=ORDERS_WRITE)
def store_connect(request, payload: ConnectIn, idempotency_key: IdempotencyKey = ""):
    """Connect a Shopify or WooCommerce store: the credentials are checked with one read call
    and kept encrypted, and the store's webhooks are registered (polling covers a failure)."""
    _may_manage(request)
    chosen = _settings(request, payload, None)

    def run() -> dict:
        connection = services.store_connect(
            company=request.auth.company,
            actor=request.auth.created_by,
            platform=payload.platform,
            name=payload.name,
            shop=payload.shop,
            access_key=payload.access_key,
            access_secret=payload.access_secret,
            client_secret=payload.client_secret,
            auto_pay=chosen["auto_pay"],
            auto_pay_limit=chosen["auto_pay_limit"],
            notify_customer=chosen["notify_customer"],
            shipping_channel=chosen["shipping_channel"],
            markup_percent=chosen["markup_percent"],
        )
        if chosen["brand_name"]:
            # The packing slip's brand is not asked when connecting on the page; set after.
            services.connection_update(connection=connection, **chosen)
        return _shown(connection)

    return idempotent(request, status=201, run=run)


@router.post("/stores/{store_id}/settings", response={200: StoreOut, **ERRORS}, auth=ORDERS_WRITE)
def store_settings(
    request, store_id: IdPath, payload: SettingsIn, idempotency_key: IdempotencyKey = ""
):
    """Change what the store's page sets: auto-pay and its limit, customer notification,
    shipping channel, publishing markup, the brand name on packing slips."""
    _may_manage(request)
    connection = _connection_of(request, store_id)
    chosen = _settings(request, payload, connection)

    def run() -> dict:
        return _shown(services.connection_update(connection=connection, **chosen))

    return idempotent(request, status=200, run=run)


@router.post(
    "/stores/{store_id}/channel-rules", response={200: StoreOut, **ERRORS}, auth=ORDERS_WRITE
)
def store_channel_rule_set(
    request, store_id: IdPath, payload: ChannelRuleIn, idempotency_key: IdempotencyKey = ""
):
    """Send the store's orders to one country by this channel (replacing that country's rule),
    checked as on the page: one of your channels, serving the country, with a rate for it."""
    _may_manage(request)
    connection = _connection_of(request, store_id)
    channel = _channel(request, payload.channel_id, field="channel_id")

    def run() -> dict:
        services.channel_rule_set(connection=connection, country=payload.country, channel=channel)
        return _shown(connection)

    return idempotent(request, status=200, run=run)


@router.post(
    "/stores/{store_id}/channel-rules/{country}/remove",
    response={200: StoreOut, **ERRORS},
    auth=ORDERS_WRITE,
)
def store_channel_rule_remove(
    request, store_id: IdPath, country: str, idempotency_key: IdempotencyKey = ""
):
    """Orders to this country go by the default channel again."""
    _may_manage(request)
    connection = _connection_of(request, store_id)

    def run() -> dict:
        if not services.channel_rule_remove(connection=connection, country=country):
            raise ApiError(404, "not_found", _("No rule for that country."), "country")
        return _shown(connection)

    return idempotent(request, status=200, run=run)


@router.post("/stores/{store_id}/pause", response={200: StoreOut, **ERRORS}, auth=ORDERS_WRITE)
def store_pause(request, store_id: IdPath, idempotency_key: IdempotencyKey = ""):
    """Stop taking in the store's orders (its webhooks are answered and ignored, no polling)."""
    _may_manage(request)
    connection = _connection_of(request, store_id)

    def run() -> dict:
        return _shown(
            services.connection_pause(connection=connection, actor=request.auth.created_by)
        )

    return idempotent(request, status=200, run=run)


@router.post("/stores/{store_id}/resume", response={200: StoreOut, **ERRORS}, auth=ORDERS_WRITE)
def store_resume(request, store_id: IdPath, idempotency_key: IdempotencyKey = ""):
    """Active again after a pause: the credentials are checked with one read call first."""
    _may_manage(request)
    connection = _connection_of(request, store_id)

    def run() -> dict:
        return _shown(
            services.connection_resume(connection=connection, actor=request.auth.created_by)
        )

    return idempotent(request, status=200, run=run)


@router.post(
    "/stores/{store_id}/credentials", response={200: StoreOut, **ERRORS}, auth=ORDERS_WRITE
)
def store_credentials(
    request, store_id: IdPath, payload: CredentialsIn, idempotency_key: IdempotencyKey = ""
):
    """New credentials (after a revocation): checked, saved encrypted, webhooks registered
    again, the store active again."""
    _may_manage(request)
    connection = _connection_of(request, store_id)

    def run() -> dict:
        return _shown(
            services.connection_credentials_update(
                connection=connection,
                actor=request.auth.created_by,
                access_key=payload.access_key,
                access_secret=payload.access_secret,
                client_secret=payload.client_secret,
            )
        )

    return idempotent(request, status=200, run=run)


@router.post("/stores/{store_id}/remove", response={200: StoreOut, **ERRORS}, auth=ORDERS_WRITE)
def store_remove(request, store_id: IdPath, idempotency_key: IdempotencyKey = ""):
    """Remove the connection: its webhooks are deleted in the store, its credentials forgotten."""
    _may_manage(request)
    connection = _connection_of(request, store_id)

    def run() -> dict:
        return _shown(
            services.connection_remove(connection=connection, actor=request.auth.created_by)
        )

    return idempotent(request, status=200, run=run)


@router.post("/stores/{store_id}/publish", response={200: PublishOut, **ERRORS}, auth=ORDERS_WRITE)
def store_product_publish(
    request, store_id: IdPath, payload: PublishIn, idempotency_key: IdempotencyKey = ""
):
    """Publish a catalog product to the store as a draft, priced at its landed cost plus the
    store's markup; its variants come back mapped to the portal SKUs."""
    _may_buy(request)
    connection = _connection_of(request, store_id)
    product = catalog_selectors.products_visible().filter(pk=payload.product_id).first()
    if product is None:
        raise ApiError(422, "invalid", _("Choose a product of the catalog."), "product_id")

    def run() -> dict:
        published = services.product_publish(connection=connection, product=product)
        links = list(
            VariantLink.objects.select_related("sku")
            .filter(pk__in=[link.pk for link in published])
            .order_by("pk")
        )
        return {
            "store_id": connection.pk,
            "product_id": product.pk,
            "external_product_id": links[0].external_product_id if links else "",
            "variants": [_variant(link) for link in links],
        }

    return idempotent(request, status=200, run=run)
