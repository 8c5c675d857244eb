"""/metrics/ counts what goes wrong with the partners, read from the database so that any
process reports the whole installation: 1688 trade API calls and their errors, purchase orders
whose passage through 1688 needs staff, store connections failing now, stores refusing the
portal's credentials and tracking the stores refused."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from orders.models import AlibabaCall, AlibabaOrder
from orders.stores import services as store_services
from orders.stores.adapters.fake_shopify import PLATFORM as SHOPIFY
from orders.stores.exceptions import StoreError
from orders.stores.models import StoreConnection, StoreOrder
from tests.orders.factories import paid_order, product_with_skus
from tests.payments.factories import seed_rates

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests"
SHOP = "metrics-store.myshopify.com"
SHOP_TOKEN = "shpat_metrics_token"
SHOP_SECRET = "shpss_metrics_client_secret"


def scrape(client) -> dict[str, float]:
    """The samples of the scrape, `name{labels}` -> value."""
    with override_settings(METRICS_TOKEN=TOKEN):
        response = client.get(reverse("metrics"), headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    samples = {}
    for line in response.text.splitlines():
        match = re.fullmatch(r"(portal_(?:1688|store)\w*(?:\{[^}]*\})?) (\S+)", line)
        if match:
            samples[match[1]] = float(match[2])
    return samples


@pytest.fixture
def shop():
    SHOPIFY.reset()
    SHOPIFY.add_shop(SHOP, token=SHOP_TOKEN, client_secret=SHOP_SECRET)
    yield SHOPIFY
    SHOPIFY.reset()


@pytest.fixture
def connection(company, owner, shop):
    return store_services.store_connect(
        company=company,
        actor=owner,
        platform="shopify",
        name="Metrics Shopify",
        shop=SHOP,
        access_key=SHOP_TOKEN,
        client_secret=SHOP_SECRET,
    )


def _call(api, *, http_status, error_code="", po=None):
    """A 1688 exchange as the trade client records it."""
    return AlibabaCall.objects.create(
        purchase_order=po, api=api, request={}, http_status=http_status, error_code=error_code
    )


def test_1688_calls_and_their_errors_are_counted_by_api_and_code(client, company, owner):
    seed_rates()
    product, skus = product_with_skus()
    po = paid_order(owner, company, (product, {skus[0]: 20})).purchase_orders.get()
    _call("alibaba.createOrder.preview", http_status=200, po=po)
    _call("alibaba.trade.createCrossOrder", http_status=None, error_code="timeout", po=po)
    _call("alibaba.trade.createCrossOrder", http_status=None, error_code="timeout", po=po)
    _call("alibaba.trade.createCrossOrder", http_status=200, error_code="500_004", po=po)
    _call("alibaba.trade.createCrossOrder", http_status=500, error_code="500_004", po=po)
    _call("alibaba.trade.get.buyerView", http_status=401, error_code="401", po=po)
    _call("alibaba.trade.get.buyerView", http_status=502)
    _call("push ORDER_BUYER_VIEW_ORDER_PAY", http_status=200)
    AlibabaOrder.objects.create(
        purchase_order=po, out_order_id="po-metrics-1", status=AlibabaOrder.Status.UNKNOWN
    )

    samples = scrape(client)

    assert samples['portal_1688_calls_total{api="alibaba.trade.createCrossOrder"}'] == 4
    assert samples['portal_1688_calls_total{api="alibaba.createOrder.preview"}'] == 1
    errors = {k: v for k, v in samples.items() if k.startswith("portal_1688_call_errors_total")}
    assert errors == {
        'portal_1688_call_errors_total{api="alibaba.trade.createCrossOrder",code="timeout"}': 2,
        'portal_1688_call_errors_total{api="alibaba.trade.createCrossOrder",code="500_004"}': 2,
        'portal_1688_call_errors_total{api="alibaba.trade.get.buyerView",code="401"}': 1,
        'portal_1688_call_errors_total{api="alibaba.trade.get.buyerView",code="http_502"}': 1,
    }
    assert samples['portal_1688_orders_needing_staff{status="unknown"}'] == 1
    assert samples['portal_1688_orders_needing_staff{status="failed"}'] == 0


def test_with_no_partner_trouble_every_series_is_zero(client, connection):
    samples = scrape(client)

    assert not any(key.startswith("portal_1688_call_errors_total") for key in samples)
    for platform in ("shopify", "woocommerce"):
        assert samples[f'portal_store_connections_failing{{platform="{platform}"}}'] == 0
        assert samples[f'portal_store_credentials_refused_total{{platform="{platform}"}}'] == 0
        assert samples[f'portal_store_tracking_pushes_failing{{platform="{platform}"}}'] == 0
        assert samples[f'portal_store_call_errors_total{{platform="{platform}"}}'] == 0


def test_a_store_that_fails_shows_until_a_call_succeeds(client, connection, shop):
    shop.fail(SHOP, "server_error", times=10)
    with pytest.raises(StoreError):
        store_services.store_orders_poll(connection=connection)

    samples = scrape(client)
    assert samples['portal_store_connections_failing{platform="shopify"}'] == 1
    assert samples['portal_store_call_errors_total{platform="shopify"}'] == 1

    shop.shops[SHOP].failures.queue.clear()
    connection.refresh_from_db()
    store_services.store_orders_poll(connection=connection)

    samples = scrape(client)
    assert samples['portal_store_connections_failing{platform="shopify"}'] == 0
    # A counter: the failure stays counted after the store recovers.
    assert samples['portal_store_call_errors_total{platform="shopify"}'] == 1


def test_credentials_a_store_refused_are_counted(client, connection, shop, company):
    shop.revoke(SHOP)
    with pytest.raises(StoreError):
        store_services.store_orders_poll(connection=connection)
    connection.refresh_from_db()
    assert connection.status == StoreConnection.Status.NEEDS_ATTENTION
    StoreOrder.objects.create(
        connection=connection,
        company=company,
        external_id="1001",
        number="#1001",
        status=StoreOrder.Status.SHIPPED,
        push_error="The store refused the tracking number.",
    )

    samples = scrape(client)

    assert samples['portal_store_credentials_refused_total{platform="shopify"}'] == 1
    assert samples['portal_store_connections_failing{platform="shopify"}'] == 1
    assert samples['portal_store_tracking_pushes_failing{platform="shopify"}'] == 1
    assert samples['portal_store_credentials_refused_total{platform="woocommerce"}'] == 0
