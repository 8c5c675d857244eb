"""Signed webhooks of both platforms: valid, forged, replayed; one portal order per store
order whatever arrives twice."""

import pytest
from django.urls import reverse

from orders.models import Order
from orders.stores.models import StoreOrder, WebhookReceipt
from tests.orders.stores.conftest import SHOP, SITE, shop_line, woo_line

SO = StoreOrder.Status


def _post(client, connection, body, headers):
    url = reverse("stores:webhook", args=[connection.webhook_token])
    extra = {
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"
    }
    return client.post(url, data=body, content_type="application/json", **extra)


@pytest.fixture
def shop_order(shopify, goods):
    _product, skus = goods
    return shopify.create_order(SHOP, lines=[shop_line(skus[0], 2)])


@pytest.fixture
def woo_order(woo, goods):
    _product, skus = goods
    return woo.create_order(SITE, lines=[woo_line(skus[1], 3)])


def test_shopify_valid_webhook_creates_one_paid_order(
    client, shop_connection, shopify, shop_order, wallet
):
    body, headers = shopify.webhook(SHOP, "orders/create", shop_order["id"])
    response = _post(client, shop_connection, body, headers)
    assert response.status_code == 200
    assert response.content == b"accepted"
    store_order = StoreOrder.objects.get()
    assert store_order.number == shop_order["name"]
    assert store_order.customer_name == "Ada Lovelace"
    assert store_order.status == SO.PAID
    order = store_order.order
    assert order.status == Order.Status.PAID
    assert order.destination.name == "Ada Lovelace"
    assert order.destination.country.code == "GB"
    assert order.destination.kind == "end_customer"
    assert [(line.sku.code, line.quantity) for line in order.lines.all()] == [
        (shop_order["line_items"][0]["sku"], 2)
    ]


def test_shopify_forged_webhook_is_refused_and_changes_nothing(
    client, shop_connection, shopify, shop_order
):
    body, headers = shopify.webhook(
        SHOP, "orders/create", shop_order["id"], secret="not-the-client-secret"
    )
    assert _post(client, shop_connection, body, headers).status_code == 401
    good_body, good_headers = shopify.webhook(SHOP, "orders/create", shop_order["id"])
    tampered = good_body.replace(b'"quantity":2', b'"quantity":200')
    assert _post(client, shop_connection, tampered, good_headers).status_code == 401
    unsigned = {k: v for k, v in good_headers.items() if k != "X-Shopify-Hmac-Sha256"}
    assert _post(client, shop_connection, good_body, unsigned).status_code == 401
    assert not StoreOrder.objects.exists()
    assert not WebhookReceipt.objects.exists()
    assert not Order.objects.exists()


def test_shopify_replayed_webhook_changes_nothing(
    client, shop_connection, shopify, shop_order, wallet
):
    body, headers = shopify.webhook(SHOP, "orders/create", shop_order["id"], delivery_id="d-1")
    assert _post(client, shop_connection, body, headers).content == b"accepted"
    assert _post(client, shop_connection, body, headers).content == b"duplicate"
    # The same order under a new delivery id (orders/updated) finds the same row.
    body2, headers2 = shopify.webhook(SHOP, "orders/updated", shop_order["id"])
    assert _post(client, shop_connection, body2, headers2).content == b"accepted"
    assert StoreOrder.objects.count() == 1
    assert Order.objects.count() == 1
    assert WebhookReceipt.objects.count() == 2


def test_woocommerce_valid_forged_and_replayed(client, woo_connection, woo, woo_order, wallet):
    body, headers = woo.webhook(SITE, "order.created", woo_order["id"], delivery_id="77")
    forged = {**headers, "X-WC-Webhook-Signature": "bm90IGEgc2lnbmF0dXJl"}
    assert _post(client, woo_connection, body, forged).status_code == 401
    assert not StoreOrder.objects.exists()
    assert _post(client, woo_connection, body, headers).content == b"accepted"
    assert _post(client, woo_connection, body, headers).content == b"duplicate"
    store_order = StoreOrder.objects.get()
    assert store_order.number == f"#{woo_order['id']}"
    assert store_order.customer_name == "Grace Hopper"
    # Auto-pay is off for this connection: it waits for the merchant.
    assert store_order.status == SO.AWAITING_APPROVAL
    assert store_order.order.status == Order.Status.AWAITING_PAYMENT
    assert store_order.order.destination.country.code == "DE"


def test_woocommerce_ping_and_unknown_connection(client, woo_connection):
    url = reverse("stores:webhook", args=[woo_connection.webhook_token])
    ping = client.post(url, data="webhook_id=12", content_type="application/x-www-form-urlencoded")
    assert ping.status_code == 200
    missing = client.post(
        reverse("stores:webhook", args=["nope"]), data=b"{}", content_type="application/json"
    )
    assert missing.status_code == 404


def test_unpaid_woocommerce_order_waits_for_payment_in_the_store(
    client, woo_connection, woo, goods
):
    _product, skus = goods
    order = woo.create_order(SITE, lines=[woo_line(skus[0])], status="pending")
    body, headers = woo.webhook(SITE, "order.created", order["id"])
    assert _post(client, woo_connection, body, headers).content == b"accepted"
    assert not StoreOrder.objects.exists()
    woo.set_status(SITE, order["id"], "processing")
    body, headers = woo.webhook(SITE, "order.updated", order["id"])
    _post(client, woo_connection, body, headers)
    assert StoreOrder.objects.count() == 1


def test_webhook_then_poll_makes_one_order(client, shop_connection, shopify, shop_order, wallet):
    from orders.stores import services

    body, headers = shopify.webhook(SHOP, "orders/create", shop_order["id"])
    _post(client, shop_connection, body, headers)
    services.store_orders_poll(connection=shop_connection)
    services.store_orders_poll(connection=shop_connection)
    assert StoreOrder.objects.count() == 1
    assert Order.objects.count() == 1


def test_a_lost_webhook_is_found_by_the_poll(shop_connection, shopify, goods, wallet):
    from orders.stores import services

    _product, skus = goods
    first = shopify.create_order(SHOP, lines=[shop_line(skus[0])])
    second = shopify.create_order(SHOP, lines=[shop_line(skus[1], 4)])
    assert services.store_orders_poll(connection=shop_connection) == 2
    numbers = sorted(StoreOrder.objects.values_list("number", flat=True))
    assert numbers == sorted([first["name"], second["name"]])
    assert StoreOrder.objects.filter(status=SO.PAID).count() == 2
