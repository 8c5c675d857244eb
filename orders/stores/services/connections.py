"""Connecting a store (one read call to check the credentials, then its webhooks), its
settings, pausing, resuming and removing it, and the health every call records."""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Iterator
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.models import ShippingChannel
from orders.stores import adapters, conf, crypto
from orders.stores.exceptions import CredentialsRefused, StoreError
from orders.stores.models import Platform, StoreConnection
from procurement.accounts.models import Company, User
from procurement.core import states
from procurement.core.exceptions import DomainError
from procurement.core.outbox import outbox_enqueue

CS = StoreConnection.Status
WS = StoreConnection.WebhookStatus
# A shop's permanent domain: one DNS label under myshopify.com.
SHOPIFY_HOST = re.compile(r"[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com")


def webhook_url(connection: StoreConnection) -> str:
    return conf.webhook_base_url() + reverse("stores:webhook", args=[connection.webhook_token])


def _normalise_shop(platform: str, shop: str) -> str:
    shop = (shop or "").strip().rstrip("/")
    if platform == Platform.SHOPIFY:
        host = shop.removeprefix("https://").removeprefix("http://").split("/", 1)[0].lower()
        if not SHOPIFY_HOST.fullmatch(host):
            raise DomainError(
                _("Enter the shop's myshopify.com domain, e.g. my-shop.myshopify.com."),
                field="shop",
            )
        return host
    try:
        URLValidator(schemes=["https"])(shop)
    except ValidationError:
        raise DomainError(
            _("Enter the store's address starting with https:// (WooCommerce's API needs HTTPS)."),
            field="shop",
        ) from None
    return shop


@contextlib.contextmanager
def calling(connection: StoreConnection) -> Iterator[None]:
    """Record the connection's health around calls to its store: the time of the last call,
    the last error in plain words, and revoked credentials moving it to "needs attention"
    (the owner is mailed once). Errors are re-raised for the caller to show."""
    try:
        yield
    except CredentialsRefused as error:
        _health(connection, error=str(error.message))
        connection_needs_attention(connection=connection, reason=str(error.message))
        raise
    except StoreError as error:
        _health(connection, error=str(error.message))
        raise
    else:
        _health(connection)


def _health(connection: StoreConnection, *, error: str = "") -> None:
    now = timezone.now()
    changes = {"last_call_at": now}
    if error:
        changes.update(last_error=error[:500], last_error_at=now)
    StoreConnection.objects.filter(pk=connection.pk).update(
        **changes, **({"error_count": F("error_count") + 1} if error else {})
    )
    for name, value in changes.items():
        setattr(connection, name, value)
    if error:
        connection.error_count += 1


@transaction.atomic
def connection_needs_attention(*, connection: StoreConnection, reason: str) -> StoreConnection:
    """The store refused our credentials: stop calling it and tell the owner, once."""
    locked = states.lock(connection)
    if locked.status == CS.ACTIVE:
        states.apply(locked, to=CS.NEEDS_ATTENTION, reason=reason)
    if locked.attention_mailed_at is None:
        StoreConnection.objects.filter(pk=locked.pk).update(attention_mailed_at=timezone.now())
        outbox_enqueue(task="orders.stores.tasks.connection_attention_mail", args=[locked.pk])
    connection.refresh_from_db(fields=["status", "attention_mailed_at"])
    return locked


def store_connect(
    *,
    company: Company,
    actor: User,
    platform: str,
    name: str,
    shop: str,
    access_key: str,
    access_secret: str = "",
    client_secret: str = "",
    auto_pay: bool = False,
    auto_pay_limit: Decimal | None = None,
    notify_customer: bool = True,
    shipping_channel: ShippingChannel | None = None,
    markup_percent: Decimal = Decimal(100),
) -> StoreConnection:
    """Check the credentials with one read call, save the connection with its secrets
    encrypted and register its webhooks. Wrong credentials raise with nothing saved; a
    webhook registration that fails leaves the connection working on polling, and says so."""
    if platform not in Platform.values:
        raise DomainError(_("Choose Shopify or WooCommerce."), field="platform")
    shop = _normalise_shop(platform, shop)
    access_key, access_secret = access_key.strip(), access_secret.strip()
    if not access_key or (platform == Platform.WOOCOMMERCE and not access_secret):
        raise DomainError(_("Enter the store's API credentials."), field="access_key")
    if platform == Platform.SHOPIFY and not client_secret.strip():
        raise DomainError(
            _("Enter the app's client secret: Shopify signs its webhooks with it."),
            field="client_secret",
        )
    if (
        StoreConnection.objects.filter(company=company, platform=platform, shop=shop)
        .exclude(status=CS.REMOVED)
        .exists()
    ):
        raise DomainError(_("This store is already connected."), field="shop")
    with adapters.make_client(
        platform=platform, shop=shop, key=access_key, secret=access_secret
    ) as client:
        try:
            shop_name = client.check()
        except CredentialsRefused as error:
            raise DomainError(
                _("The store refused these credentials. Check them and the app's permissions."),
                code=error.code,
                field="access_key",
            ) from error
    webhook_secret = (
        client_secret.strip() if platform == Platform.SHOPIFY else secrets.token_hex(24)
    )
    with transaction.atomic():
        connection = StoreConnection.objects.create(
            company=company,
            platform=platform,
            name=(name or shop_name or shop).strip()[:120],
            shop=shop,
            created_by=actor,
            access_key_encrypted=crypto.encrypt(access_key),
            access_secret_encrypted=crypto.encrypt(access_secret),
            webhook_secret_encrypted=crypto.encrypt(webhook_secret),
            auto_pay=auto_pay,
            auto_pay_limit=auto_pay_limit,
            notify_customer=notify_customer,
            shipping_channel=shipping_channel,
            markup_percent=markup_percent,
            last_call_at=timezone.now(),
            last_polled_at=timezone.now(),
        )
        connection.events.create(
            from_status="", to_status=CS.ACTIVE, actor=actor, reason=_("Connected")
        )
    connection_webhooks_register(connection=connection)
    return connection


