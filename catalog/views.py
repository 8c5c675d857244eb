"""Merchant catalog pages: category tree, category listing, search and the product page.

Each listing view serves the full page and, for htmx, only the `#product-results` fragment (a
filter change) or the `#product-page` fragment (the next page of results).

The category tree and the listings are rendered once and kept in the shared cache with the
catalog's generation (catalog.generation) they were rendered at: an entry is used only while
that generation is current, so an edit shows as soon as it commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import condition

from catalog import cards, link_views, selectors
from catalog.forms import ProductFilterForm
from catalog.generation import GENERATION_KEY, new_generation
from catalog.links import looks_like_link
from catalog.models import Product
from catalog.pricing import price_quote
from catalog.sku_matrix import sku_matrix
from payments.money import quantize
from payments.selectors import fx_mid_rate
from procurement.accounts.roles import Capability, role_can
from procurement.core.caching import cache_call, page_cache

SETTLEMENT_CURRENCY = "CNY"
DISPLAY_RATE_TTL = 60  # seconds
RESULTS_TTL = 60  # seconds
TREE_TTL = 300  # seconds; also how long a change the generation missed can show
_URL_PLACEHOLDER = 987654321987

# URL names later apps will add; the buttons stay disabled until one resolves.
CART_ADD_URL_NAMES = ("orders:cart-add",)
SOURCING_URL_NAMES = ("orders:sourcing-create", "orders:sourcing-request-create")


@dataclass(frozen=True)
class _Found:
    """What one round trip to the cache found: the catalog's generation (None when the cache
    failed: the page renders without it) and the entries asked for that it holds."""

    generation: str | None
    entries: dict


class _PageCache:
    """The shared page cache as these pages use it: when it fails (Redis away), they render
    without it, slower, instead of failing."""

    def get(self, key):
        return cache_call(page_cache, "get", key, purpose="Catalog")

    def get_many(self, keys) -> _Found:
        """The generation and `keys`, in one round trip."""
        found = cache_call(page_cache, "get_many", [GENERATION_KEY, *keys], purpose="Catalog")
        if found is None:
            return _Found(generation=None, entries={})
        generation = found.pop(GENERATION_KEY, None) or self._first_generation()
        return _Found(generation=generation, entries=found)

    def _first_generation(self) -> str | None:
        """After the generation was lost (a flush, an eviction): start one, or take the one
        another request has just started."""
        generation = new_generation()
        if cache_call(page_cache, "add", GENERATION_KEY, generation, None, purpose="Catalog"):
            return generation
        return self.get(GENERATION_KEY)

    def set(self, key, value, timeout) -> None:
        cache_call(page_cache, "set", key, value, timeout, purpose="Catalog")


_cache = _PageCache()


def _current(entry: dict | None, **rendered_at) -> dict | None:
    """`entry` (from the cache) if it was rendered at `rendered_at` (the generation, the
    display rate), else None."""
    if entry is None or any(entry.get(name) != value for name, value in rendered_at.items()):
        return None
    return entry


def _optional_url(names) -> str | None:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


# The catalog is public: visitors (and people not yet in a company) browse, search and read
# product pages. They see prices in this currency, or none when settings say so
# (CATALOG_PUBLIC_PRICES); the cart, checkout and everything of a company need a member.
VISITOR_CURRENCY = "USD"


def _is_member(request) -> bool:
    return request.user.is_authenticated and bool(request.membership)


def _can_buy(request) -> bool:
    membership = getattr(request, "membership", None)
    return bool(membership) and role_can(membership.role, Capability.BUY)


def _buyer_url(request, names) -> str | None:
    """A link to ordering or sourcing, for roles that may use it (others are not shown it)."""
    return _optional_url(names) if _can_buy(request) else None


def _merchant_currency(request) -> str:
    return request.company.wallet_currency if _is_member(request) else VISITOR_CURRENCY


def _shows_prices(request) -> bool:
    return _is_member(request) or settings.CATALOG_PUBLIC_PRICES


def canonical_url(path: str) -> str:
    """The one address search engines should index for a page (no query string)."""
    return settings.SITE_URL.rstrip("/") + path


def _sign_in_url(request, path: str) -> str:
    return reverse("account_login") + "?" + urlencode({"next": path})


def _rate_key(currency: str) -> str:
    return f"catalog:display-rate:{SETTLEMENT_CURRENCY}:{currency}"


def _display_rate(currency: str, *, found: dict | None = None) -> Decimal | None:
    """The one rate lookup per page: CNY -> the merchant's currency.

    Kept a minute in the cache: rates change daily, the lookup costs several queries, and the
    shown price is indicative only (checkout locks its own quote). `found`: what a
    `cache.get_many()` that asked for `_rate_key(currency)` returned, saving a round trip.
    """
    key = _rate_key(currency)
    rate = found.get(key) if found is not None else _cache.get(key)
    if rate is None:
        rate = fx_mid_rate(from_currency=SETTLEMENT_CURRENCY, to_currency=currency)
        if rate is not None:
            _cache.set(key, rate, DISPLAY_RATE_TTL)
    return rate


def _local(amount: Decimal | None, rate: Decimal | None, currency: str) -> Decimal | None:
    if amount is None or rate is None:
        return None
    return quantize(amount * rate, currency)


def _catalog_crumb():
    return (_("Catalog"), reverse("catalog:index"))


def _visitor_etag(request, *args, **kwargs) -> str | None:
    """For a visitor (not signed in), a tag of what the page shows: the address, the language,
    the htmx part asked for, the catalog's generation and the display rate. A browser that
    sends it back gets 304 Not Modified without the page being rendered. Signed-in merchants
    get none: their pages carry their company, cart and role. Nor does a pasted link (its
    answer depends on the import, not only on the catalog) or a page whose cache is down."""
    if request.user.is_authenticated or looks_like_link(request.GET.get("q", "")):
        return None
    key = _rate_key(VISITOR_CURRENCY)
    found = _cache.get_many([key])
    if found.generation is None:
        return None
    parts = (
        request.get_full_path(),
        get_language(),
        request.headers.get("HX-Request", ""),
        request.headers.get("HX-Target", ""),
        found.generation,
        str(_display_rate(VISITOR_CURRENCY, found=found.entries)),
        settings.CATALOG_PUBLIC_PRICES,
    )
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


visitor_conditional = condition(etag_func=_visitor_etag)


@visitor_conditional
def index(request):
    language = get_language()
    key = f"catalog:tree:{language}"
    found = _cache.get_many([key])
    entry = _current(found.entries.get(key), generation=found.generation)
    if entry is None:
        tree = selectors.category_tree(generation=found.generation)
        html = render_to_string(
            "catalog/index.html#category-tree", {"roots": tree.roots, "language": language}
        )
        entry = {"generation": found.generation, "html": html}
        if found.generation is not None:
            _cache.set(key, entry, TREE_TTL)
    return render(
        request,
        "catalog/index.html",
        {
            # The output of our own template, escaped as it was rendered.
            "tree_html": mark_safe(entry["html"]),  # noqa: S308  # nosec B308 B703
            "crumbs": [(_("Catalog"), "")],
            "canonical_url": canonical_url(reverse("catalog:index")),
        },
    )


def _listing_query(request) -> QueryDict:
    """The query string's listing parameters (the filter form's fields): anything else is
    ignored, so junk parameters neither make cache entries nor travel on in links."""
    query = QueryDict(mutable=True)
    for name in ProductFilterForm.base_fields:
        if name in request.GET:
            query.setlist(name, request.GET.getlist(name))
    return query


def _page_key(request, *, part: str, currency: str, language: str) -> str:
    """What a rendered listing part depends on, but for the display rate and the catalog's
    generation (both kept in the entry): the page asked for, the merchant's currency, the
    language, whether prices are shown and whether the viewer's role may buy (the page links to
    what it may use)."""
    parts = (
        request.path,
        sorted(_listing_query(request).lists()),
        part,
        currency,
        language,
        _shows_prices(request),
        _can_buy(request),
    )
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f"catalog:listing:{digest}"


def _listing(request, *, template: str, page):
    """A listing page, or for htmx only its results (a filter change) or its next page.

    What the page shows below the navbar (title, breadcrumbs, filters and results) and its
    results alone are rendered once and cached for RESULTS_TTL under `_page_key`, with the
    catalog's generation and the display rate they were rendered at: the same for every
    merchant with that currency and language, and rendered again as soon as the rate or the
    generation moves. The generation, the rate and the entry come from the cache in one round
    trip. `page(generation)` gives the heading, crumbs, the categories searched
    (`category_ids`, None for all) and the rest of the page's context; it is called only to
    render.
    """
    currency = _merchant_currency(request)
    language = get_language()
    target = (request.htmx.target or "") if request.htmx else ""
    part = "product-page" if target.startswith("load-more") else "product-results"
    if not request.htmx:
        part = "page"

    keys = {}

    def key(part):
        if part not in keys:
            keys[part] = _page_key(request, part=part, currency=currency, language=language)
        return keys[part]

    # A full page asks for its results too: a page's miss then needs no second round trip.
    asked = [key(part)] if part != "page" else [key("page"), key("product-results")]
    found = _cache.get_many([_rate_key(currency), *asked])
    generation = found.generation
    rate = _display_rate(currency, found=found.entries)
    rendered_at = {"generation": generation, "rate": str(rate)}

    def cached(part, entry, render) -> dict:
        """`entry` (from the cache) if rendered at this generation and rate, else `render()`,
        cached (not when the cache is unreachable: no generation)."""
        if _current(entry, **rendered_at) is None:
            entry = {**rendered_at, **render()}
            if generation is not None:
                _cache.set(key(part), entry, RESULTS_TTL)
        return entry

    built = []

    def context():
        """The form, the link parameters and the context, built once however many parts a
        miss renders (the page and its results both need them)."""
        if built:
            return built[0]
        form = ProductFilterForm(request.GET or None, currency=currency)
        params = {k: v for k, v in _listing_query(request).items() if k != "after" and v != ""}
        shown = page(generation)
        category_ids = shown.pop("category_ids")
        # Search words that name a category find its products (catalog.search).
        tree = selectors.category_tree(generation=generation)
        ctx = {
            **shown,
            "filters": form.filters(rate=rate, category_ids=category_ids, categories=tree),
            "currency": currency,
            "rate": rate,
            "language": language,
            "show_prices": _shows_prices(request),
            "is_filtered": any(k for k in params if k not in ("sort",)),
        }
        built.append((form, params, ctx))
        return built[0]

    def render_results(part) -> dict:
        form, params, ctx = context()
        html = _render_results(
            request, template=f"{template}#{part}", context=ctx, form=form, params=params
        )
        return {"html": html}

    if part != "page":
        return HttpResponse(
            cached(part, found.entries.get(key(part)), lambda: render_results(part))["html"]
        )

    def render_page() -> dict:
        form, _params, shown = context()
        ctx = dict(shown)  # the results render from the context as it was
        part = "product-results"
        results = cached(part, found.entries.get(key(part)), lambda: render_results(part))["html"]
        ctx.update({"form": form, "filter_fields": form.rendered_fields()})
        # The output of our own templates, escaped as they were rendered.
        ctx["results"] = mark_safe(results)  # noqa: S308  # nosec B308 B703
        return {
            "title": ctx["heading"],
            "crumbs": render_to_string("partials/breadcrumbs.html", {"crumbs": ctx["crumbs"]}),
            "content": render_to_string(f"{template}#listing-content", ctx),
        }

    body = cached("page", found.entries.get(key("page")), render_page)
    return render(
        request,
        template,
        {
            "canonical_url": canonical_url(request.path),
            # Result pages of a search are not worth indexing; categories and products are.
            "noindex": bool(request.GET.get("q")),
            "title": body["title"],
            "crumbs_html": mark_safe(body["crumbs"]),  # noqa: S308  # nosec B308 B703
            "content_html": mark_safe(body["content"]),  # noqa: S308  # nosec B308 B703
        },
    )


def _render_results(request, *, template: str, context: dict, form, params: dict) -> str:
    """Run the listing query and render its cards (`template` names the partial)."""
    filters, rate, currency = context["filters"], context["rate"], context["currency"]
    page = selectors.paginate(
        cards.card_versions(selectors.product_listing(filters)),
        sort=filters.sort,
        after=form.cursor,
    )
    # One reverse() for the page, not one per card.
    url_pattern = reverse("catalog:product", args=[_URL_PLACEHOLDER])
    for product in page.items:
        product.price_local = _local(product.min_price_cny, rate, currency)
    shown_cards = cards.cards_render(
        page.items,
        language=context["language"],
        currency=currency,
        rate=rate,
        show_prices=context["show_prices"],
        url_pattern=lambda pk: url_pattern.replace(str(_URL_PLACEHOLDER), str(pk)),
    )
    next_url = None
    if page.next_cursor:
        next_url = "?" + urlencode({**params, "after": page.next_cursor})
    return render_to_string(
        template,
        {
            **context,
            "page": page,
            "cards": shown_cards,
            "next_url": next_url,
            "first_page_url": "?" + urlencode(params) if params else request.path,
            "sourcing_url": _buyer_url(request, SOURCING_URL_NAMES),
        },
    )


@visitor_conditional
def category(request, slug: str):
    def page(generation) -> dict:
        tree = selectors.category_tree(generation=generation)
        node = tree.by_slug.get(slug)
        if node is None:
            raise Http404
        language = get_language()
        crumbs = [_catalog_crumb()]
        crumbs += [
            (c.name_for(language), reverse("catalog:category", args=[c.slug]))
            for c in tree.ancestors(node)
        ]
        crumbs[-1] = (crumbs[-1][0], "")
        return {
            "heading": node.name_for(language),
            "category": node,
            "parent": tree.nodes.get(node.parent_id) if node.parent_id else None,
            "subcategories": tree.children_of(node),
            "crumbs": crumbs,
            "action_url": reverse("catalog:category", args=[node.slug]),
            "category_ids": tree.descendant_ids(node),
        }

    return _listing(request, template="catalog/product_list.html", page=page)


@visitor_conditional
def search(request):
    # --- a pasted product link opens the product or offers to source it ---
    if (answer := link_views.respond_to_link(request)) is not None:
        return answer
    # ---
    return _listing(
        request,
        template="catalog/product_list.html",
        page=lambda generation: {
            "heading": _("Search the catalog"),
            "crumbs": [_catalog_crumb(), (_("Search"), "")],
            "action_url": reverse("catalog:search"),
            "category_ids": None,
        },
    )


def _quantity(raw: str | None) -> int:
    try:
        return max(0, min(int(raw or 0), 10_000_000))
    except ValueError:
        return 0


PRODUCT_TTL = 300  # seconds


def _product_key(pk: int, *, currency: str, language: str, show_prices: bool) -> str:
    """What the shared parts of a product page depend on, but for the display rate and the
    catalog's generation (both kept in the entry)."""
    return f"catalog:product:{pk}:{currency}:{language}:{'p' if show_prices else '-'}"


