"""What the catalog pages keep between requests: product cards shared by every listing, the
shared parts of a product page, and visitors' conditional GETs."""

from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse

from catalog import cards
from catalog.services import product_summary_refresh, supplier_scorecard_refresh
from procurement.accounts.models import Role
from tests.catalog.factories import CategoryFactory, ProductFactory, SkuFactory, fx_rate
from tests.services import BrokenCache

pytestmark = pytest.mark.django_db


@pytest.fixture
def leaf():
    root = CategoryFactory(slug="home", name_en="Home")
    return CategoryFactory(slug="mugs", name_en="Mugs", parent=root)


@pytest.fixture
def usd():
    return fx_rate("USD", "0.1400")


@pytest.fixture
def render_count():
    """Counts card renders: wraps the function that writes a card."""
    counted = {"n": 0}
    real = cards.card_html

    def counting(*args, **kwargs):
        counted["n"] += 1
        return real(*args, **kwargs)

    with mock.patch.object(cards, "card_html", counting):
        yield counted


def test_a_card_renders_once_and_every_listing_showing_it_reuses_it(
    owner_client, leaf, usd, render_count
):
    ProductFactory.create_batch(3, category=leaf, title_en="Blue mug")

    owner_client.get(reverse("catalog:category", args=["mugs"]))
    assert render_count["n"] == 3

    # Other listings of the same products: the ancestor category, a sort, a search.
    owner_client.get(reverse("catalog:category", args=["home"]))
    owner_client.get(reverse("catalog:category", args=["mugs"]), {"sort": "price"})
    page = owner_client.get(reverse("catalog:search"), {"q": "mug"}).content.decode()
    assert render_count["n"] == 3
    assert page.count('class="product-card"') == 3


def test_a_changed_product_sku_price_or_supplier_renders_its_card_again(
    owner_client, leaf, usd, render_count
):
    mug, _other = ProductFactory.create_batch(2, category=leaf, title_en="Blue mug")
    url = reverse("catalog:category", args=["mugs"])
    owner_client.get(url)
    assert render_count["n"] == 2

    mug.title_en = "Green mug"
    mug.save()
    assert "Green mug" in owner_client.get(url, {"sort": "moq"}).content.decode()
    assert render_count["n"] == 3  # only the changed card

    # A SKU's own price moves the product's price through the summary (which moves updated_at).
    SkuFactory(product=mug, price_cny=Decimal("1.00"))
    product_summary_refresh(product_ids=[mug.pk])
    assert "¥1.00" in owner_client.get(url, {"sort": "price"}).content.decode()
    assert render_count["n"] == 4

    mug.tiers.update(unit_price_cny=Decimal("0.50"))
    product_summary_refresh(product_ids=[mug.pk])
    assert "¥0.50" in owner_client.get(url, {"sort": "-price"}).content.decode()

    supplier = mug.supplier
    supplier.name_en = "Renamed Mugs Co."
    supplier.save()
    assert "Renamed Mugs Co." in owner_client.get(url, {"sort": "newest"}).content.decode()
    supplier_scorecard_refresh(supplier=supplier)  # a bulk write: moves updated_at too
    assert render_count["n"] == 6


def test_cards_are_kept_apart_by_currency_and_prices_shown(
    client, owner_client, leaf, usd, other_company, member_of, settings
):
    settings.CATALOG_PUBLIC_PRICES = False
    ProductFactory(category=leaf, title_en="Blue mug", base_price=Decimal("10"))
    fx_rate("EUR", "0.1300")
    other_company.wallet_currency = "EUR"
    other_company.save()
    url = reverse("catalog:category", args=["mugs"])

    assert "1.40 USD" in owner_client.get(url).content.decode()
    owner_client.force_login(member_of(other_company, Role.BUYER))
    euro = owner_client.get(url, {"sort": "moq"}).content.decode()
    assert "1.30 EUR" in euro
    assert "USD" not in euro.split('class="product-card"')[1]
    owner_client.logout()
    visitor = owner_client.get(url, {"sort": "price"}).content.decode()
    assert "Sign in to see prices" in visitor
    assert "¥10.00" not in visitor


