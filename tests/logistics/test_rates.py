from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logistics import rates
from tests.logistics.factories import RateZoneFactory, channel_with_zone, fx_rate

pytestmark = pytest.mark.django_db

D = Decimal
TARIFF = rates.Tariff(
    divisor=5000,
    first_weight_kg=D("0.5"),
    first_price_cny=D("100.00"),
    additional_unit_kg=D("0.5"),
    additional_price_cny=D("30.00"),
    max_weight_kg=D("30"),
)


def quote(channel, *, country="US", weight="1", dims=("10", "10", "10"), restricted=(), cur="USD"):
    length, width, height = (D(x) for x in dims)
    return rates.quote_channel(
        channel=channel,
        destination_country=country,
        weight_kg=D(weight),
        volume_cm3=length * width * height,
        restricted=set(restricted),
        currency=cur,
    )


@pytest.mark.parametrize(
    ("divisor", "expected"),
    [(5000, D("5.0")), (6000, D("4.0")), (8000, D("3.0"))],
)
def test_volumetric_weight_wins_by_divisor(divisor, expected):
    # 40 x 30 x 20 = 24000 cm3: 4.8 / 4.0 / 3.0 kg volumetric against 2 kg actual.
    tariff = rates.Tariff(**{**TARIFF.__dict__, "divisor": divisor})
    assert (
        rates.chargeable_weight(weight_kg=D("2"), volume_cm3=D("24000"), tariff=tariff) == expected
    )


def test_actual_weight_wins_when_heavier_than_volume():
    assert rates.chargeable_weight(weight_kg=D("7.2"), volume_cm3=D("6000"), tariff=TARIFF) == D(
        "7.5"
    )


@pytest.mark.parametrize(
    ("weight", "chargeable", "price"),
    [
        ("0.1", "0.5", "100.00"),  # below the first weight: the first-weight price
        ("0.5", "0.5", "100.00"),  # exactly the first weight
        ("0.501", "1.0", "130.00"),  # a gram over: one additional unit
        ("1.0", "1.0", "130.00"),
        ("1.001", "1.5", "160.00"),
        ("30", "30.0", "1870.00"),  # the maximum: 100 + 59 x 30
    ],
)
def test_first_and_additional_weight_boundaries(weight, chargeable, price):
    kg = rates.chargeable_weight(weight_kg=D(weight), volume_cm3=D("1"), tariff=TARIFF)
    assert kg == D(chargeable)
    assert rates.freight_price_cny(chargeable_kg=kg, tariff=TARIFF) == D(price)


def test_whole_kilogram_unit_with_larger_first_weight():
    tariff = rates.Tariff(
        divisor=6000,
        first_weight_kg=D("2"),
        first_price_cny=D("80"),
        additional_unit_kg=D("1"),
        additional_price_cny=D("12.50"),
        max_weight_kg=D("100"),
    )
    kg = rates.chargeable_weight(weight_kg=D("3.2"), volume_cm3=D("1"), tariff=tariff)
    assert kg == D("4")
    assert rates.freight_price_cny(chargeable_kg=kg, tariff=tariff) == D("105.00")


def test_quote_in_cny_and_merchant_currency(cny_usd):
    channel = channel_with_zone()
    result = quote(channel, weight="1.2", dims=("30", "20", "10"))  # 1.2 kg both ways -> 1.5
    assert result.available
    assert result.chargeable_weight_kg == D("1.5")
    assert result.price_cny == D("160.00")
    assert result.price == D("22.40")
    assert result.currency == "USD"


def test_merchant_price_rounds_once_to_the_currency_minor_unit():
    fx_rate("CNY", "JPY", "20.567")
    channel = channel_with_zone()
    result = quote(channel, weight="1.2", cur="JPY")  # 160 CNY x 20.567 = 3290.72
    assert result.price == D("3291")


def test_price_without_known_rate_is_none_but_cny_is_given():
    channel = channel_with_zone()
    result = quote(channel, weight="1", cur="KRW")  # no KRW rate is seeded
    assert result.available
    assert result.price is None
    assert result.price_cny == D("130.00")