SUPPLIER_CARD_TTL = 3600  # seconds; used only while the catalog's generation stands


def _supplier_card(supplier, *, language: str, generation: str | None):
    """The supplier's card with its scorecard: the same on every one of its products' pages
    (hundreds each), so rendered once per supplier and language and kept with the catalog's
    generation, which every change it shows moves (the supplier, its performance records
    through `supplier_scorecard_refresh`, its products)."""
    key = f"catalog:supplier-card:{supplier.pk}:{language}"
    entry = _current(_cache.get(key), generation=generation) if generation else None
    if entry is None:
        html = render_to_string(
            "catalog/product_detail.html#product-supplier",
            {"supplier": supplier, "scorecard": selectors.supplier_scorecard(supplier)},
        )
        entry = {"generation": generation, "html": html}
        if generation is not None:
            _cache.set(key, entry, SUPPLIER_CARD_TTL)
    # The output of our own template, escaped as it was rendered.
    return mark_safe(entry["html"])  # noqa: S308  # nosec B308 B703


def _product_parts(request, shown, *, rate, currency, language, generation) -> dict:
    """The product page's context: what every viewer sees (rendered into the kept parts) and
    the quote for the quantities this request asks about. `shown`: selectors.ProductPage."""
    product, tiers, skus = shown.product, shown.tiers, shown.skus
    if skus:
        quantities = {sku: _quantity(request.GET.get(f"qty-{sku.pk}")) for sku in skus}
        for sku in skus:
            sku.quantity = quantities[sku]
            sku.price_local = _local(sku.price_cny, rate, currency)
    else:
        quantities = {None: _quantity(request.GET.get("qty"))}
    quote = None
    if any(quantities.values()):
        quote = price_quote(product=product, quantities=quantities, tiers=tiers)
    tier_rows = [
        {
            "tier": tier,
            "next": tiers[i + 1].min_quantity - 1 if i + 1 < len(tiers) else None,
            "local": _local(tier.unit_price_cny, rate, currency),
            "current": quote is not None and quote.tier == tier,
        }
        for i, tier in enumerate(tiers)
    ]

    # The category chain from the process's tree (catalog.selectors), not from three joins.
    tree = selectors.category_tree(generation=generation)
    node = tree.nodes.get(product.category_id)
    crumbs = [_catalog_crumb()]
    crumbs += [
        (c.name_for(language), reverse("catalog:category", args=[c.slug]))
        for c in (tree.ancestors(node) if node is not None else [])
    ]
    crumbs.append((product.title_for(language), ""))
    return {
        "product": product,
        "title": product.title_for(language),
        "description": product.description_for(language),
        "images": shown.images,
        "skus": skus,
        "matrix": sku_matrix(skus, language),
        "product_quantity": quantities.get(None, 0),
        "tier_rows": tier_rows,
        "quote": quote,
        "quote_total_local": _local(quote.total_cny, rate, currency) if quote else None,
        "supplier_html": _supplier_card(product.supplier, language=language, generation=generation),
        "crumbs": crumbs,
        "attributes": product.attributes if isinstance(product.attributes, dict) else {},
    }


