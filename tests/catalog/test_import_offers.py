"""Offers in: real open-platform responses, whole, in place, logged."""

import copy
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from catalog.adapters import open1688
from catalog.adapters.alibaba1688 import (
    API_PRODUCT_GET,
    API_QUERY_PRODUCT_DETAIL,
    fetch_offer_detail,
    parse_offer,
)
from catalog.exceptions import OfferImportError
from catalog.models import OfferImport, PriceTier, Product, Sku, Supplier
from catalog.services import offer_import, offer_import_from_platform
from tests.catalog.factories import CategoryFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "catalog" / "fixtures"
SAMPLE = FIXTURES / "sample_offers.jsonl"


def response(name: str) -> dict:
    return json.loads((FIXTURES / "1688" / f"{name}.json").read_text(encoding="utf-8"))


def detail(data: dict) -> dict:
    """The ProductDetailModel inside a queryProductDetail envelope."""
    return data["result"]["result"]


KOREAN = "query_product_detail_ko_skus_consign"
BOTTLE = "query_product_detail_en_no_skus_bottle"
BAGS = "query_product_detail_en_sku_prices_bag"
CONSIGN_ONLY = "query_product_detail_ja_consign_only_unknown_unit"
SHOES = "product_get_skus_pair"
BARREL = "product_get_no_skus_barrel"


@pytest.fixture
def category():
    return CategoryFactory(slug="imported")


def do_import(name_or_data, category=None, language="en", **kwargs):
    data = response(name_or_data) if isinstance(name_or_data, str) else name_or_data
    return offer_import(
        offer=parse_offer(data, language=language),
        default_category=category,
        download_images=False,
        **kwargs,
    )


# --- product.search.queryProductDetail --------------------------------------------------------


def test_korean_response_keeps_originals_translations_and_every_attribute(category):
    product, created = do_import(KOREAN, category, language="ko")

    assert created
    assert product.source == Product.Source.ALIBABA_1688
    assert product.source_offer_id == "682233445566"
    assert product.source_url == "https://detail.1688.com/offer/682233445566.html"
    assert product.title_zh == "郁金香印花短袖T恤女夏季宽松纯棉上衣"
    # Korean is never stored as the English title: English falls back to the original.
    assert product.title_translations == {"ko": "튤립 프린트 반팔 티셔츠 여성 여름 루즈핏 면 상의"}
    assert product.title_en == product.title_zh
    assert product.title_for("ko") == "튤립 프린트 반팔 티셔츠 여성 여름 루즈핏 면 상의"
    assert product.title_for("zh-hans") == product.title_zh
    # Six 风格 and two 颜色 entries survive as a list, in order, beside their translations.
    styles = [s for s in product.specifications if s["name"] == "风格"]
    assert [s["value"] for s in styles] == [
        "可爱风",
        "甜美风",
        "田园风",
        "少女风",
        "清新风",
        "森系风",
    ]
    assert styles[0]["trans"] == {"ko": {"name": "스타일", "value": "귀여운 스타일"}}
    rows = {r["name_zh"]: r for r in product.specification_rows("ko")}
    assert rows["风格"]["name"] == "스타일"
    assert len(rows["风格"]["values"]) == 6
    assert rows["颜色"]["values_zh"] == ["郁金香", "雏菊"]


