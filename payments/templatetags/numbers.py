"""The one set of filters that puts numbers on a page.

- money: `{{ amount|money:"JPY" }}` -> "12,345"; `{{ amount|money:"USD" }}` -> "1,234.50": the
  currency's ISO 4217 minor unit, grouped as the active language groups (Chinese too).
- rates: `{% rate quote.client_rate "USD" "CNY" %}` -> "1 USD = 7.1139 CNY": five significant
  digits, the direction stated once.
- weights and sizes: `{{ parcel.weight_kg|kg }}` -> "70 kg", never "7E+1 kg".
- plain numbers and percentages: `{{ value|plain }}`, `{{ fraction|percent }}`,
  `{{ bps|bps_percent }}`.
- dates and times: Django's `date` filter with the named formats (`|date` for a day,
  `|date:"DATETIME_FORMAT"` for a moment), one format per language in procurement/formats, in
  the company's time zone (activated per request by the accounts middleware).

Presentation only: no queries, no rules.
"""

from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from payments.money import minor_unit, quantize
from procurement.core.numbers import plain as plain_number
from procurement.core.numbers import significant, to_decimal

register = template.Library()


@register.filter
def money(amount, currency: str) -> str:
    """An amount in `currency`, rounded to its minor unit (half up) and grouped."""
    value = to_decimal(amount)
    if value is None:
        return ""
    places = minor_unit(currency)
    return number_format(quantize(value, currency), decimal_pos=places, force_grouping=True)


@register.filter
def signed_money(amount, currency: str) -> str:
    text = money(amount, currency)
    value = to_decimal(amount)
    if value is not None and value > 0:
        return "+" + text
    return text


@register.filter
def money_with_code(amount, currency: str) -> str:
    """`{{ amount|money_with_code:"EUR" }}` -> "1,234.50 EUR"."""
    text = money(amount, currency)
    return f"{text} {currency}" if text else ""


@register.simple_tag
def rate(value, base: str, quote: str = "CNY") -> str:
    """`{% rate 7.113888 "USD" "CNY" %}` -> "1 USD = 7.1139 CNY" (`value` is quote per base)."""
    if to_decimal(value) is None:
        return ""
    return _("1 %(base)s = %(rate)s %(quote)s") % {
        "base": base,
        "rate": significant(value),
        "quote": quote,
    }


@register.filter
def reciprocal(value) -> Decimal | None:
    """The same rate the other way round: CNY per USD from USD per CNY."""
    number = to_decimal(value)
    if not number:
        return None
    return Decimal(1) / number


@register.filter
def rate_value(value) -> str:
    """A rate alone, to five significant digits, where the sentence around it names both
    currencies once."""
    return significant(value)


@register.filter
def plain(value, places: int = 3) -> str:
    """A quantity without exponent or trailing zeros: 7E+1 -> "70", 1.500 -> "1.5"."""
    return plain_number(value, max_places=int(places))


@register.filter
def kg(value) -> str:
    """A weight in kilograms: 7E+1 -> "70 kg", 0.0500 -> "0.05 kg"."""
    text = plain_number(value, max_places=3)
    return _("%(weight)s kg") % {"weight": text} if text else ""


@register.filter
def cm(value) -> str:
    """A length in centimetres: 3E+1 -> "30 cm"."""
    text = plain_number(value, max_places=1)
    return _("%(length)s cm") % {"length": text} if text else ""


@register.filter
def percent(value, places: int = 1) -> str:
    """A fraction as a percentage: 0.125 -> "12.5%"."""
    number = to_decimal(value)
    if number is None:
        return "-"
    return number_format(number * 100, decimal_pos=int(places)) + "%"


@register.filter
def bps_percent(value) -> str:
    """Basis points as a percentage: 150 -> "1.50%"."""
    number = to_decimal(value)
    if number is None:
        return ""
    return number_format(number / Decimal(100), decimal_pos=2) + "%"