@visitor_conditional
def product_detail(request, pk: int):
    """The product page. What every viewer with this currency, language and display rate sees
    (photos, facts, tiers, variants, description, supplier) is rendered once and kept for
    PRODUCT_TTL with the catalog's generation and the rate it was rendered at, so an edit shows
    as soon as it commits; the order form around it (quantities asked about, the quote, what
    the viewer's role may do, the CSRF token) is rendered for each request."""
    member = _is_member(request)
    currency = _merchant_currency(request)
    language = get_language()
    show_prices = _shows_prices(request)
    template = "catalog/product_detail.html"
    quote_only = bool(request.htmx and request.htmx.target == "price-quote")
    # Quantities asked about mark the current tier and fill the inputs: that page is not kept.
    asks = any(name == "qty" or name.startswith("qty-") for name in request.GET)
    key = _product_key(pk, currency=currency, language=language, show_prices=show_prices)
    found = _cache.get_many([_rate_key(currency), key])
    rate = _display_rate(currency, found=found.entries)
    rendered_at = {"generation": found.generation, "rate": str(rate)}
    viewer = {
        "product_pk": pk,
        "currency": currency,
        "rate": rate,
        "show_prices": show_prices,
        "cart_url": _buyer_url(request, CART_ADD_URL_NAMES),
        "sourcing_url": _buyer_url(request, SOURCING_URL_NAMES),
        "sign_in_url": None if member else _sign_in_url(request, request.path),
        "canonical_url": canonical_url(reverse("catalog:product", args=[pk])),
    }
    entry = None if asks or quote_only else _current(found.entries.get(key), **rendered_at)
    if entry is None:
        try:
            shown = selectors.product_page(pk=pk)
        except Product.DoesNotExist:
            raise Http404 from None
        context = viewer | _product_parts(
            request,
            shown,
            rate=rate,
            currency=currency,
            language=language,
            generation=found.generation,
        )
        if quote_only:
            return render(request, template + "#price-quote", context)
        entry = {
            **rendered_at,
            "title": context["title"],
            "crumbs": render_to_string("partials/breadcrumbs.html", context),
            **{
                part: render_to_string(f"{template}#product-{part}", context)
                for part in ("top", "quantities", "bottom")
            },
        }
        if not asks and found.generation is not None:
            _cache.set(key, entry, PRODUCT_TTL)
        viewer["quote"] = context["quote"]
        viewer["quote_total_local"] = context["quote_total_local"]
    # The output of our own templates, escaped as they were rendered.
    shown = {
        f"{part}_html": mark_safe(entry[part])  # noqa: S308  # nosec B308 B703
        for part in ("crumbs", "top", "quantities", "bottom")
    }
    return render(request, template, {**viewer, **shown, "title": entry["title"]})