def test_too_heavy_above_maximum():
    channel = channel_with_zone()
    assert quote(channel, weight="30").available
    heavy = quote(channel, weight="30.001")
    assert not heavy.available
    assert "Too heavy" in heavy.reason
    assert "30.5" in heavy.reason


def test_too_heavy_by_volume():
    channel = channel_with_zone()  # 100 x 100 x 20 / 5000 = 40 kg volumetric
    result = quote(channel, weight="1", dims=("100", "100", "20"))
    assert not result.available
    assert "Too heavy" in result.reason


def test_destination_not_served():
    channel = channel_with_zone()
    result = quote(channel, country="FR")
    assert not result.available
    assert result.reason == "Does not deliver to this destination."


def test_served_country_without_rate_zone():
    channel = channel_with_zone(countries=["US", "FR"], zone__countries=["US"])
    result = quote(channel, country="FR")
    assert not result.available
    assert result.reason == "No rate for this destination."


def test_restricted_goods_refused_unless_allowed():
    plain = channel_with_zone()
    battery_ok = channel_with_zone(accepted_hazards=["battery_built_in"])
    refused = quote(plain, restricted={"battery_built_in", "liquids"})
    assert not refused.available
    assert refused.reason.startswith("Does not carry")
    assert "battery built into the device" in refused.reason
    assert "liquids" in refused.reason
    assert refused.refused == ("battery_built_in", "liquids")
    assert quote(battery_ok, restricted={"battery_built_in"}).available
    assert not quote(battery_ok, restricted={"battery_built_in", "magnets"}).available
    # A channel taking batteries inside devices still refuses a power bank on its own.
    assert not quote(battery_ok, restricted={"battery_standalone"}).available


def test_quote_channels_lists_available_cheapest_first_then_unavailable(cny_usd):
    cheap = channel_with_zone(name="Cheap", zone__first_price_cny=D("50"))
    dear = channel_with_zone(name="Dear", zone__first_price_cny=D("150"))
    far = channel_with_zone(name="Only FR", countries=["FR"])
    channel_with_zone(name="Retired", is_active=False)
    quotes = rates.quote_channels(
        destination_country="US",
        weight_kg=D("0.4"),
        length_cm=D("10"),
        width_cm=D("10"),
        height_cm=D("10"),
        restricted=set(),
        currency="USD",
    )
    assert [q.channel for q in quotes] == [cheap, dear, far]
    assert [q.available for q in quotes] == [True, True, False]
    assert quotes[0].price_cny == D("50")


def test_quote_channels_queries_do_not_grow_with_channels(cny_usd):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            rates.quote_channels(
                destination_country="US",
                weight_kg=D("1"),
                length_cm=D("10"),
                width_cm=D("10"),
                height_cm=D("10"),
                restricted=set(),
                currency="USD",
            )
        return len(context)

    RateZoneFactory()
    one = count()
    for _ in range(5):
        RateZoneFactory()
    assert count() == one


def test_tariff_survives_json_round_trip():
    assert rates.Tariff.from_json(TARIFF.as_json()) == TARIFF


weights = st.decimals(min_value=D("0.001"), max_value=D("200"), places=3)
sides = st.decimals(min_value=D("1"), max_value=D("150"), places=1)


@given(weight=weights, length=sides, width=sides, height=sides)
def test_chargeable_weight_properties(weight, length, width, height):
    volume = length * width * height
    kg = rates.chargeable_weight(weight_kg=weight, volume_cm3=volume, tariff=TARIFF)
    assert kg >= weight
    assert kg >= volume / TARIFF.divisor
    assert kg % TARIFF.additional_unit_kg == 0
    assert kg - TARIFF.additional_unit_kg < max(weight, volume / TARIFF.divisor)


@given(a=weights, b=weights)
def test_price_never_falls_as_weight_rises(a, b):
    low, high = sorted([a, b])
    price = [
        rates.freight_price_cny(
            chargeable_kg=rates.chargeable_weight(weight_kg=w, volume_cm3=D(1), tariff=TARIFF),
            tariff=TARIFF,
        )
        for w in (low, high)
    ]
    assert price[0] <= price[1]
