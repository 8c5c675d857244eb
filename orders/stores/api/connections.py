"""Managing store connections through the API, by the same services as the pages: connecting
a store, its settings and channel rules, pausing, resuming, new credentials, removing it
(company owners and admins, as on the pages) and publishing a portal product as a draft."""

from decimal import Decimal

from django.http import JsonResponse
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from orders.stores import services
from orders.stores.api.common import (
    ORDERS_WRITE,
    ChannelRuleIn,
    ConnectIn,
    CredentialsIn,
    PublishIn,
    PublishOut,
    SettingsIn,
    StoreOut,
    _channel,
    _connection_of,
    _may_buy,
    _may_manage,
    _shown,
    _variant,
    router,
)
from orders.stores.models import StoreConnection, VariantLink
from procurement.core.api import (
    ERRORS,
    ApiError,
    IdempotencyKey,
    IdPath,
    idempotent,
)


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


def _connection_change(request, store_id: int, change) -> JsonResponse:
    """Pause, resume or remove: the same checks (owners and admins, the company's own store),
    once per `Idempotency-Key`, answered with the connection as saved. `change` is the
    service, called as `change(connection=..., actor=...)`."""
    _may_manage(request)
    connection = _connection_of(request, store_id)

    def run() -> dict:
        return _shown(change(connection=connection, actor=request.auth.created_by))

    return idempotent(request, status=200, run=run)


@router.post("/stores/{store_id}/pause", response={200: StoreOut, **ERRORS}, auth=ORDERS_WRITE)
def store_pause(request, store_id: IdPath, idempotency_key: IdempotencyKey = ""):
    """Stop taking in the store's orders (its webhooks are answered and ignored, no polling)."""
    return _connection_change(request, store_id, services.connection_pause)


@router.post("/stores/{store_id}/resume", response={200: StoreOut, **ERRORS}, auth=ORDERS_WRITE)
def store_resume(request, store_id: IdPath, idempotency_key: IdempotencyKey = ""):
    """Active again after a pause: the credentials are checked with one read call first."""
    return _connection_change(request, store_id, services.connection_resume)


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
    return _connection_change(request, store_id, services.connection_remove)


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
