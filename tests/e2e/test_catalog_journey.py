"""A merchant finds goods: from the home page to a leaf category in at most three clicks, narrows
the results with a filter (only the results change, the URL follows), and opens a product to
read its quantity-break prices in both currencies."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.catalog.factories import CategoryFactory, ProductFactory, SupplierFactory
from tests.e2e.helpers import clear_cache, log_in, merchant
from tests.payments.factories import seed_rates

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_merchant_browses_to_a_leaf_filters_and_opens_a_product(page):
    clear_cache()
    seed_rates()  # 1 EUR = 1.0825 USD = 7.8421 CNY, so 1 CNY = 0.1380 USD
    user, _company = merchant(wallet_currency="USD")
    home = CategoryFactory(name_en="Home & Kitchen", slug="home-kitchen")
    kitchen = CategoryFactory(name_en="Kitchenware", slug="kitchenware", parent=home)
    mugs = CategoryFactory(name_en="Mugs", slug="mugs", parent=kitchen)
    CategoryFactory(name_en="Plates", slug="plates", parent=kitchen)
    supplier = SupplierFactory(name_en="Yiwu Ceramics Co., Ltd.")
    ProductFactory(
        category=mugs,
        supplier=supplier,
        title_en="Enamel camping mug",
        moq=10,
        base_price=Decimal("10.00"),
        tiers=[(10, Decimal("10.00")), (50, Decimal("8.00"))],
    )
    ProductFactory(
        category=mugs, supplier=supplier, title_en="Bulk porcelain mug", moq=500, base_price=3
    )

    log_in(page, user)
    page.goto("/")
    clicks = 0
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog").click()
    clicks += 1
    expect(page.get_by_role("heading", name="Catalog", level=1)).to_be_visible()
    page.get_by_role("link", name="Kitchenware").click()
    clicks += 1
    page.get_by_role("navigation", name="Subcategories").get_by_role(
        "link", name=re.compile(r"^Mugs")
    ).click()
    clicks += 1
    assert clicks <= 3
    expect(page).to_have_url(re.compile(r"/catalog/c/mugs/$"))
    expect(page.get_by_role("heading", name="Mugs", level=1)).to_be_visible()
    breadcrumbs = page.get_by_role("navigation", name=re.compile("breadcrumb", re.IGNORECASE))
    expect(breadcrumbs).to_contain_text("Home & Kitchen")
    expect(breadcrumbs).to_contain_text("Kitchenware")
    results = page.get_by_role("region", name="Products")
    expect(results.get_by_role("link")).to_have_count(2)

    # A filter change swaps only the results: a full load would drop this marker.
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Minimum order at most").fill("100")
    page.get_by_label("Minimum order at most").press("Tab")
    expect(page).to_have_url(re.compile(r"[?&]max_moq=100\b"))
    expect(results.get_by_role("link")).to_have_count(1)
    expect(results).to_contain_text("Enamel camping mug")
    expect(results).not_to_contain_text("Bulk porcelain mug")
    expect(results).to_contain_text("1 product shown")
    assert page.evaluate("window.stillTheSamePage") is True

    results.get_by_role("link", name=re.compile("Enamel camping mug")).click()
    expect(page.get_by_role("heading", name="Enamel camping mug", level=1)).to_be_visible()
    tiers = page.get_by_role("table").filter(has_text="Quantity (all variants together)")
    expect(tiers.get_by_role("columnheader")).to_have_text(
        ["Quantity (all variants together)", "USD", "CNY"]
    )
    expect(tiers.get_by_role("row").nth(1)).to_have_text(
        re.compile(r"10\u201349\s*1\.38\s*¥10\.00")
    )
    expect(tiers.get_by_role("row").nth(2)).to_have_text(re.compile(r"≥ 50\s*1\.10\s*¥8\.00"))
    expect(page.get_by_text(re.compile(r"1 USD = 7\.2\d* CNY"))).to_be_visible()
