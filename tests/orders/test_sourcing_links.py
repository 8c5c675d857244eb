"""Sourcing requests with 1688 links: a preview (title in the reader's language, first image,
price range) once the offer is imported, and staff import it from the request in one click."""

import json
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from catalog.adapters.fake1688 import gateway as fake1688
from catalog.models import CATEGORY_MAX_DEPTH, Product
from orders import services
from tests.catalog.factories import CategoryFactory

pytestmark = pytest.mark.django_db

FIXTURE = Path("catalog/fixtures/1688/query_product_detail_en_sku_prices_bag.json")
OFFER = "724455667788"
LINK = f"【1688】加厚自封袋 https://detail.1688.com/offer/{OFFER}.html"


@pytest.fixture
def leaf():
    root = CategoryFactory(name_en="Packaging")
    mid = CategoryFactory(name_en="Bags", parent=root)
    leaf = CategoryFactory(name_en="Zip bags", parent=mid)
    assert leaf.depth == CATEGORY_MAX_DEPTH
    return leaf


@pytest.fixture
def platform(settings):
    settings.ALIBABA_OPEN_FAKE = True
    fake1688.PLATFORM.product(json.loads(FIXTURE.read_text()))
    return fake1688.PLATFORM


@pytest.fixture
def sourcing(company, owner):
    return services.sourcing_request_create(
        company=company, actor=owner, title="Zip bags", links_text=LINK
    )


def _import(client, sourcing, category):
    return client.post(
        reverse("admin:orders_sourcingrequest_import_offer", args=[sourcing.pk]),
        {"offer_id": OFFER, "category": category.pk},
    )


def test_before_the_offer_is_imported_the_merchant_sees_the_link(owner_client, sourcing):
    page = owner_client.get(reverse("orders:sourcing-detail", args=[sourcing.pk]))

    assert f"1688 {OFFER}" in page.text


def test_staff_import_the_offer_from_the_request_in_one_click(
    client, account_manager, sourcing, platform, leaf
):
    client.force_login(account_manager)
    page = client.get(reverse("admin:orders_sourcingrequest_change", args=[sourcing.pk]))
    assert f"Import offer {OFFER}" in page.text

    response = _import(client, sourcing, leaf)

    assert response.status_code == 302
    product = Product.objects.get(source="1688", source_offer_id=OFFER)
    assert product.category == leaf
    assert product.skus.exclude(spec_id="").count() == 4
    page = client.get(reverse("admin:orders_sourcingrequest_change", args=[sourcing.pk]))
    assert "加厚自封袋" in page.text  # staff read the Chinese title
    assert "¥3.20\N{EN DASH}¥3.40" in page.text
    assert f"Import offer {OFFER}" not in page.text
    assert platform.api_calls("product.search.queryProductDetail") == 1


def test_the_merchant_then_sees_title_and_price_range_in_their_language(
    owner_client, account_manager, sourcing, platform, leaf
):
    staff = Client()
    staff.force_login(account_manager)
    _import(staff, sourcing, leaf)

    page = owner_client.get(reverse("orders:sourcing-detail", args=[sourcing.pk]))

    product = Product.objects.get(source_offer_id=OFFER)
    assert product.title_en in page.text
    assert "加厚自封袋" not in page.text
    assert "¥3.20\N{EN DASH}¥3.40" in page.text
    assert f"1688 {OFFER}" not in page.text

    chinese = owner_client.get(
        reverse("orders:sourcing-detail", args=[sourcing.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert "加厚自封袋" in chinese.text


def test_an_offer_1688_refuses_is_reported_and_nothing_imported(
    client, account_manager, sourcing, platform, leaf
):
    platform.fail("product.search.queryProductDetail", "system_error", *["system_error"] * 4)
    client.force_login(account_manager)

    response = _import(client, sourcing, leaf)

    assert response.status_code == 302
    assert not Product.objects.filter(source_offer_id=OFFER).exists()
    page = client.get(response.url)
    assert "system error" in page.text


def test_only_staff_who_may_import_can_and_only_offers_of_the_request(
    client, warehouse_staff, account_manager, sourcing, platform, leaf
):
    client.force_login(warehouse_staff)
    assert _import(client, sourcing, leaf).status_code == 403

    client.force_login(account_manager)
    response = client.post(
        reverse("admin:orders_sourcingrequest_import_offer", args=[sourcing.pk]),
        {"offer_id": "610947572360", "category": leaf.pk},
    )
    assert response.status_code == 403
    assert not Product.objects.exists()
