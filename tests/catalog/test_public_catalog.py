"""The public catalog: visitors browse, search and read product pages (with prices, or not,
as settings say), search engines find it through sitemap.xml and canonical URLs; the cart,
checkout and everything of a company still need a signed-in member."""

import pytest
from django.urls import reverse

from tests.catalog.factories import CategoryFactory, ProductFactory, fx_rate
from tests.orders.factories import product_with_skus

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed():
    cups = CategoryFactory(slug="mugs-cups", name_en="Mugs & Cups", name_zh="杯子")
    product, _skus = product_with_skus()
    product.category = cups
    product.title_en = "Ceramic coffee mug"
    product.save()
    fx_rate("USD", "0.1400")
    return cups, product


def public_pages(listed):
    cups, product = listed
    return [
        reverse("catalog:index"),
        reverse("catalog:category", args=[cups.slug]),
        reverse("catalog:search") + "?q=mug",
        reverse("catalog:product", args=[product.pk]),
    ]


def test_visitors_browse_search_and_read_product_pages(client, listed):
    for url in public_pages(listed):
        response = client.get(url)
        assert response.status_code == 200, url

    search = client.get(reverse("catalog:search"), {"q": "mug"}).content.decode()
    assert "Ceramic coffee mug" in search
    assert "USD" in search  # prices shown, in the visitors' currency


def test_visitors_are_asked_to_sign_in_to_order(client, listed):
    _cups, product = listed
    page = client.get(reverse("catalog:product", args=[product.pk])).content.decode()

    assert "Sign in to order" in page
    assert reverse("account_login") + "?next=" in page
    assert "Add to cart" not in page


def test_prices_can_be_kept_for_signed_in_merchants(client, listed, settings):
    settings.CATALOG_PUBLIC_PRICES = False
    cups, product = listed

    listing = client.get(reverse("catalog:category", args=[cups.slug])).content.decode()
    detail = client.get(reverse("catalog:product", args=[product.pk])).content.decode()

    for page in (listing, detail):
        assert "Sign in to see prices" in page
        assert "¥" not in page
    assert "Ceramic coffee mug" in listing


def test_members_see_prices_whatever_the_setting(owner_client, listed, settings):
    settings.CATALOG_PUBLIC_PRICES = False
    cups, product = listed

    listing = owner_client.get(reverse("catalog:category", args=[cups.slug])).content.decode()
    detail = owner_client.get(reverse("catalog:product", args=[product.pk])).content.decode()

    assert "Sign in to see prices" not in listing
    assert "¥" in listing
    assert "Add to cart" in detail


@pytest.mark.parametrize(
    "name",
    [
        "orders:cart",
        "orders:checkout",
        "orders:order-list",
        "orders:sourcing-list",
        "payments:wallet",
        "logistics:stock-list",
        "dashboard",
        "accounts:company",
    ],
)
def test_the_cart_checkout_and_company_pages_still_need_sign_in(client, listed, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_cart_additions_need_sign_in(client, listed):
    _cups, product = listed
    response = client.post(reverse("orders:cart-add"), {"product": product.pk})

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_pages_name_their_canonical_url_and_search_results_are_not_indexed(
    client, listed, settings
):
    settings.SITE_URL = "https://portal.example.com"
    cups, product = listed

    detail = client.get(reverse("catalog:product", args=[product.pk]), {"qty": "3"})
    category = client.get(reverse("catalog:category", args=[cups.slug]), {"sort": "price"})
    search = client.get(reverse("catalog:search"), {"q": "mug"})

    assert (
        f'<link rel="canonical" href="https://portal.example.com/catalog/p/{product.pk}/">'
        in detail.content.decode()
    )
    assert (
        '<link rel="canonical" href="https://portal.example.com/catalog/c/mugs-cups/">'
        in category.content.decode()
    )
    assert 'name="robots" content="noindex, follow"' in search.content.decode()
    assert "noindex" not in category.content.decode()


def test_sitemap_lists_the_catalog_its_categories_and_visible_products(client, listed, settings):
    settings.SITE_URL = "https://portal.example.com"
    cups, product = listed
    hidden = ProductFactory(category=cups, is_active=False)
    cups.product_count = 1
    cups.save()

    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    assert "sitemap-products.xml" in index.content.decode()

    products = client.get("/sitemap-products.xml").content.decode()
    categories = client.get("/sitemap-categories.xml").content.decode()
    catalog = client.get("/sitemap-catalog.xml").content.decode()

    assert f"<loc>https://portal.example.com/catalog/p/{product.pk}/</loc>" in products
    assert f"/catalog/p/{hidden.pk}/" not in products
    assert "<lastmod>" in products
    assert "<loc>https://portal.example.com/catalog/c/mugs-cups/</loc>" in categories
    assert "<loc>https://portal.example.com/catalog/</loc>" in catalog


def test_the_home_page_leads_visitors_to_the_catalog(client):
    page = client.get(reverse("home")).content.decode()

    assert f'href="{reverse("catalog:index")}"' in page