def test_korean_response_skus_keep_ids_prices_sizes_and_labels(category):
    product, _ = do_import(KOREAN, category, language="ko")

    skus = list(product.skus.order_by("position"))
    assert len(skus) == 8
    first = skus[0]
    assert (first.source_sku_id, first.spec_id) == (
        "5012345670100",
        "00a1c0e5b7d3f94e2a8c6b1d0e9f7a3c50",
    )
    assert first.code == "1688-682233445566-5012345670100"
    # price: null is not a price; the consign price is kept beside it, the tiers price it.
    assert first.price_cny is None
    assert first.consign_price_cny == Decimal("21.50")
    assert first.stock == 800
    assert (first.weight_kg, first.length_cm, first.width_cm, first.height_cm) == (
        Decimal("0.180"),
        Decimal("30.0"),
        Decimal("25.0"),
        Decimal("2.0"),
    )
    assert first.image_url.endswith("O1CN01tulipA_!!2209000000001-0-cib.jpg")
    assert first.label_zh == "郁金香 / S"
    assert first.label_for("ko") == "튤립 / S"
    # No English was given: the merchant-facing attributes fall back to the Chinese.
    assert first.attributes == {"颜色": "郁金香", "尺码": "S"}
    tiers = product.tiers.values_list("min_quantity", "unit_price_cny", "promotion_price_cny")
    assert list(tiers) == [
        (2, Decimal("16.90"), Decimal("16.06")),
        (50, Decimal("15.50"), Decimal("14.73")),
        (300, Decimal("14.20"), None),
    ]
    assert (product.moq, product.order_multiple) == (2, 1)  # batchNumber: null -> no multiple
    assert (product.unit, product.unit_source, product.unit_source_trans) == ("piece", "件", "개")
    # No product-level weight: the heaviest SKU's.
    assert product.weight_kg == Decimal("0.240")
    assert len(product.image_urls) == 2


def test_ship_from_province_and_seller(category):
    product, _ = do_import(KOREAN, category, language="ko")

    assert product.ship_from == "广东省广州市"
    assert product.ship_from_province == "guangdong"
    supplier = product.supplier
    assert (supplier.member_id, supplier.name_zh) == (
        "BBBq9Xv2mK7rT0cLp4YwZ1aFe",
        "广州市花语服饰有限公司",
    )
    assert (supplier.province, supplier.city) == ("guangdong", "广州")
    assert supplier.status == Supplier.Status.APPLIED  # imported suppliers still need vetting


def test_description_is_sanitized_before_it_is_stored(category):
    product, _ = do_import(KOREAN, category, language="ko")

    html = product.description_zh
    assert '<img src="https://cbu01.alicdn.com/' in html
    assert "纯棉面料" in html
    for banned in ("<script", "onerror", "onclick", "javascript:", "document.cookie"):
        assert banned not in html


def test_english_response_without_skus_bottle_unit_and_sizes(category):
    product, _ = do_import(BOTTLE, category)

    assert product.title_en == "Glass sports water bottle 500 ml with silicone sleeve"
    assert product.title_translations == {"en": product.title_en}
    assert product.description_en == "<p>High borosilicate glass</p>"
    assert (product.unit, product.unit_source) == ("bottle", "瓶")
    assert (product.moq, product.order_multiple) == (24, 12)
    assert (product.weight_kg, product.length_cm, product.width_cm, product.height_cm) == (
        Decimal("0.420"),
        Decimal("8.0"),
        Decimal("8.0"),
        Decimal("24.0"),
    )
    assert product.consign_price_cny == Decimal("12.50")
    assert not product.skus.exists()
    assert product.min_price_cny == Decimal("8.90")
    assert product.attributes == {"Brand": "Other", "Capacity": "500ml"}


def test_sku_prices_promotions_four_colours_and_sizes_in_grams(category):
    product, _ = do_import(BAGS, category)

    colours = [s["value"] for s in product.specifications if s["name"] == "颜色"]
    assert colours == ["红色", "蓝色", "绿色", "黄色"]
    assert product.attributes["Colour"] == "Red, Blue, Green, Yellow"
    skus = {s.source_sku_id: s for s in product.skus.all()}
    red = skus["4987654320010"]
    assert (red.price_cny, red.promotion_price_cny, red.consign_price_cny) == (
        Decimal("3.20"),
        Decimal("2.99"),
        Decimal("4.50"),
    )
    assert red.attributes == {"Colour": "Red"}
    assert red.weight_kg == Decimal("0.035")  # 35 g in the deprecated list
    assert skus["4987654320012"].stock == 0
    assert not product.tiers.exists()  # priced by SKU (quoteType 1)
    assert (product.unit, product.moq, product.order_multiple) == ("bag", 10, 10)
    assert product.min_price_cny == Decimal("3.20")


