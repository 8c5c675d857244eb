"""Numbers as a person reads them: never an exponent, never a 28-digit tail.

`Decimal("7E+1")` is seventy kilograms, and `str()` of it reads "7E+1"; a rate divided out reads
"0.1384615384615384615384615385". These helpers turn any number into positional notation with
the places it deserves, grouped as the active language groups. The template filters
(payments/templatetags/numbers.py) and the messages written in Python both use them.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.formats import number_format

RATE_DIGITS = 5


def to_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        return None


def plain(value, *, max_places: int = 3, grouped: bool = True) -> str:
    """`Decimal("7E+1")` -> "70"; `Decimal("1.500")` -> "1.5"; 1234.5 -> "1,234.5" (in English).

    At most `max_places` decimals (half up), trailing zeros dropped, no exponent."""
    number = to_decimal(value)
    if number is None:
        return ""
    rounded = number.quantize(Decimal(1).scaleb(-max_places), rounding=ROUND_HALF_UP)
    text = format(rounded, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    places = len(text.partition(".")[2])
    return number_format(Decimal(text), decimal_pos=places, force_grouping=grouped)


def significant(value, digits: int = RATE_DIGITS) -> str:
    """A rate to `digits` significant digits: 7.11388888890000 -> "7.1139",
    0.1384615384615384615384615385 -> "0.13846"."""
    number = to_decimal(value)
    if number is None:
        return ""
    if number == 0:
        return "0"
    places = max(digits - number.adjusted() - 1, 0)
    return plain(number, max_places=places, grouped=True)