def test_product_page_keeps_shared_parts_but_not_a_viewers_own(
    owner_client, leaf, usd, other_company, member_of
):
    product = ProductFactory(category=leaf, title_en="Blue mug", base_price=Decimal("10"))
    SkuFactory(product=product)
    fx_rate("EUR", "0.1300")
    other_company.wallet_currency = "EUR"
    other_company.save()
    url = reverse("catalog:product", args=[product.pk])

    owner_page = owner_client.get(url).content.decode()
    assert "1.40" in owner_page
    owner_client.force_login(member_of(other_company, Role.VIEWER))
    viewer = owner_client.get(url)
    page = viewer.content.decode()
    assert "1.30" in page
    assert "1.40" not in page
    # The viewer's own role, not the owner's: no ordering for a viewer.
    assert "Your role lets you see the catalog but not order" in page
    assert "Your role lets you see" not in owner_page

    # Served from the kept parts: no product query; the price for quantities is not kept.
    again = owner_client.get(url)
    assert "product" not in again.context
    quoted = owner_client.get(url, {f"qty-{product.skus.get().pk}": "50"}).content.decode()
    assert "Total for 50" in quoted


def test_product_page_shows_an_edit_at_once(
    owner_client, leaf, usd, django_capture_on_commit_callbacks
):
    product = ProductFactory(category=leaf, title_en="Blue mug")
    url = reverse("catalog:product", args=[product.pk])
    assert "Blue mug" in owner_client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        product.title_en = "Green mug"
        product.save()
    assert "Green mug" in owner_client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        SkuFactory(product=product, code="NEW-SKU-1")
    assert "NEW-SKU-1" in owner_client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        product.supplier.name_en = "Renamed Mugs Co."
        product.supplier.save()
    assert "Renamed Mugs Co." in owner_client.get(url).content.decode()


def test_visitors_get_304_for_an_unchanged_page(
    client, leaf, usd, django_capture_on_commit_callbacks
):
    product = ProductFactory(category=leaf, title_en="Blue mug")
    for url in (
        reverse("catalog:index"),
        reverse("catalog:category", args=["mugs"]) + "?sort=price",
        reverse("catalog:product", args=[product.pk]),
    ):
        first = client.get(url)
        etag = first.headers["ETag"]
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    url = reverse("catalog:product", args=[product.pk])
    etag = client.get(url).headers["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        product.title_en = "Green mug"
        product.save()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Green mug" in changed.content.decode()


def test_signed_in_merchants_get_no_etag(owner_client, leaf, usd):
    response = owner_client.get(reverse("catalog:category", args=["mugs"]))
    assert "ETag" not in response.headers


def test_pages_render_with_the_cache_down(owner_client, client, leaf, usd):
    product = ProductFactory(category=leaf, title_en="Blue mug", base_price=Decimal("10"))
    broken = BrokenCache()
    with (
        mock.patch("catalog.views.page_cache", broken),
        mock.patch("catalog.cards.page_cache", broken),
    ):
        listing = owner_client.get(reverse("catalog:category", args=["mugs"]))
        page = owner_client.get(reverse("catalog:product", args=[product.pk]))
        visitor = client.get(reverse("catalog:category", args=["mugs"]))

    assert listing.status_code == page.status_code == visitor.status_code == 200
    assert "1.40 USD" in listing.content.decode()
    assert "Blue mug" in page.content.decode()
    assert "ETag" not in visitor.headers


def test_the_supplier_card_is_shared_by_its_products_until_its_record_changes(
    owner_client, leaf, usd, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from catalog.services import supplier_performance_record

    first = ProductFactory(category=leaf)
    second = ProductFactory(category=leaf, supplier=first.supplier)
    owner_client.get(reverse("catalog:product", args=[first.pk]))
    with CaptureQueriesContext(connection) as queries:
        page = owner_client.get(reverse("catalog:product", args=[second.pk])).content.decode()
    assert not any("catalog_supplierperformance" in q["sql"] for q in queries)
    assert "not rated yet" in page

    with django_capture_on_commit_callbacks(execute=True):
        supplier_performance_record(
            supplier=first.supplier,
            reference="po:1",
            placed_at=timezone.now(),
            dispatched_on_time=True,
        )
    page = owner_client.get(reverse("catalog:product", args=[second.pk])).content.decode()
    assert "not rated yet" not in page
