"""Demo store connections for `make run`: one Shopify and one WooCommerce store of the demo
merchant, answered by the in-process fakes (only when STORES_FAKE is on)."""

from decimal import Decimal

from logistics.models import ShippingChannel
from orders.stores import conf, services
from orders.stores.adapters import fake_shopify, fake_woocommerce
from orders.stores.models import StoreConnection
from procurement.accounts.models import Company, Role

DEMO_COMPANY = "Acme Trading LLC"


def seed_demo_stores() -> int:
    if not conf.use_fakes():
        return 0
    company = Company.objects.filter(legal_name=DEMO_COMPANY).first()
    if company is None or StoreConnection.objects.filter(company=company).exists():
        return 0
    owner = company.memberships.filter(role=Role.OWNER).first().user
    channel = (
        ShippingChannel.objects.filter(is_active=True)
        .exclude(service=ShippingChannel.Service.DOMESTIC)
        .order_by("pk")
        .first()
    )
    services.store_connect(
        company=company,
        actor=owner,
        platform="shopify",
        name="Acme on Shopify",
        shop=fake_shopify.DEMO_SHOP,
        access_key=fake_shopify.DEMO_TOKEN,
        client_secret=fake_shopify.DEMO_CLIENT_SECRET,
        shipping_channel=channel,
        auto_pay=True,
        auto_pay_limit=Decimal("200.00"),
    )
    services.store_connect(
        company=company,
        actor=owner,
        platform="woocommerce",
        name="Acme on WooCommerce",
        shop=fake_woocommerce.DEMO_SITE,
        access_key=fake_woocommerce.DEMO_KEY,
        access_secret=fake_woocommerce.DEMO_SECRET,
        shipping_channel=channel,
    )
    return 2
