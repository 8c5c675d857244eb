from decimal import Decimal

import pytest

from orders.stores import services
from orders.stores.adapters.fake_shopify import PLATFORM as SHOPIFY
from orders.stores.adapters.fake_woocommerce import PLATFORM as WOO
from tests.logistics.factories import channel_with_zone
from tests.orders.factories import fund_wallet, product_with_skus, seed_rates

SHOP = "demo-store.myshopify.com"
SHOP_TOKEN = "shpat_demo_token"
SHOP_SECRET = "shpss_demo_client_secret"
SITE = "https://woo.example.com"
WOO_KEY = "ck_demo_key"
WOO_SECRET = "cs_demo_secret"


@pytest.fixture(autouse=True)
def _fake_platforms():
    SHOPIFY.reset()
    WOO.reset()
    SHOPIFY.add_shop(SHOP, token=SHOP_TOKEN, client_secret=SHOP_SECRET)
    WOO.add_site(SITE, key=WOO_KEY, secret=WOO_SECRET)
    yield
    SHOPIFY.reset()
    WOO.reset()


@pytest.fixture
def shopify():
    return SHOPIFY


@pytest.fixture
def woo():
    return WOO


@pytest.fixture
def channel(db):
    return channel_with_zone()


@pytest.fixture
def goods(db):
    """A product with two SKUs sold from one piece (¥10 each)."""
    product, skus = product_with_skus(moq=1)
    return product, skus


@pytest.fixture
def wallet(company, db):
    seed_rates()
    fund_wallet(company, Decimal("1000.00"))


@pytest.fixture
def shop_connection(company, owner, channel):
    return services.store_connect(
        company=company,
        actor=owner,
        platform="shopify",
        name="My Shopify",
        shop=SHOP,
        access_key=SHOP_TOKEN,
        client_secret=SHOP_SECRET,
        shipping_channel=channel,
        auto_pay=True,
        auto_pay_limit=Decimal("500.00"),
    )


@pytest.fixture
def woo_connection(company, owner, channel):
    return services.store_connect(
        company=company,
        actor=owner,
        platform="woocommerce",
        name="My Woo",
        shop=SITE,
        access_key=WOO_KEY,
        access_secret=WOO_SECRET,
        shipping_channel=channel,
    )


def shop_line(sku, quantity=1, variant_id=None):
    return {
        "variant_id": variant_id or 40000 + sku.pk,
        "product_id": 7000 + sku.product_id,
        "sku": sku.code,
        "title": f"Store {sku.code}",
        "quantity": quantity,
    }


def woo_line(sku, quantity=1, variation_id=None):
    return {
        "product_id": 7000 + sku.product_id,
        "variation_id": variation_id or 50000 + sku.pk,
        "sku": sku.code,
        "name": f"Store {sku.code}",
        "quantity": quantity,
    }