def test_consign_price_only_and_unknown_unit_are_kept_not_refused(category):
    product, _ = do_import(CONSIGN_ONLY, category, language="ja")

    assert (product.unit, product.unit_source) == ("other", "提")
    assert [s.price_cny for s in product.skus.order_by("position")] == [
        Decimal("1.80"),
        Decimal("2.60"),
    ]
    assert product.title_translations == {"ja": "手提げ紙袋 ギフトバッグ カスタム"}
    # No companyName: the supplier is named by its id until staff rename it.
    assert product.supplier.name_zh == "BBBz7Yx6wV5uT4sR3qP2oN1mL"


@pytest.mark.parametrize(
    ("word", "unit"),
    [
        ("瓶", "bottle"), ("袋", "bag"), ("包", "pack"), ("本", "piece"), ("块", "piece"),
        ("根", "piece"), ("片", "piece"), ("粒", "piece"), ("桶", "barrel"), ("双", "pair"),
        ("套", "set"), ("箱", "box"), ("米", "metre"), ("千克", "kg"), ("卷", "roll"),
        ("打", "dozen"), ("坨", "other"),
    ],
)  # fmt: skip
def test_chinese_units_map_to_ours_and_unknown_ones_are_kept(word, unit):
    data = response(BOTTLE)
    detail(data)["productSaleInfo"]["unitInfo"] = {"unit": word, "transUnit": ""}

    record = parse_offer(data)

    assert (record.unit, record.unit_source) == (unit, word)


def test_unwrapped_result_model_is_accepted_too(category):
    data = response(BOTTLE)["result"]  # {"success", "code", "message", "result"}

    assert parse_offer(data).offer_id == "713344556677"
    assert parse_offer(detail(response(BOTTLE))).offer_id == "713344556677"


# --- alibaba.product.get ----------------------------------------------------------------------


def test_product_get_with_skus_named_by_attribute_id(category):
    product, _ = do_import(SHOES, category)

    assert product.imports.get().api == API_PRODUCT_GET
    assert product.title_zh == "春季新款尖头浅口单鞋女低跟"
    assert product.title_translations == {}
    popular = [s["value"] for s in product.specifications if s["name"] == "流行元素"]
    assert popular == ["花朵", "金属"]
    sku = product.skus.order_by("position").first()
    assert sku.attribute_list[0] | {"trans": None} == {
        "id": "3216",
        "name": "颜色",
        "value": "米白",
        "image": "https://cbu01.alicdn.com/img/ibank/2024/216/154/5566779001_1122334455.jpg",
        "trans": None,
    }
    assert sku.attributes == {"颜色": "米白", "尺码": "36"}
    assert (sku.price_cny, sku.consign_price_cny, sku.spec_id) == (
        Decimal("89.00"),
        Decimal("95.00"),
        "01f43d7be0ccc4bd2ba36d4bdf1b3601",
    )
    assert list(product.tiers.values_list("min_quantity", "unit_price_cny")) == [
        (3, Decimal("92.50")),
        (10, Decimal("86.00")),
        (50, Decimal("79.90")),
    ]
    assert (product.unit, product.moq, product.weight_kg) == ("pair", 3, Decimal("0.850"))
    assert product.image_urls[0] == (
        "https://cbu01.alicdn.com/img/ibank/2024/301/552/5566778899_1122334455.jpg"
    )
    assert (product.ship_from_province, product.supplier.city) == ("fujian", "泉州")
    assert "<iframe" not in product.description_zh


def test_product_get_without_skus_barrel_and_float_prices(category):
    product, _ = do_import(BARREL, category)

    assert (product.unit, product.unit_source) == ("barrel", "桶")
    assert list(product.tiers.values_list("unit_price_cny", flat=True)) == [
        Decimal("12.50"),
        Decimal("11.35"),
    ]
    assert product.consign_price_cny == Decimal("16.80")
    assert (product.length_cm, product.width_cm, product.height_cm) == (
        Decimal("27.0"),
        Decimal("27.0"),
        Decimal("49.0"),
    )
    assert product.supplier.member_id == "2207654321098"


