"""The catalog's generation (catalog.generation): every change a listing or the category tree
could show moves it once committed, and cached catalog pages are used only at the generation
they were rendered at, read in the same round trip as the page."""

import os
import uuid
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from catalog import services
from catalog.adapters.alibaba1688 import parse_offer
from catalog.generation import GENERATION_KEY
from catalog.models import PriceTier
from catalog.selectors import products_visible
from procurement.core.caching import PAGES, page_cache
from tests.catalog.factories import (
    CategoryFactory,
    ProductFactory,
    SkuFactory,
    SupplierFactory,
    fx_rate,
)
from tests.catalog.test_import_offers import response
from tests.services import require_redis

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("TEST_CACHE_REDIS_URL", "redis://127.0.0.1:6379/13")
PRODUCT_QUERY = '"catalog_product"."id"'


@pytest.fixture
def mugs():
    return CategoryFactory(slug="mugs", name_en="Mugs")


@pytest.fixture
def usd():
    return fx_rate("USD", "0.1400")


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """`with commit():` runs what the block left for after commit, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _moved(commit, change) -> bool:
    page_cache.set(GENERATION_KEY, "before", None)
    with commit():
        change()
    return page_cache.get(GENERATION_KEY) != "before"


def test_the_generation_moves_only_once_the_change_commits(django_capture_on_commit_callbacks):
    page_cache.set(GENERATION_KEY, "before", None)
    with django_capture_on_commit_callbacks() as after_commit:
        CategoryFactory()
        assert page_cache.get(GENERATION_KEY) == "before"

    for callback in after_commit:
        callback()

    assert page_cache.get(GENERATION_KEY) not in (None, "before")


@pytest.mark.parametrize(
    "make", [CategoryFactory, SupplierFactory, ProductFactory, SkuFactory], ids=lambda f: f.__name__
)
def test_saving_or_deleting_a_listed_row_moves_it(commit, make):
    row = make()

    assert _moved(commit, row.save)
    assert _moved(commit, row.delete)


def test_a_price_tier_moves_it(commit):
    product = ProductFactory()
    tier = PriceTier(product=product, min_quantity=1000, unit_price_cny=Decimal("1.00"))

    assert _moved(commit, tier.save)


def test_the_services_bulk_writes_move_it(commit):
    product = ProductFactory()

    assert _moved(commit, lambda: services.product_summary_refresh(product_ids=[product.pk]))
    assert _moved(commit, services.category_counts_refresh)
    assert _moved(commit, lambda: services.supplier_scorecard_refresh(supplier=product.supplier))


def test_importing_an_offer_moves_it(commit, mugs):
    assert _moved(
        commit,
        lambda: services.offer_import(
            offer=parse_offer(response("query_product_detail_en_no_skus_bottle")),
            default_category=mugs,
        ),
    )


def test_seeded_products_show_on_a_cached_listing(owner_client, usd, commit):
    """Seeding writes with COPY (PostgreSQL) or bulk_create: no signals, the counts refresh at
    its end moves the generation."""
    call_command("seed_catalog", products=1, stdout=StringIO(), stderr=StringIO())
    url = reverse("catalog:category", args=["mugs-cups"])
    before = owner_client.get(url).content.decode()

    with commit():
        call_command("seed_catalog", products=200, stdout=StringIO(), stderr=StringIO())

    newest = products_visible().filter(category__slug="mugs-cups").order_by("-pk").first()
    assert escape(newest.title_en) not in before
    assert escape(newest.title_en) in owner_client.get(url).content.decode()


def test_a_deleted_product_leaves_the_cached_listing_at_once(owner_client, mugs, usd, commit):
    gone = ProductFactory(category=mugs, title_en="Blue mug")
    ProductFactory(category=mugs, title_en="Red mug")
    url = reverse("catalog:category", args=["mugs"])
    assert "Blue mug" in owner_client.get(url).content.decode()

    with commit():
        gone.delete()

    page = owner_client.get(url).content.decode()
    assert "Blue mug" not in page
    assert "Red mug" in page


def test_a_lost_generation_starts_again_and_pages_render_again(owner_client, mugs, usd):
    ProductFactory(category=mugs)
    url = reverse("catalog:category", args=["mugs"])
    owner_client.get(url)
    page_cache.delete(GENERATION_KEY)  # evicted, or the cache was flushed

    with CaptureQueriesContext(connection) as queries:
        owner_client.get(url)

    assert any(PRODUCT_QUERY in q["sql"] for q in queries)
    assert page_cache.get(GENERATION_KEY) is not None


class CountingCache:
    """The real cache, noting the name of each call."""

    def __init__(self, real):
        self.real = real
        self.calls = []

    def __getattr__(self, name):
        method = getattr(self.real, name)

        def call(*args, **kwargs):
            self.calls.append(name)
            return method(*args, **kwargs)

        return call


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        (reverse("catalog:category", args=["mugs"]), {}),
        (reverse("catalog:category", args=["mugs"]), {"HX-Request": "true"}),
        (reverse("catalog:search") + "?q=mug", {}),
        (reverse("catalog:index"), {}),
    ],
    ids=["listing", "listing-fragment", "search", "tree"],
)
def test_a_cached_catalog_page_costs_one_cache_round_trip(owner_client, mugs, usd, url, headers):
    """The generation, the display rate and the page come in one get_many; no database query
    is needed to know the page is current."""
    from unittest import mock

    ProductFactory(category=mugs, title_en="Blue mug")
    owner_client.get(url, headers=headers)
    counting = CountingCache(page_cache)

    with (
        mock.patch("catalog.views.page_cache", counting),
        CaptureQueriesContext(connection) as queries,
    ):
        response = owner_client.get(url, headers=headers)

    assert response.status_code == 200
    assert counting.calls == ["get_many"]
    assert not any("catalog_" in q["sql"] for q in queries)


def test_listings_through_the_production_cache(owner_client, mugs, usd, commit):
    """django-redis, as the settings configure the page cache for CACHE_URL=redis://...:
    entries and the generation survive the trip through Redis."""
    url = require_redis(REDIS_URL, "TEST_CACHE_REDIS_URL")
    redis_caches = {
        **settings.CACHES,
        PAGES: {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"generation-test-{uuid.uuid4().hex}",
        },
    }
    mug = ProductFactory(category=mugs, title_en="Blue mug", base_price=Decimal("10"))
    listing = reverse("catalog:category", args=["mugs"])
    with override_settings(CACHES=redis_caches):
        try:
            assert "1.40 USD" in owner_client.get(listing).content.decode()
            with CaptureQueriesContext(connection) as hit:
                assert "Blue mug" in owner_client.get(listing).content.decode()
            assert not any(PRODUCT_QUERY in q["sql"] for q in hit)

            with commit():
                mug.title_en = "Green mug"
                mug.save()

            assert "Green mug" in owner_client.get(listing).content.decode()
        finally:
            caches[PAGES].delete_pattern("*")
