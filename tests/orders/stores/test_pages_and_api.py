"""The merchant's store pages and API: scoped to the company, owners only for connecting,
constant queries on the lists."""

import pytest
from django.urls import reverse

from orders.stores.models import StoreConnection, StoreOrder
from procurement.accounts.models import Role
from tests.api.factories import api_token, bearer
from tests.orders.stores.conftest import SHOP, SHOP_SECRET, SHOP_TOKEN, SITE, shop_line, woo_line


def _webhook(client, connection, body, headers):
    extra = {
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"
    }
    return client.post(
        reverse("stores:webhook", args=[connection.webhook_token]),
        data=body,
        content_type="application/json",
        **extra,
    )


@pytest.fixture
def store_orders(client, shop_connection, shopify, goods, wallet):
    _product, skus = goods
    for quantity in (1, 2, 3):
        order = shopify.create_order(SHOP, lines=[shop_line(skus[0], quantity)])
        _webhook(client, shop_connection, *shopify.webhook(SHOP, "orders/create", order["id"]))
    return StoreOrder.objects.all()


def test_owner_connects_a_store_through_the_form(owner_client, company, channel, shopify):
    response = owner_client.post(
        reverse("stores:connect"),
        {
            "platform": "shopify",
            "name": "Main shop",
            "shop": f"https://{SHOP}/",
            "access_key": SHOP_TOKEN,
            "client_secret": SHOP_SECRET,
            "shipping_channel": channel.pk,
            "notify_customer": "on",
        },
    )
    connection = StoreConnection.objects.get(company=company)
    assert response.status_code == 302
    assert response.url == reverse("stores:detail", args=[connection.pk])
    assert connection.shop == SHOP
    page = owner_client.get(response.url)
    assert b"Main shop" in page.content
    assert b"Registered" in page.content


def test_wrong_credentials_show_on_the_form(owner_client, channel):
    response = owner_client.post(
        reverse("stores:connect"),
        {"platform": "shopify", "shop": SHOP, "access_key": "bad", "client_secret": "x"},
    )
    assert response.status_code == 200
    assert "refused these credentials" in response.content.decode()
    assert not StoreConnection.objects.exists()


@pytest.mark.parametrize("role", [Role.BUYER, Role.VIEWER, Role.FINANCE])
def test_only_owners_connect_and_pause(client, company, member_of, role, shop_connection):
    client.force_login(member_of(company, role))
    assert client.get(reverse("stores:connect")).status_code == 403
    assert client.post(reverse("stores:pause", args=[shop_connection.pk])).status_code == 403
    assert client.get(reverse("stores:list")).status_code == 200


def test_store_pages_list_orders_with_status_and_reason(
    owner_client, shop_connection, store_orders
):
    page = owner_client.get(reverse("stores:detail", args=[shop_connection.pk]))
    text = page.content.decode()
    for store_order in store_orders:
        assert store_order.number in text
    assert "Paid automatically from the wallet." in text
    listing = owner_client.get(reverse("stores:list"))
    assert "My Shopify" in listing.content.decode()


