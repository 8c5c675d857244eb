"""Display of money amounts: rounded to the currency's minor unit, grouped by thousands."""

from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.formats import number_format

from payments.money import minor_unit, quantize

register = template.Library()


@register.filter
def money(amount, currency: str) -> str:
    """`{{ amount|money:"JPY" }}` -> "12,345"; `{{ amount|money:"USD" }}` -> "1,234.50"."""
    if amount is None or amount == "":
        return ""
    value = quantize(Decimal(amount), currency)
    return intcomma(number_format(value, decimal_pos=minor_unit(currency)))


@register.filter
def signed_money(amount, currency: str) -> str:
    text = money(amount, currency)
    if amount is not None and amount != "" and Decimal(amount) > 0:
        return "+" + text
    return text


@register.filter
def bps_percent(value) -> str:
    """Basis points as a percentage: 150 -> "1.50%"."""
    if value is None:
        return ""
    return f"{Decimal(value) / 100:.2f}%"
