"""Money helpers: each currency's minor unit (ISO 4217) and the one rounding rule.

The rule, applied everywhere money is rounded:

* Amounts are `Decimal`, never float. Rounding is ROUND_HALF_UP (half away from zero) to the
  currency's ISO 4217 minor unit: JPY 0 decimals, USD/EUR/CNY 2, KWD 3.
* An amount is rounded once, at the edge where it becomes money that moves: when a quote turns a
  CNY amount into the wallet currency, when a fee is computed, when a posting is written.
  Intermediate products (unit price x quantity, rate x markup) are never rounded to money.
* Rates are kept to `RATE_PLACES` (10) decimal places, half up, when a quote locks them.
* A converted total is converted from the unrounded total; it is not the sum of separately
  converted lines. Lines shown converted may therefore differ from the converted total by at most
  half a minor unit per line (a 3-line JPY basket can differ by 1 yen). Checkout charges the
  converted total; converted lines are for display only. `tests/payments/test_money.py` shows it.
"""

from decimal import ROUND_HALF_UP, Decimal

from moneyed import get_currency

RATE_PLACES = 10
_RATE_EXPONENT = Decimal(1).scaleb(-RATE_PLACES)

# ISO 4217 minor units, stated here so the rule does not depend on a library's table.
_MINOR_UNITS = {
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "KWD": 3,
    "BHD": 3,
    "TND": 3,
    "OMR": 3,
    "JOD": 3,
    "CNY": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "AUD": 2,
    "CAD": 2,
    "HKD": 2,
    "SGD": 2,
}


def minor_unit(currency: str) -> int:
    """How many decimal places `currency` has (ISO 4217)."""
    code = currency.upper()
    if code in _MINOR_UNITS:
        return _MINOR_UNITS[code]
    sub_unit = get_currency(code).sub_unit or 1
    return len(str(sub_unit)) - 1


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round `amount` to `currency`'s minor unit, half away from zero."""
    exponent = Decimal(1).scaleb(-minor_unit(currency))
    return Decimal(amount).quantize(exponent, rounding=ROUND_HALF_UP)


def quantize_rate(rate: Decimal) -> Decimal:
    """Round an exchange rate to the precision quotes lock it at."""
    return Decimal(rate).quantize(_RATE_EXPONENT, rounding=ROUND_HALF_UP)


def bps(value: int | Decimal) -> Decimal:
    """Basis points as a fraction: 150 bps -> 0.015."""
    return Decimal(value) / Decimal(10_000)
