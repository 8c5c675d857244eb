"""Dropshipping from the merchant's Shopify store: the owner connects the (fake) store, the
store sends an order whose variant the merchant maps, the order is paid from the wallet,
bought, received, packed and shipped, and the store shows the fulfillment with the tracking
number."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from logistics import services as logistics_services
from logistics.models import Parcel
from orders import services as order_services
from orders.models import CHECKLIST
from orders.stores import services as store_services
from orders.stores.adapters.fake_shopify import PLATFORM as SHOPIFY
from orders.stores.models import StoreOrder
from procurement.accounts.staff_groups import ACCOUNT_MANAGERS, WAREHOUSE
from tests.e2e.helpers import clear_cache, log_in, merchant, staff_member
from tests.logistics.factories import WarehouseFactory, channel_with_zone
from tests.orders.factories import product_with_skus
from tests.payments.factories import fund_wallet, seed_rates

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOP = "journey-shop.myshopify.com"
TOKEN = "shpat_journey"
CLIENT_SECRET = "shpss_journey"
MEASURES = {
    "weight_kg": Decimal("0.4"),
    "length_cm": Decimal("10"),
    "width_cm": Decimal("10"),
    "height_cm": Decimal("10"),
}


@pytest.fixture
def fake_shop():
    SHOPIFY.reset()
    SHOPIFY.add_shop(SHOP, token=TOKEN, client_secret=CLIENT_SECRET, name="Journey shop")
    yield SHOPIFY
    SHOPIFY.reset()


def test_a_store_order_goes_out_and_its_tracking_comes_back(page, live_server, settings, fake_shop):
    clear_cache()
    settings.STORES_WEBHOOK_BASE_URL = live_server.url
    seed_rates()
    owner, company = merchant()
    fund_wallet(company, Decimal("500.00"))
    channel = channel_with_zone(name="Air parcel")
    product, (sku, _other) = product_with_skus(moq=1)
    # Customs need an HS code before the parcel can be packed; stock copies it from the product.
    product.hs_code = "392410"
    product.save(update_fields=["hs_code"])

    log_in(page, owner)
    page.get_by_role("link", name="Stores").first.click()
    page.get_by_role("link", name="Connect a store").click()
    page.get_by_label("Platform").select_option("shopify")
    page.get_by_label("Name in the portal").fill("My Shopify")
    page.get_by_label("Shop address").fill(SHOP)
    page.get_by_label("Access token or consumer key").fill(TOKEN)
    page.get_by_label("App client secret (Shopify)").fill(CLIENT_SECRET)
    page.get_by_label("Shipping channel").select_option(str(channel.pk))
    page.get_by_label("Pay store orders automatically").check()
    page.get_by_label("Auto-pay limit").fill("300")
    page.get_by_role("button", name="Check and connect").click()
    expect(page.get_by_role("heading", name=re.compile("My Shopify"))).to_be_visible()
    expect(page.get_by_text("Registered")).to_be_visible()

    # A customer orders in the store; the store POSTs its signed webhook to the portal.
    order = fake_shop.create_order(
        SHOP,
        lines=[
            {
                "variant_id": 880001,
                "product_id": 77,
                "sku": "MUG-BLUE",
                "title": "Blue mug",
                "quantity": 2,
            }
        ],
    )
    assert fake_shop.deliver(SHOP, "orders/create", order["id"]) == [200]
    page.reload()
    expect(page.locator("#store-orders").get_by_text("Waiting for mapping")).to_be_visible()

    page.get_by_role("link", name="1", exact=True).click()  # the variants to map
    page.get_by_label("Portal SKU code").fill(sku.code)
    page.get_by_role("button", name="Map").click()
    expect(page.get_by_text("Every variant is mapped.")).to_be_visible()
    page.get_by_role("link", name="My Shopify").click()
    expect(page.get_by_text("Paid automatically from the wallet.")).to_be_visible()

    # Our staff buy, receive, inspect; the store order's parcel is packed and shipped.
    store_order = StoreOrder.objects.get()
    account_manager = staff_member(ACCOUNT_MANAGERS)
    warehouse_staff = staff_member(WAREHOUSE)
    po = store_order.order.purchase_orders.get()
    order_services.purchase_order_place(
        po=po,
        actor=account_manager,
        supplier_order_no="1688-55",
        actual_total_cny=po.expected_total_cny,
    )
    order_services.purchase_order_ship(po=po, actor=account_manager, tracking_number="YT55")
    order_services.purchase_order_receive(
        po=po, actor=warehouse_staff, warehouse=WarehouseFactory()
    )
    for line in po.lines.all():
        order_services.purchase_order_line_inspect(
            line=line,
            actor=warehouse_staff,
            checklist=dict.fromkeys(CHECKLIST, True),
            photos=[],
            **MEASURES,
        )
    store_order = store_services.store_order_sync(store_order=store_order)
    assert store_order.status == StoreOrder.Status.PACKED, store_order.reason
    parcel = Parcel.objects.get(pk=store_order.parcel_id)
    logistics_services.parcel_pack(parcel=parcel, actor=warehouse_staff, **MEASURES)
    logistics_services.parcel_ship(
        parcel=parcel, actor=warehouse_staff, tracking_number="SF7000123"
    )

    page.reload()
    expect(page.locator("#store-orders").get_by_text("Tracking pushed")).to_be_visible()
    expect(page.get_by_role("cell", name="SF7000123", exact=True)).to_be_visible()
    fulfillment = fake_shop.shops[SHOP].fulfillments[str(order["id"])][0]
    assert fulfillment["trackingInfo"]["number"] == "SF7000123"
    assert fulfillment["notifyCustomer"] is True
