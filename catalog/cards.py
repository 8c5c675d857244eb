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

A card is written by `card_html`, not by the template engine: a distinct search shows some
twenty cards no listing has shown yet, and rendering them through a template partial was
about a third of such a page's time (measured on the seeded million); the function writes
the same markup with the same escaping in about a tenth of that.

With the cache down, every card renders (the page is slower, never broken).
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db.models import F, QuerySet
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from catalog.templatetags.catalog_tags import province_name, supplier_name, with_unit
from payments.templatetags.numbers import money
from procurement.core.caching import cache_call, page_cache

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
    cards = []
    for product, key in zip(products, keys, strict=True):
        html = found.get(key)
        if html is None:
            html = card_html(
                product,
                url=url_pattern(product.pk),
                title=product.title_for(language),
                thumb_url=(
                    default_storage.url(product.cover_thumbnail) if product.cover_thumbnail else ""
                ),
                currency=currency,
                show_prices=show_prices,
            )
            rendered[key] = html
        # Written by card_html, every value escaped as it was written.
        cards.append(mark_safe(html))  # noqa: S308  # nosec B308 B703
    if rendered:
        cache_call(page_cache, "set_many", rendered, CARD_TTL, purpose="Catalog cards")
    return cards


def card_html(product, *, url: str, title: str, thumb_url: str, currency: str, show_prices: bool):
    """One product's card (`<li class="product-card">`), in the active language: photo and
    title linking to `url`; the price from the product's `price_local` in `currency` and in
    CNY, or why none is shown; the minimum order; the supplier, its province and rating.
    Every value is escaped; the translated sentences are ours."""
    supplier = product.supplier
    out = [f'<li class="product-card"><a href="{escape(url)}">']
    if thumb_url:
        out.append(
            f'<img src="{escape(thumb_url)}" alt="" width="160" height="160" loading="lazy">'
        )
    else:
        out.append('<i aria-hidden="true"></i>')
    out.append(f"<b>{escape(title)}</b></a><p>")
    if not show_prices:
        out.append(f"<span>{_('Sign in to see prices')}</span>")
    else:
        price_local = product.price_local
        if price_local is not None:
            price = _("from %(price)s %(currency)s") % {
                "price": escape(money(price_local, currency)),
                "currency": escape(currency),
            }
            out.append(f"<strong>{price}</strong>")
        if product.min_price_cny is None:
            out.append(f"<span>{_('Price on request')}</span>")
        else:
            lead = f"{_('from')} " if price_local is None else ""
            out.append(f"<span>{lead}¥{escape(money(product.min_price_cny, 'CNY'))}</span>")
    out.append("</p><p>")
    out.append(_("Min. order %(moq)s") % {"moq": escape(with_unit(product.moq, product.unit))})
    if not product.in_stock:
        out.append(f" · {_('made to order')}")
    province = province_name(supplier.province)
    out.append(f"<br>{escape(supplier_name(supplier))} · {escape(province)}")
    if supplier.rating is not None:
        out.append(f" · ★{escape(localize(supplier.rating))}")
    out.append("</p></li>")
    return mark_safe("".join(out))  # noqa: S308  # nosec B308 B703
