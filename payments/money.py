"""Money helpers: each currency's minor unit (ISO 4217) and the one rounding rule.

Rounding rule: ROUND_HALF_UP to the currency's minor unit, applied once, when an amount is
converted or charged (never to intermediate products such as unit price x quantity in CNY
before conversion).
"""

from decimal import ROUND_HALF_UP, Decimal

from moneyed import get_currency

# ISO 4217 minor units for currencies py-moneyed may not describe the same way.
_MINOR_UNIT_OVERRIDES = {"JPY": 0, "KRW": 0, "KWD": 3, "BHD": 3, "TND": 3, "CNY": 2}


def minor_unit(currency: str) -> int:
    code = currency.upper()
    if code in _MINOR_UNIT_OVERRIDES:
        return _MINOR_UNIT_OVERRIDES[code]
    return (get_currency(code).sub_unit and len(str(get_currency(code).sub_unit)) - 1) or 0


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round `amount` to `currency`'s minor unit, half away from zero."""
    exponent = Decimal(1).scaleb(-minor_unit(currency))
    return Decimal(amount).quantize(exponent, rounding=ROUND_HALF_UP)
