import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from catalog.adapters.alibaba1688 import parse_offer
from catalog.exceptions import OfferImportError
from catalog.models import PriceTier, Product, Sku, Supplier
from catalog.services import offer_import
from tests.catalog.factories import CategoryFactory

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "catalog" / "fixtures" / "sample_offers.jsonl"


def offer(**overrides) -> dict:
    record = {
        "offerId": "900000000001",
        "subject": "陶瓷马克杯",
        "subjectTrans": "Ceramic mug",
        "categorySlug": "mugs",
        "unit": "个",
        "minOrderQuantity": 50,
        "batchNumber": 10,
        "priceRanges": [
            {"startQuantity": 50, "price": "8.50"},
            {"startQuantity": 500, "price": "7.80"},
        ],
        "skuInfos": [
            {
                "skuId": "1",
                "amountOnSale": 100,
                "attributes": [
                    {
                        "attributeName": "颜色",
                        "attributeNameTrans": "Colour",
                        "value": "白色",
                        "valueTrans": "White",
                    }
                ],
            },
            {"skuId": "2", "price": "9.20", "amountOnSale": 0, "attributes": []},
        ],
        "shippingInfo": {"weight": "0.3"},
        "sellerInfo": {
            "memberId": "b2b-1",
            "companyName": "潮州市瓷韵陶瓷有限公司",
            "companyNameTrans": "Chaozhou Ciyun Ceramics",
            "province": "广东省",
            "city": "潮州市",
        },
    }
    record.update(overrides)
    return record


@pytest.fixture
def mugs():
    return CategoryFactory(slug="mugs")


def test_import_creates_supplier_product_skus_and_tiers(mugs):
    product, created = offer_import(offer=parse_offer(offer()))

    assert created
    assert product.source == Product.Source.ALIBABA_1688
    assert product.source_offer_id == "900000000001"
    assert product.source_url == "https://detail.1688.com/offer/900000000001.html"
    assert (product.title_en, product.title_zh) == ("Ceramic mug", "陶瓷马克杯")
    assert (product.moq, product.order_multiple, product.unit) == (50, 10, "piece")
    assert product.category == mugs
    assert product.weight_kg == Decimal("0.300")
    supplier = product.supplier
    assert (supplier.member_id, supplier.province, supplier.city) == ("b2b-1", "guangdong", "潮州")
    assert supplier.status == Supplier.Status.APPLIED  # imported suppliers still need vetting
    assert list(product.tiers.values_list("min_quantity", "unit_price_cny")) == [
        (50, Decimal("8.50")),
        (500, Decimal("7.80")),
    ]
    skus = {s.code: s for s in product.skus.all()}
    assert skus["1688-900000000001-1"].attributes == {"Colour": "White"}
    assert skus["1688-900000000001-2"].price_cny == Decimal("9.20")
    product.refresh_from_db()
    assert product.min_price_cny == Decimal("7.80")
    assert product.in_stock


def test_reimport_updates_and_never_duplicates(mugs):
    offer_import(offer=parse_offer(offer()))

    changed = offer(
        subjectTrans="Ceramic mug, 350 ml",
        priceRanges=[{"startQuantity": 100, "price": "8.00"}],
        skuInfos=[{"skuId": "1", "amountOnSale": 7, "attributes": []}],
    )
    product, created = offer_import(offer=parse_offer(changed))

    assert not created
    assert Product.objects.count() == 1
    assert Supplier.objects.count() == 1
    assert product.title_en == "Ceramic mug, 350 ml"
    assert list(PriceTier.objects.values_list("min_quantity", "unit_price_cny")) == [
        (100, Decimal("8.00"))
    ]
    # The SKU gone from the offer stays (orders may point at it) but is out of stock.
    assert dict(Sku.objects.values_list("code", "stock")) == {
        "1688-900000000001-1": 7,
        "1688-900000000001-2": 0,
    }


@pytest.mark.parametrize(
    ("record", "says"),
    [
        ([1, 2], "not a JSON object"),
        (offer(offerId=None), "offerId is missing"),
        (offer(offerId="abc"), "not a 1688 offer id"),
        (offer(subject=""), "subject is missing"),
        (offer(sellerInfo=None), "sellerInfo is missing"),
        (offer(priceRanges=[{"startQuantity": 10, "price": "free"}]), "priceRanges[0].price"),
        (offer(priceRanges=[{"startQuantity": 0, "price": "1"}]), "startQuantity: 0 is below 1"),
        (offer(priceRanges=[], skuInfos=[]), "no price"),
        (offer(minOrderQuantity="lots"), "minOrderQuantity"),
        (offer(unit="barrel"), "unit: 'barrel'"),
    ],
)
def test_malformed_offers_say_what_is_wrong(record, says):
    with pytest.raises(OfferImportError) as error:
        parse_offer(record)

    assert says in str(error.value)


def test_unknown_category_without_default_is_refused():
    with pytest.raises(OfferImportError, match="category 'mugs' does not exist"):
        offer_import(offer=parse_offer(offer()))


def test_command_reports_counts_and_skips_bad_records(tmp_path, mugs):
    feed = tmp_path / "offers.jsonl"
    lines = [
        json.dumps(offer()),
        "{not json",
        json.dumps(offer(offerId="900000000002", priceRanges=[{"startQuantity": 1}])),
        "",
        json.dumps(offer(offerId="900000000003")),
    ]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = StringIO()

    call_command("import_offers", str(feed), "--no-progress", stdout=out)

    text = out.getvalue()
    assert "Created 2, updated 0, failed 2." in text
    assert "line 2 (offer ?): not valid JSON" in text
    assert "line 3 (offer 900000000002): priceRanges[0].price" in text
    assert Product.objects.count() == 2

    out = StringIO()
    call_command("import_offers", str(feed), "--no-progress", stdout=out)

    assert "Created 0, updated 2, failed 2." in out.getvalue()
    assert Product.objects.count() == 2


def test_sample_feed_imports_cleanly():
    for slug in ("water-bottles", "cookware", "storage-baskets"):
        CategoryFactory(slug=slug)
    out = StringIO()

    call_command("import_offers", str(SAMPLE), "--no-progress", stdout=out)

    assert "Created 6, updated 0, failed 0." in out.getvalue()
    assert Supplier.objects.count() == 2
