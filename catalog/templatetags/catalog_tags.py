"""Display helpers for catalog pages (presentation only; no queries, no rules)."""

from django import template

from catalog.units import quantity_with_unit

register = template.Library()


@register.filter
def catalog_name(category, language: str | None) -> str:
    return category.name_for(language)


@register.filter
def with_unit(quantity: int, unit: str) -> str:
    """`{{ product.moq|with_unit:product.unit }}` -> "50 pieces"."""
    return quantity_with_unit(quantity, unit)
