"""Showing what 1688 said about an offer: translations beside the Chinese, sanitized HTML.

Presentation only: no queries, no rules. Separate from `catalog_tags` so the listing pages'
library stays as it is.
"""

from django import template
from django.utils.safestring import SafeString

from catalog.adapters.html import description_html

register = template.Library()


@register.filter
def sanitized_description(text: str | None) -> SafeString:
    """`{{ description|sanitized_description }}`: text with its line breaks, HTML through nh3."""
    return description_html(text)


@register.filter
def spec_rows(product, language: str | None) -> list[dict]:
    """`{% for row in product|spec_rows:lang %}`: the offer's attributes, repeated names as
    several values, in `language` with the Chinese beside."""
    return product.specification_rows(language)


@register.filter
def sku_label(sku, language: str | None) -> str:
    return sku.label_for(language)