# --- re-import: in place, logged ---------------------------------------------------------------


def test_reimport_updates_in_place_and_logs_what_changed(category):
    first, _ = do_import(BAGS, category)
    changed = response(BAGS)
    d = detail(changed)
    d["subjectTrans"] = "Thick zip-lock bags, 20x30 cm"
    d["productSkuInfos"][0]["price"] = "3.00"
    d["productSkuInfos"][1]["amountOnSale"] = 10
    d["productSkuInfos"] = d["productSkuInfos"][:3]  # yellow is gone from the offer

    product, created = do_import(changed)

    assert not created
    assert product.pk == first.pk
    assert Product.objects.count() == Supplier.objects.count() == 1
    assert product.title_en == "Thick zip-lock bags, 20x30 cm"
    skus = {s.source_sku_id: s for s in product.skus.all()}
    assert skus["4987654320010"].price_cny == Decimal("3.00")
    # The SKU gone from the offer stays (orders may point at it) but is out of stock.
    assert len(skus) == 4
    assert skus["4987654320013"].stock == 0
    log = product.imports.order_by("-pk").first()
    assert log.api == API_QUERY_PRODUCT_DETAIL
    assert log.language == "en"
    assert not log.created
    assert set(log.changed_fields) == {
        "title_en",
        "title_translations",
        "skus.4987654320010.price_cny",
        "skus.4987654320011.stock",
        "skus.4987654320013.stock",
    }
    assert log.payload == changed


def test_reimport_of_the_same_response_changes_nothing(category):
    do_import(KOREAN, category, language="ko")
    product, _ = do_import(KOREAN, language="ko")

    logs = list(product.imports.order_by("pk"))
    assert [log.created for log in logs] == [True, False]
    assert logs[0].changed_fields == ["created"]
    assert logs[1].changed_fields == []


def test_reimport_in_another_language_keeps_both_translations(category):
    do_import(KOREAN, category, language="ko")
    english = response(KOREAN)
    d = detail(english)
    d["subjectTrans"] = "Tulip print short-sleeve T-shirt"
    for sku in d["productSkuInfos"]:
        sku["skuAttributes"][0]["attributeNameTrans"] = "Colour"
        sku["skuAttributes"][0]["valueTrans"] = {"郁金香": "Tulip", "雏菊": "Daisy"}[
            sku["skuAttributes"][0]["value"]
        ]

    product, _ = do_import(english, language="en")

    assert product.title_translations == {
        "ko": "튤립 프린트 반팔 티셔츠 여성 여름 루즈핏 면 상의",
        "en": "Tulip print short-sleeve T-shirt",
    }
    assert product.title_en == "Tulip print short-sleeve T-shirt"
    sku = product.skus.order_by("position").first()
    assert sku.label_for("ko") == "튤립 / S"
    assert sku.label_for("en") == "Tulip / S"
    assert sku.attributes["Colour"] == "Tulip"


def test_imported_offer_stays_in_the_category_staff_chose(category):
    product, _ = do_import(BOTTLE, category)
    moved = CategoryFactory(slug="moved")
    Product.objects.filter(pk=product.pk).update(category=moved)

    product, _ = do_import(BOTTLE, CategoryFactory(slug="other"))

    assert product.category == moved


def test_a_new_offer_without_category_is_refused_and_nothing_is_written():
    with pytest.raises(OfferImportError, match="No category"):
        do_import(BOTTLE)

    assert not Product.objects.exists()
    assert not Supplier.objects.exists()


# --- bad input: clear error naming the field, nothing lost ------------------------------------