def test_htmx_filter_answers_the_fragment(owner_client, shop_connection, store_orders):
    response = owner_client.get(
        reverse("stores:detail", args=[shop_connection.pk]),
        {"status": "paid"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="store-orders",
    )
    text = response.content.decode()
    assert text.lstrip().startswith('<section id="store-orders">')
    assert "<html" not in text


def test_list_pages_take_constant_queries(owner_client, shop_connection, shopify, goods, client):
    _product, skus = goods

    def count_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            owner_client.get(reverse("stores:detail", args=[shop_connection.pk]))
            owner_client.get(reverse("stores:list"))
        return len(ctx.captured_queries)

    order = shopify.create_order(SHOP, lines=[shop_line(skus[0])])
    _webhook(client, shop_connection, *shopify.webhook(SHOP, "orders/create", order["id"]))
    count_queries()  # the first visit warms the session and the navbar's cache
    few = count_queries()
    for _n in range(4):
        order = shopify.create_order(SHOP, lines=[shop_line(skus[1])])
        _webhook(client, shop_connection, *shopify.webhook(SHOP, "orders/create", order["id"]))
    assert count_queries() == few


def test_another_companys_store_is_404_in_html_and_api(
    client, other_company, member_of, shop_connection, store_orders
):
    stranger = member_of(other_company, Role.OWNER)
    client.force_login(stranger)
    store_order = store_orders.first()
    link = shop_connection.variant_links.first()
    assert client.get(reverse("stores:detail", args=[shop_connection.pk])).status_code == 404
    assert client.get(reverse("stores:mapping", args=[shop_connection.pk])).status_code == 404
    assert client.post(reverse("stores:pause", args=[shop_connection.pk])).status_code == 404
    assert client.post(reverse("stores:order-retry", args=[store_order.pk])).status_code == 404
    assert client.post(reverse("stores:variant-map", args=[link.pk])).status_code == 404
    assert "My Shopify" not in client.get(reverse("stores:list")).content.decode()

    headers = bearer(api_token(other_company, owner=stranger))
    assert client.get("/api/v1/stores", **headers).json()["items"] == []
    for path in (
        f"/api/v1/stores/{shop_connection.pk}",
        f"/api/v1/stores/{shop_connection.pk}/orders",
    ):
        assert client.get(path, **headers).status_code == 404
    retry = client.post(
        f"/api/v1/stores/orders/{store_order.pk}/retry", content_type="application/json", **headers
    )
    assert retry.status_code == 404
    mapped = client.post(
        f"/api/v1/stores/variants/{link.pk}/map",
        data={"sku_code": ""},
        content_type="application/json",
        **headers,
    )
    assert mapped.status_code == 404


def test_api_lists_stores_orders_and_maps_variants(
    client, company, owner, woo_connection, woo, goods, wallet
):
    _product, skus = goods
    unknown = {"product_id": 1, "variation_id": 4242, "sku": "", "name": "Red cup", "quantity": 1}
    order = woo.create_order(SITE, lines=[unknown, woo_line(skus[0])])
    _webhook(client, woo_connection, *woo.webhook(SITE, "order.created", order["id"]))
    headers = bearer(api_token(company, owner=owner))
    stores = client.get("/api/v1/stores", **headers).json()["items"]
    assert [(s["platform"], s["status"], s["webhook_status"]) for s in stores] == [
        ("woocommerce", "active", "registered")
    ]
    orders = client.get(f"/api/v1/stores/{woo_connection.pk}/orders", **headers).json()["items"]
    assert orders[0]["status"] == "waiting_mapping"
    assert "Red cup" in orders[0]["reason"]
    variants = client.get(
        f"/api/v1/stores/{woo_connection.pk}/variants?unmapped=true", **headers
    ).json()["items"]
    assert [v["external_variant_id"] for v in variants] == ["4242"]
    mapped = client.post(
        f"/api/v1/stores/variants/{variants[0]['id']}/map",
        data={"sku_code": skus[1].code},
        content_type="application/json",
        **headers,
    )
    assert mapped.status_code == 200, mapped.content
    assert mapped.json()["sku_code"] == skus[1].code
    orders = client.get(f"/api/v1/stores/{woo_connection.pk}/orders", **headers).json()["items"]
    assert orders[0]["status"] == "awaiting_approval"
    assert orders[0]["order_id"] is not None


def test_mapping_page_lists_variants_to_map_first_and_maps(
    owner_client, woo_connection, woo, goods, wallet, client
):
    _product, skus = goods
    unknown = {"product_id": 1, "variation_id": 5151, "sku": "", "name": "Green cup", "quantity": 1}
    order = woo.create_order(SITE, lines=[woo_line(skus[0]), unknown])
    _webhook(client, woo_connection, *woo.webhook(SITE, "order.created", order["id"]))
    url = reverse("stores:mapping", args=[woo_connection.pk])
    page = owner_client.get(url)
    assert page.status_code == 200
    assert "Green cup" in page.content.decode()
    everything = owner_client.get(url, {"show": "all"}).content.decode()
    assert everything.index("Green cup") < everything.index(f"Store {skus[0].code}")
    link = woo_connection.variant_links.get(external_variant_id="5151")
    response = owner_client.post(
        reverse("stores:variant-map", args=[link.pk]), {"sku_code": skus[1].code}, follow=True
    )
    assert "Every variant is mapped." in response.content.decode()
    assert StoreOrder.objects.get().status == StoreOrder.Status.AWAITING_APPROVAL


def test_owner_gives_new_credentials_after_a_revocation(owner_client, shop_connection, shopify):
    from orders.stores import services
    from orders.stores.exceptions import CredentialsRefused

    shopify.revoke(SHOP)
    with pytest.raises(CredentialsRefused):
        services.store_orders_poll(connection=shop_connection)
    page = owner_client.get(reverse("stores:detail", args=[shop_connection.pk]))
    assert "Give us new credentials" in page.content.decode()
    shopify.shops[SHOP].token = "shpat_new_token"
    wrong = owner_client.post(
        reverse("stores:credentials", args=[shop_connection.pk]),
        {"access_key": "shpat_still_wrong"},
        follow=True,
    )
    assert "refused these credentials" in wrong.content.decode()
    owner_client.post(
        reverse("stores:credentials", args=[shop_connection.pk]),
        {"access_key": "shpat_new_token"},
    )
    connection = StoreConnection.objects.get(pk=shop_connection.pk)
    assert connection.status == StoreConnection.Status.ACTIVE
    assert connection.webhook_status == StoreConnection.WebhookStatus.REGISTERED
    assert len(shopify.shops[SHOP].webhooks) == 3


def test_demo_order_button_with_the_fakes_only(
    owner_client, woo_connection, goods, wallet, settings
):
    url = reverse("stores:demo-order", args=[woo_connection.pk])
    response = owner_client.post(url, follow=True)
    assert "The demo store sent an order (accepted)." in response.content.decode()
    assert StoreOrder.objects.get().status == StoreOrder.Status.AWAITING_APPROVAL
    settings.STORES_FAKE = False
    assert owner_client.post(url).status_code == 404
