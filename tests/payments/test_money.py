"""The rounding rule stated in payments/money.py, case by case."""

from decimal import Decimal

import pytest

from payments.money import minor_unit, quantize, quantize_rate


@pytest.mark.parametrize(
    ("currency", "places"),
    [("USD", 2), ("EUR", 2), ("CNY", 2), ("JPY", 0), ("KWD", 3), ("BHD", 3), ("CHF", 2)],
)
def test_minor_units_follow_iso_4217(currency, places):
    assert minor_unit(currency) == places


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1.005", "USD", "1.01"),  # half a cent rounds up
        ("1.004999", "USD", "1.00"),
        ("-1.005", "USD", "-1.01"),  # half away from zero, also for refunds
        ("0.5", "JPY", "1"),  # half a yen is one yen
        ("1.49", "JPY", "1"),
        ("2.5", "JPY", "3"),  # not banker's rounding
        ("1234.5", "JPY", "1235"),
        ("0.0005", "KWD", "0.001"),
    ],
)
def test_quantize_rounds_half_up_to_the_minor_unit(amount, currency, expected):
    assert quantize(Decimal(amount), currency) == Decimal(expected)
    assert str(quantize(Decimal(amount), currency)) == expected


def test_jpy_has_no_decimals():
    assert quantize(Decimal("1999.4"), "JPY").as_tuple().exponent == 0


def test_rates_are_locked_to_ten_places():
    assert quantize_rate(Decimal("7.12345678905")) == Decimal("7.1234567891")


def test_converted_total_is_not_the_sum_of_converted_lines():
    """The stated rule: convert the unrounded total once; converted lines are display only.

    Three CNY lines at a rate where each line converts to x.5 yen: each line rounds up, so the
    sum of rounded lines is 1 yen more than the rounded total (within half a yen per line).
    """
    rate = Decimal("20.5")  # 1 CNY = 20.5 JPY
    lines_cny = [Decimal("1.00"), Decimal("1.00"), Decimal("1.00")]
    converted_lines = [quantize(line * rate, "JPY") for line in lines_cny]  # 21 each (20.5 up)
    total = quantize(sum(lines_cny) * rate, "JPY")  # 61.5 -> 62
    assert converted_lines == [Decimal(21)] * 3
    assert total == Decimal(62)
    assert sum(converted_lines) - total == Decimal(1)
    assert abs(sum(converted_lines) - total) <= Decimal("0.5") * len(lines_cny)