def _broken(name, change):
    data = copy.deepcopy(response(name))
    change(data)
    return data


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ([1, 2], "not a JSON object"),
        ({"foo": 1}, "not a response of product.search.queryProductDetail"),
        (response("query_product_detail_refused"), "result.success is false: 1688 refused (500)"),
        ({"result": {"success": True, "code": "200"}}, "result.result is missing"),
        (_broken(BOTTLE, lambda d: detail(d).pop("offerId")), "result.result.offerId is missing"),
        (_broken(BOTTLE, lambda d: detail(d).update(offerId="abc")), "not a 1688 id"),
        (_broken(BOTTLE, lambda d: detail(d).pop("subject")), "result.result.subject is missing"),
        (_broken(BOTTLE, lambda d: detail(d).pop("sellerOpenId")), "result.result.sellerOpenId"),
        (
            _broken(BOTTLE, lambda d: detail(d)["productSaleInfo"]["priceRangeList"][0].update(
                price="free")),
            "result.result.productSaleInfo.priceRangeList[0].price: 'free' is not a number",
        ),
        (
            _broken(BOTTLE, lambda d: detail(d)["productSaleInfo"]["priceRangeList"][1].update(
                startQuantity=0)),
            "priceRangeList[1].startQuantity: 0 is below 1",
        ),
        (
            _broken(BOTTLE, lambda d: detail(d)["productSaleInfo"].update(
                priceRangeList=[], consignPrice=None)),
            "no price: result.result.productSaleInfo.priceRangeList is empty",
        ),
        (
            _broken(KOREAN, lambda d: detail(d)["productSkuInfos"][3].pop("skuId")),
            "result.result.productSkuInfos[3].skuId is missing",
        ),
        (
            _broken(KOREAN, lambda d: detail(d)["productSkuInfos"][0]["skuAttributes"][1].pop(
                "value")),
            "productSkuInfos[0].skuAttributes[1].value is missing",
        ),
        (_broken(BOTTLE, lambda d: detail(d).update(minOrderQuantity="lots")), "minOrderQuantity"),
        (
            _broken(BOTTLE, lambda d: detail(d).update(productShippingInfo=[])),
            "result.result.productShippingInfo: expected an object",
        ),
        (_broken(SHOES, lambda d: d["productInfo"].pop("productID")), "productInfo.productID"),
        (
            _broken(SHOES, lambda d: d["productInfo"]["skuInfos"][1]["attributes"][0].pop(
                "attributeValue")),
            "productInfo.skuInfos[1].attributes[0].attributeValue is missing",
        ),
        (
            _broken(SHOES, lambda d: d["productInfo"].pop("supplierUserId")
                    and d["productInfo"].pop("supplierLoginId")),
            "productInfo.supplierUserId is missing",
        ),
        ({"error_code": "gw.QosAppFrequencyLimit", "error_message": "too fast"}, "refused"),
    ],
)  # fmt: skip
def test_malformed_responses_say_which_field(data, says):
    with pytest.raises(OfferImportError) as error:
        parse_offer(data)

    assert says in str(error.value)


def test_a_partial_response_loses_nothing_stored(category):
    product, _ = do_import(KOREAN, category, language="ko")
    partial = response(KOREAN)
    d = detail(partial)
    for key in ("description", "productImage", "productAttribute", "productShippingInfo",
                "productSkuInfos", "minOrderQuantity"):  # fmt: skip
        d.pop(key)

    again, _ = do_import(partial, language="ko")

    assert again.description_zh == product.description_zh
    assert again.image_urls == product.image_urls
    assert again.specifications == product.specifications
    assert again.ship_from == "广东省广州市"
    assert again.moq == 2
    assert again.skus.filter(stock__gt=0).count() == 8
    assert Sku.objects.get(source_sku_id="5012345670100").weight_kg == Decimal("0.180")


def test_a_failing_import_keeps_the_stored_offer(category):
    product, _ = do_import(BOTTLE, category)
    broken = response(BOTTLE)
    detail(broken)["productSaleInfo"]["priceRangeList"][1]["price"] = "-1"

    with pytest.raises(OfferImportError):
        do_import(broken)

    product.refresh_from_db()
    assert product.min_price_cny == Decimal("8.90")
    assert OfferImport.objects.count() == 1


