"""A merchant buys from two suppliers: adds goods to the cart from the product pages (the cart
count follows without a reload), checks out seeing the landed cost (goods, service fee with its
tier, the exchange rate with its markup and how long it stays locked), pays from the wallet and
sees the order split into one purchase order per supplier."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders.models import Order
from tests.catalog.factories import CategoryFactory, ProductFactory, SkuFactory, SupplierFactory
from tests.e2e.helpers import clear_cache, log_in, merchant
from tests.logistics.factories import AddressFactory, channel_with_zone
from tests.payments.factories import fund_wallet, seed_rates

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TIERS = [(10, Decimal("10.00")), (50, Decimal("8.00"))]


def product(title: str, supplier, category):
    item = ProductFactory(
        title_en=title,
        supplier=supplier,
        category=category,
        moq=10,
        base_price=Decimal("10.00"),
        tiers=TIERS,
        weight_kg=Decimal("0.300"),
        length_cm=Decimal("10"),
        width_cm=Decimal("10"),
        height_cm=Decimal("10"),
    )
    SkuFactory(product=item, attributes={"Colour": "Red"})
    SkuFactory(product=item, attributes={"Colour": "Blue"})
    return item


def add_to_cart(page, quantity: str) -> None:
    """Type a quantity and click "Add to cart" straight from the field, as people do.

    Leaving the field also fires the live price check; the cart must still receive the goods
    once (the cart page below asserts the exact quantities).
    """
    page.get_by_label("Quantity of Red").fill(quantity)
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status").filter(has_text="Added to your cart.")).to_be_visible()
    # Let any delayed request from the price check land before the next step.
    page.wait_for_timeout(600)


def test_merchant_checks_out_pays_from_the_wallet_and_sees_purchase_orders(page):
    clear_cache()
    seed_rates()  # USD -> CNY mid 7.8421 / 1.0825 = 7.2444; markup 1.50%
    user, company = merchant(wallet_currency="USD")
    fund_wallet(company, "500")
    address = AddressFactory(company=company, name="Bay Store", country="US")
    channel = channel_with_zone(name="Air Express")
    root = CategoryFactory(name_en="Home & Kitchen", slug="home-kitchen")
    mid = CategoryFactory(name_en="Kitchenware", slug="kitchenware", parent=root)
    mugs = CategoryFactory(name_en="Mugs", slug="mugs", parent=mid)
    yiwu = SupplierFactory(name_en="Yiwu Ceramics Co., Ltd.")
    chaozhou = SupplierFactory(name_en="Chaozhou Porcelain Works")
    product("Enamel camping mug", yiwu, mugs)
    product("Porcelain tea mug", chaozhou, mugs)

    log_in(page, user)
    page.goto("/")
    navigation = page.get_by_role("navigation", name="Main")
    navigation.get_by_role("link", name="Catalog").click()
    page.get_by_role("link", name="Mugs").click()
    page.get_by_role("link", name=re.compile("Enamel camping mug")).click()

    # The badge is part of the page: the count changes in place, without a reload.
    page.evaluate("window.stillTheSamePage = true")
    add_to_cart(page, "20")
    expect(navigation.get_by_role("link", name="Cart 1 line")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Mugs").click()
    page.get_by_role("link", name=re.compile("Porcelain tea mug")).click()
    add_to_cart(page, "12")
    expect(navigation.get_by_role("link", name="Cart 2 lines")).to_be_visible()

    navigation.get_by_role("link", name="Cart 2 lines").click()
    expect(page.get_by_role("heading", name="Cart", level=1)).to_be_visible()
    enamel = page.get_by_role("article", name="Enamel camping mug")
    expect(enamel.get_by_label("Quantity")).to_have_value("20")
    porcelain = page.get_by_role("article", name="Porcelain tea mug")
    expect(porcelain.get_by_label("Quantity")).to_have_value("12")
    page.get_by_role("link", name="Check out").click()

    expect(page.get_by_role("heading", name="Checkout", level=1)).to_be_visible()
    landed = page.get_by_role("region", name="Landed cost")
    # 20 x ¥10 + 12 x ¥10, and ¥ per supplier to our warehouse.
    expect(landed).to_contain_text(re.compile(r"Goods\s*¥320\.00 ≈ \d+\.\d\d USD"))
    expect(landed).to_contain_text("Domestic freight to our warehouse")
    expect(landed).to_contain_text(
        re.compile(r"1 USD = ¥7\.1358 \(mid rate ¥7\.2444 less our 1\.50% markup\)")
    )
    expect(landed).to_contain_text(re.compile(r"Tier 1: 3\.00% = \d+\.\d\d USD"))
    expect(landed).to_contain_text(re.compile(r"USD more in paid orders over 30 days"))
    expect(landed).to_contain_text("Shipping is chosen later")
    page.get_by_label("Ship to").select_option(label=str(address))
    # The channel list is swapped for the channels serving that destination: choose after it.
    page.wait_for_load_state("networkidle")
    page.get_by_label("Shipping channel").select_option(label=str(channel))
    expect(landed).to_contain_text(re.compile(r"kg chargeable weight"))
    expect(landed).to_contain_text("locks the exchange rate for 15 minutes")
    page.get_by_role("button", name="Place order").click()

    expect(page.get_by_role("heading", name=re.compile(r"^Pay order "))).to_be_visible()
    expect(page.get_by_text("Rate locked until")).to_be_visible()
    expect(page.get_by_role("main").locator("time")).to_have_attribute(
        "datetime", re.compile(r"^\d{4}-\d\d-\d\dT")
    )
    expect(page.get_by_role("main")).to_contain_text("less our 1.50% markup")
    expect(page.get_by_role("main")).to_contain_text(re.compile(r"tier 1, 3\.00%"))
    page.get_by_role("button", name=re.compile(r"^Pay [\d.]+ USD from my wallet$")).click()

    expect(page.get_by_role("heading", name=re.compile(r"^Order "))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Order \S+ is paid\."))).to_be_visible()
    purchase_orders = page.get_by_role("region", name="Purchase orders")
    expect(purchase_orders.get_by_role("article")).to_have_count(2)
    expect(purchase_orders.get_by_role("heading", name=re.compile("Yiwu Ceramics"))).to_have_count(
        1
    )
    expect(
        purchase_orders.get_by_role("heading", name=re.compile("Chaozhou Porcelain"))
    ).to_have_count(1)
    expect(purchase_orders).to_contain_text("Enamel camping mug")
    expect(purchase_orders).to_contain_text("Porcelain tea mug")

    order = Order.objects.get(company=company)
    assert order.purchase_orders.count() == 2
    assert order.paid_at is not None
