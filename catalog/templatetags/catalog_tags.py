"""Display helpers for catalog pages (presentation only; no queries, no rules)."""

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from catalog.models import Province
from catalog.units import quantity_with_unit

register = template.Library()

# Code -> name (translated when shown). A model's get_<field>_display() rebuilds and hashes
# the whole choice list on every call, translating each of its 34 names to do so: on a listing
# of 24 cards that was a fifth of their rendering.
_PROVINCE_NAMES = dict(Province.choices)


@register.filter
def province_name(code: str) -> str:
    """`{{ supplier.province|province_name }}`: the province's name in the page's language."""
    return _PROVINCE_NAMES.get(code, code)


@register.filter
def catalog_name(category, language: str | None) -> str:
    return category.name_for(language)


@register.filter
def select_options(options) -> SafeString:
    """`{{ field.options|select_options }}`: the <option>s of (value, label, selected) triples,
    escaped. One call instead of a template loop over some fifty options on every listing's
    filter form."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        # " selected" has nothing to escape, so it passes through format_html as it is.
        ((value, " selected" if chosen else "", label) for value, label, chosen in options),
    )


@register.filter
def with_unit(quantity: int, unit: str) -> str:
    """`{{ product.moq|with_unit:product.unit }}` -> "50 pieces"."""
    return quantity_with_unit(quantity, unit)


# --- names in the language of the page: one accessor for every page that shows a product ---


@register.filter
def product_title(product) -> str:
    """`{{ product|product_title }}`: the title in the page's language (Product.title_for),
    on the catalog, in the cart, at checkout and on orders alike."""
    return product.title_for(get_language()) if product is not None else ""


@register.filter
def variant_label(sku) -> str:
    """`{{ sku|variant_label }}`: the variant's values in the page's language ("白色 / M")."""
    return sku.label_for(get_language()) if sku is not None else ""


@register.filter
def supplier_name(supplier) -> str:
    """`{{ supplier|supplier_name }}`: the supplier's Chinese name on a Chinese page, the
    English one elsewhere (pages show the original beside it where it helps)."""
    if supplier is None:
        return ""
    language = get_language() or ""
    if language.startswith("zh") and supplier.name_zh:
        return supplier.name_zh
    return supplier.display_name


@register.filter
def line_title(line) -> str:
    """An order, purchase-order or cart line as the merchant reads it: its product's title
    and variant in the page's language; a line with no catalog product (a sourcing quote's)
    keeps the description it was written with. The line's product and SKU must come with it
    (`select_related`)."""
    if getattr(line, "product_id", None) is None:
        return line.description
    title = product_title(line.product)
    if getattr(line, "sku_id", None) is not None:
        return f"{title} — {variant_label(line.sku)}"
    return title
