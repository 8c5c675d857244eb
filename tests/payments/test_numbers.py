"""The one set of number filters: money with its minor unit and the language's grouping, rates to
five significant digits with their direction, weights and sizes without exponents, dates in
one format per language."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from payments.templatetags import numbers


def render(source: str, **context) -> str:
    return Template("{% load numbers %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("1234567.891"), "USD", "1,234,567.89"),
        (Decimal("1234567.5"), "JPY", "1,234,568"),
        (Decimal("432.000"), "USD", "432.00"),
        (Decimal("0.0005"), "KWD", "0.001"),
        (Decimal("-35.125"), "EUR", "-35.13"),
    ],
)
def test_money_rounds_to_the_minor_unit_and_groups_thousands(amount, currency, expected):
    with translation.override("en"):
        assert numbers.money(amount, currency) == expected


def test_chinese_amounts_are_grouped_by_thousands_too():
    with translation.override("zh-hans"):
        assert numbers.money(Decimal("9876543.21"), "CNY") == "9,876,543.21"
        assert render('{{ a|money:"USD" }}', a=Decimal("12345.6")) == "12,345.60"


def test_money_leaves_nothing_for_no_amount():
    assert numbers.money(None, "USD") == ""
    assert numbers.money("", "USD") == ""


def test_a_rate_states_its_direction_once_to_five_significant_digits():
    with translation.override("en"):
        assert render('{% rate r "USD" "CNY" %}', r=Decimal("7.11388888890000")) == (
            "1 USD = 7.1139 CNY"
        )
        inverse = Decimal(1) / Decimal("7.2443")
        assert render('{% rate r|reciprocal "USD" "CNY" %}', r=inverse) == "1 USD = 7.2443 CNY"
        assert numbers.rate_value(Decimal("0.1384615384615384615384615385")) == "0.13846"
        assert numbers.rate_value(Decimal("162.4573")) == "162.46"


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        (Decimal("7E+1"), "70 kg"),
        (Decimal("1.5E+2"), "150 kg"),
        (Decimal("0.001"), "0.001 kg"),
        (Decimal("1.200"), "1.2 kg"),
        (Decimal("12500.000"), "12,500 kg"),
    ],
)
def test_weights_never_show_an_exponent(weight, expected):
    with translation.override("en"):
        assert numbers.kg(weight) == expected


def test_sizes_and_plain_numbers_never_show_an_exponent():
    with translation.override("en"):
        assert numbers.cm(Decimal("3E+1")) == "30 cm"
        assert numbers.plain(Decimal("2.50")) == "2.5"
        assert numbers.plain(Decimal("1E+3"), 0) == "1,000"


def test_percentages():
    with translation.override("en"):
        assert numbers.percent(Decimal("0.125")) == "12.5%"
        assert numbers.percent(None) == "-"
        assert numbers.bps_percent(150) == "1.50%"


@pytest.mark.parametrize(
    ("language", "zone", "expected"),
    [
        ("en", "Asia/Tokyo", "3 Dec 2026, 23:04 JST"),
        ("en", "Europe/Berlin", "3 Dec 2026, 15:04 CET"),
        ("zh-hans", "Asia/Shanghai", "2026年12月3日 22:04 CST"),
    ],
)
def test_one_date_format_per_language_in_the_active_zone(language, zone, expected):
    moment = datetime(2026, 12, 3, 14, 4, tzinfo=UTC)
    with translation.override(language), timezone.override(zone):
        assert render('{{ t|date:"DATETIME_FORMAT" }}', t=moment) == expected
        # A date printed without a named format reads the same way.
        assert render("{{ t }}", t=moment) == expected
