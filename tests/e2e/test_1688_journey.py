"""A 1688 product, from a pasted link to an expected inbound parcel, against the fake platform:
a merchant pastes a 1688 link into the catalog search and requests it (the link is kept),
staff import the offer from the sourcing request with one click, the merchant orders and pays
it, staff place the purchase order on 1688 from the admin, and 1688's paid and shipped events
make it the warehouse's expected inbound with carrier and tracking number."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from catalog.adapters.fake1688.gateway import PLATFORM
from catalog.models import Product, Supplier
from catalog.services import supplier_transition
from orders.models import Order, PurchaseOrder, SourcingRequest
from procurement.accounts.staff_groups import ACCOUNT_MANAGERS, WAREHOUSE
from tests.catalog.factories import CategoryFactory
from tests.e2e.helpers import clear_cache, log_in, log_in_to_admin, merchant, staff_member
from tests.logistics.factories import WarehouseFactory
from tests.payments.factories import fund_wallet, seed_rates

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FIXTURE = Path("catalog/fixtures/1688/query_product_detail_en_sku_prices_bag.json")
OFFER = "724455667788"
SHARE = f"【1688】加厚自封袋 20*30cm https://detail.1688.com/offer/{OFFER}.html"


def test_a_pasted_1688_link_becomes_an_expected_inbound_parcel(
    page, browser, live_server, settings
):
    settings.ALIBABA_OPEN_FAKE = True
    clear_cache()
    seed_rates()
    PLATFORM.product(json.loads(FIXTURE.read_text(encoding="utf-8")))
    packaging = CategoryFactory(name_en="Packaging")
    bags = CategoryFactory(name_en="Bags", parent=packaging)
    zip_bags = CategoryFactory(name_en="Zip bags", parent=bags)
    user, company = merchant(wallet_currency="USD")
    fund_wallet(company, "500")
    manager = staff_member(ACCOUNT_MANAGERS)
    warehouse = staff_member(WAREHOUSE)
    WarehouseFactory(phone="020-86660000")

    # The merchant pastes share text from the 1688 app into the catalog search.
    log_in(page, user)
    page.goto("/catalog/")
    search = page.get_by_role("search").first
    search.get_by_role("searchbox").fill(SHARE)
    search.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name=f"1688 offer {OFFER}")).to_be_visible()
    page.get_by_role("link", name="Request a quote for this product").click()
    expect(page.get_by_label("Product links (1688, Taobao, Tmall)")).to_have_value(
        f"https://detail.1688.com/offer/{OFFER}.html"
    )
    page.get_by_label("What are you looking for?").fill("Zip bags 20x30")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("link", name=f"1688 {OFFER}")).to_be_visible()
    sourcing = SourcingRequest.objects.get(company=company)
    assert sourcing.links[0]["external_id"] == OFFER

    # Staff import the offer from the request with one click.
    admin = browser.new_context(base_url=live_server.url, locale="en-US").new_page()
    log_in_to_admin(admin, manager)
    admin.goto(f"/admin/orders/sourcingrequest/{sourcing.pk}/change/")
    expect(admin.get_by_label("Category for a new product")).to_have_value(str(zip_bags.pk))
    admin.get_by_role("button", name=f"Import offer {OFFER}").click()
    expect(admin.get_by_text(f"Offer {OFFER} imported.")).to_be_visible()
    expect(admin.locator("#sourcing-links")).to_contain_text("加厚自封袋")
    product = Product.objects.get(source="1688", source_offer_id=OFFER)
    supplier = product.supplier
    for step in (Supplier.Status.UNDER_REVIEW, Supplier.Status.APPROVED):
        supplier = supplier_transition(supplier=supplier, to_status=step, actor=manager)

    # The merchant sees the preview, opens the product from the link and orders it.
    page.goto(f"/orders/sourcing/{sourcing.pk}/")
    expect(page.get_by_role("link", name=product.title_en)).to_be_visible()
    page.goto("/catalog/")
    search = page.get_by_role("search").first
    search.get_by_role("searchbox").fill(SHARE)
    search.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name=product.title_en, level=1)).to_be_visible()
    page.get_by_label(re.compile(r"^Quantity of ")).first.fill("30")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status").filter(has_text="Added to your cart.")).to_be_visible()
    page.wait_for_timeout(600)
    page.goto("/orders/checkout/")
    page.get_by_role("button", name="Place order").click()
    page.get_by_role("button", name=re.compile(r"^Pay [\d.,]+ USD from my wallet$")).click()
    expect(page.get_by_text(re.compile(r"Order \S+ is paid\."))).to_be_visible()
    po = Order.objects.get(company=company).purchase_orders.get()
    for sku in product.skus.all():
        PLATFORM.offer(OFFER, sku.spec_id, price_cny=sku.price_cny)
    PLATFORM.freight_cny = po.domestic_freight_cny

    # Staff place the purchase order on the fake 1688 from the admin.
    admin.goto(f"/admin/orders/purchaseorder/{po.pk}/change/")
    admin.get_by_role("link", name="Place on 1688").click()
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_text(re.compile(r"Place on 1688: Placed on 1688"))).to_be_visible()
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.PLACED
    (order_id,) = po.alibaba.order_ids
    assert po.supplier_order_no == order_id

    # 1688 pushes its events: paid, then shipped by the seller.
    PLATFORM.pay(order_id)
    paid = page.request.post(
        "/orders/alibaba/messages/", form=PLATFORM.push(order_id, "ORDER_BUYER_VIEW_ORDER_PAY")
    )
    assert paid.ok
    PLATFORM.ship(order_id, carrier="中通快递", bill_no="73500012345678", remark="[金华市]已揽收")
    shipped = page.request.post(
        "/orders/alibaba/messages/",
        form=PLATFORM.push(order_id, "ORDER_BUYER_VIEW_ANNOUNCE_SENDGOODS", msg_id=2),
    )
    assert shipped.ok

    # The warehouse sees it as expected inbound, with carrier, tracking number and last scan.
    inbound = browser.new_context(base_url=live_server.url, locale="en-US").new_page()
    log_in_to_admin(inbound, warehouse)
    inbound.goto(f"/admin/orders/purchaseorder/{po.pk}/change/")
    expected = inbound.locator("#expected-inbound")
    expect(expected).to_contain_text("Expected inbound")
    expect(expected).to_contain_text("中通快递 73500012345678")
    expect(expected).to_contain_text("[金华市]已揽收")
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.SHIPPED
    assert po.tracking_number == "73500012345678"
