"""What the store endpoints share: the router and its scopes, the schemas, how a connection,
a store order and a variant are shown, and the checks every endpoint makes (the company's
own connection, the role of the key's creator)."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic import AfterValidator

from logistics import selectors as logistics_selectors
from logistics.models import ShippingChannel
from orders.stores import selectors
from orders.stores.models import StoreConnection, StoreOrder, VariantLink
from payments.api import Money, money
from procurement.accounts.api import KeyAuth
from procurement.accounts.roles import Capability, role_can
from procurement.core.api import (
    AMOUNT_PATTERN,
    ApiError,
    BodyIn,
    Id,
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
