"""Display helpers for catalog pages (presentation only; no queries, no rules)."""

from decimal import Decimal

from django import template

from catalog.units import quantity_with_unit

register = template.Library()


@register.filter
def catalog_name(category, language: str | None) -> str:
    return category.name_for(language)


@register.filter
def percent(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.1f}%"


@register.filter
def with_unit(quantity: int, unit: str) -> str:
    """`{{ product.moq|with_unit:product.unit }}` -> "50 pieces"."""
    return quantity_with_unit(quantity, unit)
