"""Product cards, rendered once and shared by every listing and search page that shows them.

A listing URL is rarely asked for twice, but its products are: the same product appears under
its category, every ancestor category, every filter and sort that keeps it, and in searches.
So each card is kept on its own, under a key naming everything the card shows: the product's
and its supplier's `updated_at` (every write a card shows moves one of them: saves, the
services' bulk writes `product_summary_refresh` and `supplier_scorecard_refresh`), the
language, the currency, the display rate and whether prices are shown. A changed product gets a
new key, so nothing has to be deleted, and a change elsewhere in the catalog keeps every other
card. A listing asks for its 24 cards in one round trip, renders only the missing ones and
stores them in one more.

With the cache down, every card renders (the page is slower, never broken).
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db.models import F, QuerySet
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

from procurement.core.caching import cache_call, page_cache

CARD_TEMPLATE = "catalog/product_list.html#product-card"
CARD_TTL = 6 * 3600  # seconds; a key changes with what it shows, so this only bounds memory


def card_versions(qs: QuerySet) -> QuerySet:
    """`qs` (listing rows) with the versions a card's key names."""
    return qs.annotate(
        card_version=F("updated_at"), card_supplier_version=F("supplier__updated_at")
    )


def card_key(product, *, language: str, currency: str, rate, show_prices: bool) -> str:
    return ":".join(
        (
            "catalog:card",
            str(product.pk),
            product.card_version.isoformat(),
            product.card_supplier_version.isoformat(),
            language or "",
            currency,
            str(rate),
            "p" if show_prices else "-",
        )
    )


def cards_render(
    products: list, *, language: str, currency: str, rate, show_prices: bool, url_pattern
) -> list[SafeString]:
    """The cards of `products`, in order: kept ones from the cache, the rest rendered and kept.
    `url_pattern(pk)` gives a product's page URL."""
    keys = [
        card_key(p, language=language, currency=currency, rate=rate, show_prices=show_prices)
        for p in products
    ]
    found = cache_call(page_cache, "get_many", keys, failed={}, purpose="Catalog cards") or {}
    rendered = {}
    template = None
    cards = []
    for product, key in zip(products, keys, strict=True):
        html = found.get(key)
        if html is None:
            template = template or get_template(CARD_TEMPLATE)
            html = template.render(
                {
                    "product": product,
                    "url": url_pattern(product.pk),
                    "price_local": product.price_local,
                    "title": product.title_for(language),
                    "thumb_url": (
                        default_storage.url(product.cover_thumbnail)
                        if product.cover_thumbnail
                        else ""
                    ),
                    "currency": currency,
                    "show_prices": show_prices,
                }
            )
            rendered[key] = html
        # The output of our own template, escaped as it was rendered.
        cards.append(mark_safe(html))  # noqa: S308  # nosec B308 B703
    if rendered:
        cache_call(page_cache, "set_many", rendered, CARD_TTL, purpose="Catalog cards")
    return cards
