"""The product page of an imported offer: the merchant's language with the Chinese beside,
SKU labels both ways, promotion prices, and the description only ever sanitized."""

import json
from pathlib import Path

import pytest
from django.urls import reverse

from catalog.adapters.alibaba1688 import parse_offer
from catalog.models import Product, Supplier
from catalog.services import offer_import
from tests.catalog.factories import CategoryFactory, fx_rate

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[2] / "catalog/fixtures/1688"


def imported(name: str, language: str) -> Product:
    data = json.loads((FIXTURE / f"{name}.json").read_text(encoding="utf-8"))
    product, _ = offer_import(
        offer=parse_offer(data, language=language),
        default_category=CategoryFactory(),
        download_images=False,
    )
    Supplier.objects.filter(pk=product.supplier_id).update(status=Supplier.Status.APPROVED)
    return product


@pytest.fixture(autouse=True)
def _usd():
    fx_rate("USD", "0.1400")


def test_english_page_shows_translations_beside_the_chinese(owner_client):
    product = imported("query_product_detail_en_sku_prices_bag", "en")

    html = owner_client.get(reverse("catalog:product", args=[product.pk])).content.decode()

    assert '<h1 class="h3">Thick zip-lock bags 20x30 cm, 100 per bag</h1>' in html
    assert "加厚自封袋 20*30cm 100只装" in html
    assert "Red" in html
    assert "红色" in html
    assert "1688 promotion" in html
    assert "¥2.99" in html
    assert "Red, Blue, Green, Yellow" in html
    assert "红色，蓝色，绿色，黄色" in html  # noqa: RUF001 - the Chinese list separator
    assert "10 bags" in html
    assert "江苏省苏州市" in html


def test_description_is_rendered_sanitized(owner_client):
    product = imported("query_product_detail_ko_skus_consign", "ko")
    # Staff may edit descriptions in the admin: the page cleans again whatever is stored.
    Product.objects.filter(pk=product.pk).update(
        description_zh=product.description_zh
        + '<script>alert("x")</script><b onmouseover="x()">b</b>'
    )

    html = owner_client.get(reverse("catalog:product", args=[product.pk])).content.decode()

    description = html.split('class="product-description"', 1)[1].split("</section>", 1)[0]
    assert '<img src="https://cbu01.alicdn.com/img/ibank/O1CN01descA' in description
    for banned in ("<script", "onerror", "onmouseover", "javascript:"):
        assert banned not in description


def test_chinese_page_shows_the_originals(owner_client):
    product = imported("query_product_detail_ko_skus_consign", "ko")

    html = owner_client.get(
        reverse("catalog:product", args=[product.pk]), headers={"Accept-Language": "zh-hans"}
    ).content.decode()

    assert "郁金香印花短袖T恤女夏季宽松纯棉上衣" in html
    assert "可爱风, 甜美风, 田园风, 少女风, 清新风, 森系风" in html


def test_an_unknown_unit_is_shown_as_the_supplier_gave_it(owner_client):
    product = imported("query_product_detail_ja_consign_only_unknown_unit", "ja")

    html = owner_client.get(reverse("catalog:product", args=[product.pk])).content.decode()

    assert "Sold by the" in html
    assert "提" in html