def connection_webhooks_register(*, connection: StoreConnection) -> StoreConnection:
    """(Re-)register the store's webhooks for this connection; polling covers a failure."""
    try:
        with adapters.client_for(connection) as client, calling(connection):
            if connection.webhook_ids:
                client.webhooks_delete(connection.webhook_ids)
            ids = client.webhooks_register(
                callback_url=webhook_url(connection),
                secret=crypto.decrypt(connection.webhook_secret_encrypted),
            )
    except StoreError:
        StoreConnection.objects.filter(pk=connection.pk).update(webhook_status=WS.FAILED)
        connection.webhook_status = WS.FAILED
        return connection
    StoreConnection.objects.filter(pk=connection.pk).update(
        webhook_status=WS.REGISTERED, webhook_ids=ids
    )
    connection.webhook_status, connection.webhook_ids = WS.REGISTERED, ids
    return connection


@transaction.atomic
def connection_update(
    *,
    connection: StoreConnection,
    auto_pay: bool,
    auto_pay_limit: Decimal | None,
    notify_customer: bool,
    shipping_channel: ShippingChannel | None,
    markup_percent: Decimal,
    brand_name: str = "",
) -> StoreConnection:
    if auto_pay_limit is not None and auto_pay_limit < 0:
        raise DomainError(_("The limit cannot be negative."), field="auto_pay_limit")
    if markup_percent < 0:
        raise DomainError(_("The markup cannot be negative."), field="markup_percent")
    locked = states.lock(connection)
    fields = {
        "auto_pay": auto_pay,
        "auto_pay_limit": auto_pay_limit,
        "notify_customer": notify_customer,
        "shipping_channel": shipping_channel,
        "markup_percent": markup_percent,
        "brand_name": brand_name.strip()[:80],
    }
    for key, value in fields.items():
        setattr(locked, key, value)
    locked.save(update_fields=[*fields, "updated_at"])
    return locked


def connection_pause(*, connection: StoreConnection, actor: User) -> StoreConnection:
    """Stop taking in the store's orders (webhooks are answered and ignored, no polling)."""
    return states.transition(connection, to=CS.PAUSED, actor=actor, reason=_("Paused"))


def connection_resume(*, connection: StoreConnection, actor: User) -> StoreConnection:
    """Back to active after a pause, or after new credentials: checked with one read call."""
    with adapters.client_for(connection) as client, calling(connection):
        client.check()
    return states.transition(connection, to=CS.ACTIVE, actor=actor, reason=_("Resumed"))


def connection_credentials_update(
    *,
    connection: StoreConnection,
    actor: User,
    access_key: str,
    access_secret: str = "",
    client_secret: str = "",
) -> StoreConnection:
    """New credentials for a connection that needs attention: checked, saved, webhooks again."""
    with adapters.make_client(
        platform=connection.platform,
        shop=connection.shop,
        key=access_key.strip(),
        secret=access_secret.strip(),
    ) as client:
        try:
            client.check()
        except CredentialsRefused as error:
            raise DomainError(
                _("The store refused these credentials. Check them and the app's permissions."),
                code=error.code,
                field="access_key",
            ) from error
    with transaction.atomic():
        locked = states.lock(connection)
        locked.access_key_encrypted = crypto.encrypt(access_key.strip())
        locked.access_secret_encrypted = crypto.encrypt(access_secret.strip())
        update = ["access_key_encrypted", "access_secret_encrypted", "attention_mailed_at"]
        if client_secret.strip():
            locked.webhook_secret_encrypted = crypto.encrypt(client_secret.strip())
            update.append("webhook_secret_encrypted")
        locked.attention_mailed_at = None
        locked.save(update_fields=[*update, "updated_at"])
        if locked.status != CS.ACTIVE:
            states.apply(locked, to=CS.ACTIVE, actor=actor, reason=_("New credentials"))
    return connection_webhooks_register(connection=locked)


def connection_remove(*, connection: StoreConnection, actor: User) -> StoreConnection:
    """Delete the store's webhooks (best effort: a store that refuses us has them disabled by
    its own failures), forget the credentials and close the connection."""
    if connection.webhook_ids and connection.status != CS.NEEDS_ATTENTION:
        with (
            contextlib.suppress(StoreError),
            adapters.client_for(connection) as client,
            calling(connection),
        ):
            client.webhooks_delete(connection.webhook_ids)
    with transaction.atomic():
        locked = states.lock(connection)
        states.apply(
            locked,
            to=CS.REMOVED,
            actor=actor,
            reason=_("Removed"),
            changes={
                "access_key_encrypted": "",
                "access_secret_encrypted": "",
                "webhook_secret_encrypted": "",
                "webhook_ids": [],
                "webhook_status": WS.REMOVED,
            },
        )
    return locked