# --- import_offers: one real response per line -------------------------------------------------


def test_command_reads_one_response_per_line_and_reports_bad_lines(tmp_path, category):
    feed = tmp_path / "offers.jsonl"
    broken = response(BOTTLE)
    detail(broken)["offerId"] = 713344556678
    detail(broken)["productSaleInfo"]["priceRangeList"][0]["price"] = "free"
    lines = [
        json.dumps(response(BOTTLE), ensure_ascii=False),
        "{not json",
        json.dumps(broken, ensure_ascii=False),
        "",
        json.dumps(response(SHOES), ensure_ascii=False),
        json.dumps(response("query_product_detail_refused"), ensure_ascii=False),
    ]
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = StringIO()

    call_command("import_offers", str(feed), "--category", "imported", "--no-progress",
                 "--no-images", stdout=out)  # fmt: skip

    text = out.getvalue()
    assert "Created 2, updated 0, failed 3." in text
    assert "line 2 (offer ?): not valid JSON" in text
    assert "line 3 (offer 713344556678): result.result.productSaleInfo.priceRangeList[0]" in text
    assert "line 6 (offer ?): result.success is false" in text
    assert Product.objects.count() == 2

    out = StringIO()
    call_command("import_offers", str(feed), "--no-progress", "--no-images", stdout=out)

    assert "Created 0, updated 2, failed 3." in out.getvalue()
    assert OfferImport.objects.count() == 4


def test_command_language_option_files_translations_under_it(tmp_path, category):
    feed = tmp_path / "ko.jsonl"
    feed.write_text(json.dumps(response(KOREAN), ensure_ascii=False) + "\n", encoding="utf-8")

    call_command("import_offers", str(feed), "--category", "imported", "--language", "ko",
                 "--no-progress", "--no-images", stdout=StringIO())  # fmt: skip

    assert list(Product.objects.get().title_translations) == ["ko"]


def test_sample_feed_imports_cleanly():
    CategoryFactory(slug="imported")
    out = StringIO()

    call_command("import_offers", str(SAMPLE), "--category", "imported", "--no-progress",
                 "--no-images", stdout=out)  # fmt: skip

    assert "Created 4, updated 0, failed 0." in out.getvalue()
    assert PriceTier.objects.exists()


# --- fetching from the platform ----------------------------------------------------------------


def test_import_from_the_platform_says_the_credentials_are_not_configured(category, settings):
    settings.ALIBABA_OPEN_APP_KEY = ""

    with pytest.raises(open1688.NotConfigured) as error:
        offer_import_from_platform(offer_id="713344556677", category=category, actor=None)

    assert "ALIBABA_OPEN_APP_KEY" in str(error.value)
    assert not Product.objects.exists()


def test_import_from_the_platform_asks_for_the_offer_and_imports_the_answer(category, settings):
    """The signed request carries `offerDetailParam` as the document shows; the answer is the
    platform's own response, imported as `import_offers` would."""
    answer = (FIXTURES / "1688" / "query_product_detail_en_no_skus_bottle.json").read_bytes()
    sent = []

    def transport(url, fields, timeout):
        sent.append((url, fields))
        return 200, answer

    client = open1688.Client(
        config=open1688.Config(app_key="1234567", app_secret="secret", access_token="token"),
        transport=transport,
    )
    response = fetch_offer_detail(offer_id="713344556677", country="en", client=client)
    product, created = offer_import(
        offer=parse_offer(response, language="en"), default_category=category, actor=None
    )

    ((url, fields),) = sent
    assert url.endswith(
        "/openapi/param2/1/com.alibaba.fenxiao.crossborder/product.search.queryProductDetail/1234567"
    )
    assert json.loads(fields["offerDetailParam"]) == {"offerId": "713344556677", "country": "en"}
    assert fields["_aop_signature"]
    assert created
    assert product.source_offer_id == str(response["result"]["result"]["offerId"])
