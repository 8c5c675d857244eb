"""Customs data on outbound parcels and packing by boxes (point 4)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from logistics import services
from logistics.exceptions import ChannelUnavailable, DeclarationIncomplete
from logistics.models import CustomsThreshold, FreightCharge, Parcel, ParcelEvent
from payments.selectors import convert_for_display
from tests.logistics.factories import AddressFactory, StockItemFactory, channel_with_zone

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def channel():
    return channel_with_zone(countries=["US", "GB", "DE"])


def make_parcel(company, owner, channel, items, *, country="US"):
    address = AddressFactory(company=company, country=country)
    return services.parcel_create(
        company=company,
        actor=owner,
        destination=address,
        channel=channel,
        item_ids=[item.pk for item in items],
    )


def requested(company, owner, channel, items, **kwargs):
    parcel = make_parcel(company, owner, channel, items, **kwargs)
    return services.parcel_request_packing(parcel=parcel, actor=owner)


def test_one_line_per_product_valued_at_what_was_paid(company, owner, warehouse, channel):
    first = StockItemFactory(
        company=company, warehouse=warehouse, product_reference="product:7", quantity=10
    )
    second = StockItemFactory(
        company=company, warehouse=warehouse, product_reference="product:7", quantity=5
    )
    other = StockItemFactory(
        company=company,
        warehouse=warehouse,
        product_reference="product:8",
        hs_code="851830",
        description_zh="蓝牙耳机",
    )
    parcel = make_parcel(company, owner, channel, [first, second, other])
    lines = list(parcel.declaration.order_by("position"))
    assert [(line.position, line.quantity) for line in lines] == [(1, 15), (2, 10)]
    paid_usd = convert_for_display(amount=D("8.50") * 15, from_currency="CNY", to_currency="USD")
    assert lines[0].paid_value == lines[0].declared_value == paid_usd > 0
    assert lines[0].net_weight_kg == D("2.400")
    assert (lines[1].hs_code, lines[1].description_zh, lines[1].origin_country.code) == (
        "851830",
        "蓝牙耳机",
        "CN",
    )
    assert parcel.declaration_currency == "USD"


def test_unknown_value_is_never_silently_zero(company, owner, warehouse, channel):
    item = StockItemFactory(company=company, warehouse=warehouse, unit_value=None)
    parcel = requested(company, owner, channel, [item])
    line = parcel.declaration.get()
    assert line.declared_value is None
    with pytest.raises(DeclarationIncomplete) as refused:
        services.parcel_pack(
            parcel=parcel, actor=owner, weight_kg=D("1.3"), length_cm=30, width_cm=20, height_cm=10
        )
    assert "Line 1 (" in refused.value.message
    assert "declared value must be greater than zero" in refused.value.message
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.PACKING_REQUESTED


def test_packing_needs_an_hs_code_on_every_line_of_a_channel_that_declares(
    company, owner, warehouse, channel
):
    good = StockItemFactory(company=company, warehouse=warehouse, product_reference="product:1")
    missing = StockItemFactory(
        company=company,
        warehouse=warehouse,
        product_reference="product:2",
        hs_code="",
        description="Phone cases x 20",
    )
    parcel = requested(company, owner, channel, [good, missing])
    with pytest.raises(DeclarationIncomplete) as refused:
        services.parcel_pack(
            parcel=parcel, actor=owner, weight_kg=D("2.5"), length_cm=30, width_cm=20, height_cm=20
        )
    assert refused.value.problems == [
        "Line 2 (Phone cases x 20): enter an HS code of at least 6 digits."
    ]
    line = parcel.declaration.get(position=2)
    services.declaration_line_update(
        line=line,
        actor=owner,
        description_en=line.description_en,
        description_zh="手机壳",
        hs_code="3926.90",  # typed with a dot: kept as digits
        origin_country="CN",
        quantity=line.quantity,
        unit="piece",
        declared_value=line.declared_value,
        net_weight_kg=line.net_weight_kg,
        gross_weight_kg=line.net_weight_kg,
    )
    assert parcel.declaration.get(position=2).hs_code == "392690"
    packed = services.parcel_pack(
        parcel=parcel, actor=owner, weight_kg=D("2.6"), length_cm=30, width_cm=20, height_cm=20
    )
    assert packed.status == Parcel.Status.PACKED
    # The boxes' weight is shared out as the lines' gross weights.
    assert sum(line.gross_weight_kg for line in packed.declaration.all()) == D("2.6")


def test_domestic_channel_packs_without_hs_codes(company, owner, warehouse):
    domestic = channel_with_zone(countries=["CN"], needs_declaration=False)
    item = StockItemFactory(company=company, warehouse=warehouse, hs_code="")
    parcel = requested(company, owner, domestic, [item], country="CN")
    assert services.declaration_problems(parcel=parcel) == []


def test_a_lower_value_needs_a_reason_which_is_recorded(company, owner, warehouse, channel):
    item = StockItemFactory(company=company, warehouse=warehouse, description="Mugs x 10")
    parcel = make_parcel(company, owner, channel, [item])
    line = parcel.declaration.get()
    fields = {
        "description_en": line.description_en,
        "description_zh": line.description_zh,
        "hs_code": line.hs_code,
        "origin_country": "CN",
        "quantity": line.quantity,
        "unit": "piece",
        "net_weight_kg": line.net_weight_kg,
        "gross_weight_kg": line.gross_weight_kg,
    }
    with pytest.raises(ValidationError) as refused:
        services.declaration_line_update(line=line, actor=owner, declared_value=D("0"), **fields)
    assert "Line 1 (Mugs x 10): the declared value must be greater than zero." in str(refused.value)
    with pytest.raises(ValidationError, match="give the reason"):
        services.declaration_line_update(line=line, actor=owner, declared_value=D("5"), **fields)
    services.declaration_line_update(
        line=line,
        actor=owner,
        declared_value=D("5"),
        value_reason="Samples, no commercial value",
        **fields,
    )
    line.refresh_from_db()
    assert (line.declared_value, line.value_reason) == (D("5.00"), "Samples, no commercial value")
    event = ParcelEvent.objects.filter(parcel=parcel).latest("pk")
    assert "declared at 5.00 USD" in event.reason
    assert "Samples, no commercial value" in event.reason


def test_the_merchant_chooses_the_declaration_currency(company, owner, warehouse, channel):
    item = StockItemFactory(company=company, warehouse=warehouse)
    parcel = make_parcel(company, owner, channel, [item])
    services.declaration_currency_set(parcel=parcel, actor=owner, currency="EUR")
    line = parcel.declaration.get()
    expected = convert_for_display(amount=D("85.00"), from_currency="CNY", to_currency="EUR")
    assert line.declared_value == expected


def test_thresholds_come_from_the_table_staff_keep(company, owner, warehouse, channel):
    item = StockItemFactory(company=company, warehouse=warehouse)
    parcel = make_parcel(company, owner, channel, [item], country="DE")
    (ioss,) = services.thresholds_for(parcel=parcel)
    assert (ioss.threshold.amount, ioss.threshold.currency) == (D("150.00"), "EUR")
    assert ioss.threshold.source_url.startswith("https://")
    assert ioss.above is False
    assert (ioss.number_needed, ioss.number_missing) == ("IOSS number", True)

    services.customs_profile_save(company=company, ioss_number="im 0123456789")
    (ioss,) = services.thresholds_for(parcel=parcel)
    assert not ioss.number_missing

    CustomsThreshold.objects.filter(pk=ioss.threshold.pk).update(amount=D("5"))
    (ioss,) = services.thresholds_for(parcel=parcel)
    assert ioss.above is True
    assert ioss.number_needed == ""

    us = make_parcel(company, owner, channel, [StockItemFactory(company=company)], country="US")
    (de_minimis,) = services.thresholds_for(parcel=us)
    assert de_minimis.threshold.amount == 0
    assert de_minimis.above is True


def test_customs_numbers_are_checked_for_their_shape(company):
    with pytest.raises(ValidationError) as refused:
        services.customs_profile_save(company=company, ioss_number="IM12", eori_number="1234")
    assert set(refused.value.error_dict) == {"ioss_number", "eori_number"}
    profile = services.customs_profile_save(
        company=company,
        ioss_number="IM0123456789",
        eori_number="de 123456789012345",
        importer_name="Nordhaus Einrichtung GmbH",
    )
    assert profile.eori_number == "DE123456789012345"


def test_customs_data_for_store_connections_by_parcel_id(company, owner, warehouse, channel):
    item = StockItemFactory(company=company, warehouse=warehouse)
    parcel = make_parcel(company, owner, channel, [item])
    data = services.parcel_customs_data(parcel.pk)
    assert data["reference"] == parcel.reference
    assert data["lines"][0]["hs_code"] == "691200"
    assert data["total_value"] == data["lines"][0]["value"]


# --- packing by boxes ---------------------------------------------------------------------------


def test_chargeable_weight_is_summed_box_by_box(company, owner, warehouse, channel):
    items = [StockItemFactory(company=company, warehouse=warehouse) for _ in range(2)]
    parcel = requested(company, owner, channel, items)
    boxes = [
        services.Box(D("2.2"), D("30"), D("20"), D("20")),  # volumetric 2.4 -> 2.5 kg
        services.Box(D("1.1"), D("20"), D("20"), D("10")),  # actual 1.1 -> 1.5 kg
    ]
    packed = services.parcel_pack(parcel=parcel, actor=owner, boxes=boxes)
    assert packed.actual_chargeable_kg == D("4.0")
    assert packed.actual_weight_kg == D("3.3")
    # 100 CNY for the first 0.5 kg, then 7 x 30 CNY.
    assert packed.actual_freight_cny == D("310.00")
    assert [(box.number, box.chargeable_kg) for box in packed.boxes.all()] == [
        (1, D("2.5")),
        (2, D("1.5")),
    ]
    assert packed.length_cm is None


def test_a_box_above_the_channels_limit_is_refused_by_number(company, owner, warehouse):
    channel = channel_with_zone(max_box_weight_kg=D("20"))
    items = [StockItemFactory(company=company, warehouse=warehouse)]
    parcel = requested(company, owner, channel, items)
    with pytest.raises(ChannelUnavailable, match="Box 2 weighs 21 kg, above this channel's 20 kg"):
        services.parcel_pack(
            parcel=parcel,
            actor=owner,
            boxes=[
                services.Box(D("5"), D("30"), D("20"), D("20")),
                services.Box(D("21"), D("40"), D("30"), D("30")),
            ],
        )
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.PACKING_REQUESTED
    assert not parcel.boxes.exists()


def test_the_charge_stated_before_requesting_is_the_one_taken(company, owner, warehouse, channel):
    items = [StockItemFactory(company=company, warehouse=warehouse)]
    address = AddressFactory(company=company)
    parcel = services.parcel_create(
        company=company,
        actor=owner,
        destination=address,
        channel=channel,
        item_ids=[item.pk for item in items],
        insured_value=D("200"),
    )
    stated = services.parcel_packing_charge(parcel=parcel)
    assert stated.freight > 0
    assert stated.insurance > 0
    services.parcel_request_packing(parcel=parcel, actor=owner)
    charged = sum(charge.amount for charge in parcel.charges.all())
    assert charged == stated.total
    assert parcel.charges.filter(kind=FreightCharge.Kind.INSURANCE).get().amount == stated.insurance
