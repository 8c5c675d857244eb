"""Connecting a store: credentials checked by one read call, secrets encrypted, webhooks
registered; pause, resume, remove; revoked credentials."""

import pytest
from django.core import mail

from orders.stores import crypto, services
from orders.stores.exceptions import CredentialsRefused
from orders.stores.models import StoreConnection
from procurement.core.exceptions import DomainError
from tests.orders.stores.conftest import SHOP, SHOP_SECRET, SHOP_TOKEN, SITE, WOO_SECRET

CS = StoreConnection.Status


def test_shopify_connect_checks_credentials_and_registers_webhooks(shop_connection, shopify):
    connection = StoreConnection.objects.get(pk=shop_connection.pk)
    assert connection.status == CS.ACTIVE
    assert connection.webhook_status == StoreConnection.WebhookStatus.REGISTERED
    shop = shopify.shops[SHOP]
    assert shop.calls[0] == "ShopCheck"
    assert sorted(sub["topic"] for sub in shop.webhooks.values()) == [
        "ORDERS_CANCELLED",
        "ORDERS_CREATE",
        "ORDERS_UPDATED",
    ]
    assert all(
        sub["callbackUrl"] == services.webhook_url(connection) for sub in shop.webhooks.values()
    )
    assert sorted(connection.webhook_ids) == sorted(shop.webhooks)


def test_secrets_are_encrypted_at_rest(shop_connection, woo_connection):
    for connection in (shop_connection, woo_connection):
        row = StoreConnection.objects.get(pk=connection.pk)
        assert SHOP_TOKEN not in row.access_key_encrypted
        assert WOO_SECRET not in row.access_secret_encrypted
        assert SHOP_SECRET not in row.webhook_secret_encrypted
    assert (
        crypto.decrypt(StoreConnection.objects.get(pk=shop_connection.pk).access_key_encrypted)
        == SHOP_TOKEN
    )


def test_key_rotation_still_reads_old_secrets(shop_connection, settings):
    settings.STORE_SECRETS_KEYS = ["a-brand-new-key", *settings.STORE_SECRETS_KEYS]
    row = StoreConnection.objects.get(pk=shop_connection.pk)
    assert crypto.decrypt(row.access_key_encrypted) == SHOP_TOKEN
    settings.STORE_SECRETS_KEYS = ["only-an-unrelated-key"]
    assert crypto.decrypt(row.access_key_encrypted) == ""


def test_woocommerce_connect_registers_signed_webhooks(woo_connection, woo):
    site = woo.site(SITE)
    assert sorted(hook["topic"] for hook in site.webhooks.values()) == [
        "order.created",
        "order.updated",
    ]
    secret = crypto.decrypt(woo_connection.webhook_secret_encrypted)
    assert len(secret) >= 32
    assert all(hook["secret"] == secret for hook in site.webhooks.values())


def test_wrong_credentials_save_nothing(company, owner, channel):
    with pytest.raises(DomainError) as error:
        services.store_connect(
            company=company,
            actor=owner,
            platform="shopify",
            name="x",
            shop=SHOP,
            access_key="shpat_wrong",
            client_secret="s",
        )
    assert error.value.field == "access_key"
    assert not StoreConnection.objects.exists()


@pytest.mark.parametrize(
    ("platform", "shop"),
    [("shopify", "example.com"), ("woocommerce", "http://plain.example.com")],
)
def test_bad_shop_address_is_refused(company, owner, platform, shop):
    with pytest.raises(DomainError) as error:
        services.store_connect(
            company=company,
            actor=owner,
            platform=platform,
            name="x",
            shop=shop,
            access_key="k",
            access_secret="s",
            client_secret="c",
        )
    assert error.value.field == "shop"


def test_webhook_registration_failure_leaves_polling(company, owner, shopify):
    shopify.fail(SHOP, "server_error", times=10, operation="WebhookCreate")
    connection = services.store_connect(
        company=company,
        actor=owner,
        platform="shopify",
        name="x",
        shop=SHOP,
        access_key=SHOP_TOKEN,
        client_secret=SHOP_SECRET,
    )
    connection.refresh_from_db()
    assert connection.status == CS.ACTIVE
    assert connection.webhook_status == StoreConnection.WebhookStatus.FAILED
    assert connection.last_error


def test_pause_resume_and_remove_deletes_webhooks(shop_connection, owner, shopify):
    services.connection_pause(connection=shop_connection, actor=owner)
    assert StoreConnection.objects.get(pk=shop_connection.pk).status == CS.PAUSED
    services.connection_resume(connection=shop_connection, actor=owner)
    connection = StoreConnection.objects.get(pk=shop_connection.pk)
    assert connection.status == CS.ACTIVE
    services.connection_remove(connection=connection, actor=owner)
    connection.refresh_from_db()
    assert connection.status == CS.REMOVED
    assert connection.webhook_status == StoreConnection.WebhookStatus.REMOVED
    assert connection.access_key_encrypted == ""
    assert shopify.shops[SHOP].webhooks == {}
    assert [e.to_status for e in connection.events.all()] == [
        CS.ACTIVE,
        CS.PAUSED,
        CS.ACTIVE,
        CS.REMOVED,
    ]


def test_revoked_credentials_pause_and_tell_the_owner_once(
    shop_connection, owner, shopify, django_capture_on_commit_callbacks
):
    shopify.revoke(SHOP)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(CredentialsRefused):
            services.store_orders_poll(connection=shop_connection)
        with pytest.raises(CredentialsRefused):
            services.connection_resume(connection=shop_connection, actor=owner)
    connection = StoreConnection.objects.get(pk=shop_connection.pk)
    assert connection.status == CS.NEEDS_ATTENTION
    assert "refused" in connection.last_error
    assert len(mail.outbox) == 1
    assert owner.email in mail.outbox[0].to
    # Polling skips it until the merchant gives new credentials.
    assert services.store_orders_poll(connection=connection) == 0
