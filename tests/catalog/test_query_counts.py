"""Each catalog page runs a fixed number of queries, however many products it shows."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.views import _display_rate
from procurement.core.caching import page_cache
from tests.catalog.factories import CategoryFactory, ProductFactory, SkuFactory, fx_rate

pytestmark = pytest.mark.django_db
MAX_QUERIES = 10


@pytest.fixture
def leaf():
    root = CategoryFactory(slug="root")
    mid = CategoryFactory(slug="mid", parent=root)
    return CategoryFactory(slug="leaf", parent=mid)


def count_queries(client, url, params=None, *, cached=False, **headers) -> int:
    if not cached:
        # Count what a results miss costs, with the display rate cached as it nearly always is.
        page_cache.clear()
        _display_rate("USD")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {}, headers=headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("url_name", "args", "params"),
    [
        ("catalog:index", [], {}),
        ("catalog:category", ["root"], {}),
        ("catalog:category", ["leaf"], {"sort": "price", "in_stock": "on", "min_rating": "3"}),
        ("catalog:search", [], {"q": "Sample"}),
        ("catalog:search", [], {"q": "Sample", "sort": "moq", "max_price": "100"}),
    ],
)
def test_listing_queries_do_not_grow_with_products(owner_client, leaf, url_name, args, params):
    fx_rate("USD")
    url = reverse(url_name, args=args)
    ProductFactory.create_batch(2, category=leaf)
    owner_client.get(url, params)  # warm the session
    few = count_queries(owner_client, url, params)

    ProductFactory.create_batch(30, category=leaf)
    many = count_queries(owner_client, url, params)
    fragment = count_queries(owner_client, url, params, HX_Request="true")
    cached = count_queries(owner_client, url, params, cached=True)

    assert many == few
    assert many <= MAX_QUERIES
    assert fragment <= MAX_QUERIES
    assert cached <= many


def test_load_more_page_queries(owner_client, leaf, django_assert_max_num_queries):
    fx_rate("USD")
    ProductFactory.create_batch(30, category=leaf)
    url = reverse("catalog:category", args=["leaf"])
    next_url = re.search(r'hx-get="([^"]+)"', owner_client.get(url).text.split('id="load-more"')[1])
    next_url = html.unescape(next_url[1])
    page_cache.clear()
    _display_rate("USD")

    with django_assert_max_num_queries(MAX_QUERIES):
        owner_client.get(url + next_url, headers={"HX-Request": "true", "HX-Target": "load-more"})


def test_product_page_queries_do_not_grow_with_skus_and_tiers(owner_client, leaf):
    fx_rate("USD")
    product = ProductFactory(category=leaf)
    SkuFactory(product=product)
    url = reverse("catalog:product", args=[product.pk])
    owner_client.get(url)
    few = count_queries(owner_client, url)

    SkuFactory.create_batch(12, product=product)
    ProductFactory.create_batch(5, supplier=product.supplier, category=leaf)
    many = count_queries(owner_client, url)

    assert many == few
    assert many <= MAX_QUERIES
