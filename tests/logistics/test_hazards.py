"""Restricted goods: hazards from the 1688 category on import, copied into
stock, one rule for parcels, packing and the checkout estimate."""

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from catalog.adapters.alibaba1688 import offer_category, parse_offer
from catalog.hazards import hazards_for_offer
from catalog.models import HazardRule
from catalog.services import offer_import
from logistics import services
from logistics.exceptions import ChannelUnavailable
from logistics.models import Parcel, StockItem
from orders.models import PurchaseOrderLine
from orders.selectors import freight_estimate
from orders.services.customs import line_stock_customs
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.logistics.factories import AddressFactory, StockItemFactory, channel_with_zone

pytestmark = pytest.mark.django_db
D = Decimal
FIXTURES = Path(__file__).resolve().parents[2] / "catalog" / "fixtures" / "1688"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def earbuds_offer() -> dict:
    """A real queryProductDetail response, filed under 1688's wireless earbuds category."""
    data = copy.deepcopy(fixture("query_product_detail_en_no_skus_bottle"))
    data["result"]["result"]["categoryId"] = 1037190
    data["result"]["result"]["categoryName"] = "蓝牙耳机"
    return data


def test_category_arrives_from_both_apis():
    assert offer_category(fixture("query_product_detail_en_no_skus_bottle")) == (
        "1046754",
        "运动水壶",
    )
    assert offer_category(fixture("product_get_skus_pair")) == ("126506005", "单鞋")
    assert offer_category(fixture("query_product_detail_ko_skus_consign")) == ("1031919", "")


def test_seeded_rules_derive_hazards_from_the_category_name():
    assert HazardRule.objects.filter(name_contains="移动电源").exists()  # the data migration
    assert hazards_for_offer(earbuds_offer()) == ["battery_built_in"]
    assert hazards_for_offer(fixture("query_product_detail_en_no_skus_bottle")) == []


def test_a_rule_by_category_id_matches_too():
    HazardRule.objects.create(source_category_id="126506005", hazards=["brand_risk"])
    assert hazards_for_offer(fixture("product_get_skus_pair")) == ["brand_risk"]


def test_import_sets_hazards_on_a_new_product_and_keeps_what_staff_decided():
    category = CategoryFactory(slug="audio")
    product, created = offer_import(
        offer=parse_offer(earbuds_offer()), default_category=category, download_images=False
    )
    assert created
    assert product.hazards == ["battery_built_in"]
    product.hazards = ["battery_built_in", "magnets"]
    product.save(update_fields=["hazards"])
    product, created = offer_import(offer=parse_offer(earbuds_offer()), download_images=False)
    assert not created
    assert product.hazards == ["battery_built_in", "magnets"]


def test_receiving_copies_the_products_customs_data_into_stock():
    product = ProductFactory(
        hazards=["battery_built_in"], hs_code="851830", title_zh="蓝牙耳机 无线"
    )
    line = PurchaseOrderLine(product=product, unit_price_cny=D("42.50"))
    copied = line_stock_customs(line)
    assert copied["restricted_goods"] == ["battery_built_in"]
    customs = copied["customs"]
    assert customs.product_reference == f"product:{product.pk}"
    assert (customs.hs_code, customs.origin_country, customs.description_zh) == (
        "851830",
        "CN",
        "蓝牙耳机 无线",
    )
    assert (customs.unit_value, customs.value_currency) == (D("42.50"), "CNY")


def test_a_parcel_is_refused_on_a_channel_refusing_an_item_named(company, owner, warehouse):
    address = AddressFactory(company=company)
    earbuds = StockItemFactory(
        company=company,
        warehouse=warehouse,
        description="Earbuds x 10",
        restricted_goods=["battery_built_in"],
    )
    mugs = StockItemFactory(company=company, warehouse=warehouse)
    dhl = channel_with_zone(carrier="DHL", name="Express")  # accepts nothing hazardous
    with pytest.raises(ChannelUnavailable) as refused:
        services.parcel_create(
            company=company,
            actor=owner,
            destination=address,
            channel=dhl,
            item_ids=[earbuds.pk, mugs.pk],
        )
    assert f"Item #{earbuds.pk} (Earbuds x 10)" in refused.value.message
    assert "battery built into the device" in refused.value.message
    assert f"#{mugs.pk}" not in refused.value.message
    assert not Parcel.objects.exists()
    assert StockItem.objects.get(pk=earbuds.pk).status == StockItem.Status.IN_STOCK

    battery_line = channel_with_zone(accepted_hazards=["battery_built_in"])
    parcel = services.parcel_create(
        company=company,
        actor=owner,
        destination=address,
        channel=battery_line,
        item_ids=[earbuds.pk, mugs.pk],
    )
    assert parcel.items.count() == 2


def test_packing_request_refuses_goods_staff_found_afterwards(company, owner, warehouse):
    address = AddressFactory(company=company)
    item = StockItemFactory(company=company, warehouse=warehouse)
    channel = channel_with_zone()
    parcel = services.parcel_create(
        company=company, actor=owner, destination=address, channel=channel, item_ids=[item.pk]
    )
    StockItem.objects.filter(pk=item.pk).update(restricted_goods=["aerosols"])
    with pytest.raises(ChannelUnavailable, match="aerosols"):
        services.parcel_request_packing(parcel=parcel, actor=owner)
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.DRAFT


def test_checkout_estimate_uses_the_same_rule(company):
    address = AddressFactory(company=company)
    earbuds = ProductFactory(hazards=["battery_built_in"], weight_kg=D("0.2"))
    plain = channel_with_zone()
    refused = freight_estimate(
        items=[(earbuds, 10)], destination=address, channel=plain, currency="USD"
    )
    assert not refused.available
    assert "battery built into the device" in refused.reason
    allowed = channel_with_zone(accepted_hazards=["battery_built_in", "battery_packed"])
    estimate = freight_estimate(
        items=[(earbuds, 10)], destination=address, channel=allowed, currency="USD"
    )
    assert estimate.available
    assert estimate.chargeable_weight_kg == D("2.0")
