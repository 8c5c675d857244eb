"""Product links merchants paste: 1688 offers, Taobao and Tmall items. Nothing is fetched.

parse_product_link("https://detail.1688.com/offer/623456789012.html")
-> ParsedLink(source="1688", site="1688", external_id="623456789012", canonical_url=...)

What is pasted is often an app's share text rather than a bare link ("【1688】标题
https://detail.1688.com/offer/N.html", "复制这条信息, ￥AbC123￥ 打开【手机淘宝】即可查看
https://item.taobao.com/item.htm?id=N"): the text is NFKC-normalised (fullwidth letters,
digits and punctuation become ASCII), then the first product link in it is read. Ids are ASCII
digits only: any other digit is refused rather than guessed at.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from django.core.files.storage import default_storage
from django.db.models import Max
from django.utils.translation import gettext as _

from catalog.exceptions import UnsupportedLink
from catalog.models import Product
from catalog.selectors import products_visible

_DIGITS = re.compile(r"^[0-9]{5,20}$")
_OFFER_PATH = re.compile(r"/offer/([0-9]{5,20})\.html?$", re.IGNORECASE)
_WORLD_ITEM_PATH = re.compile(r"/item/([0-9]{5,20})\.html?$", re.IGNORECASE)
# a.m.taobao.com/i<ID>.htm: Taobao's old mobile item page, still what many shares open.
_MOBILE_ITEM_PATH = re.compile(r"^/i([0-9]{5,20})\.html?$", re.IGNORECASE)
# Share links that only redirect; reading them would need the network.
_SHORT_HOSTS = {"m.tb.cn", "tb.cn", "e.tb.cn", "qr.1688.com", "s.click.taobao.com"}
_SITES = r"(?:1688\.com|taobao\.com|tmall\.com|tmall\.hk|tb\.cn)"
# A link inside share text: with a scheme, or a bare host of one of the sites we read.
_LINK_IN_TEXT = re.compile(
    rf"https?://[^\s<>\"'【】「」《》]+|(?<![\w./:@-])(?:[a-z0-9-]+\.)*{_SITES}/[^\s<>\"'【】「」《》]*",
    re.IGNORECASE,
)
# A Taobao share code (淘口令) with no link beside it: "￥AbCd1234￥" (¥ after NFKC) or "€...€".
_SHARE_CODE = re.compile(r"[¥$€₳₴]\s*[A-Za-z0-9]{8,14}\s*[¥$€₳₴]")


@dataclass(frozen=True)
class ParsedLink:
    source: str  # a Product.Source value: "1688" or "taobao" (Taobao and Tmall)
    site: str  # "1688", "taobao" or "tmall"
    external_id: str
    canonical_url: str


def _on(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def _query_id(query: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        for value in query.get(name, []):
            if _DIGITS.match(value.strip()):
                return value.strip()
    return None


def normalise(text: str | None) -> str:
    """NFKC: fullwidth letters, digits and punctuation (U+FF01 to U+FF5E) become ASCII."""
    return unicodedata.normalize("NFKC", text or "").strip()


def links_in(text: str | None) -> list[str]:
    """The links in pasted text, in order (after NFKC), trailing punctuation trimmed."""
    return [m.group(0).rstrip(".,;:!?)]}>'\"") for m in _LINK_IN_TEXT.finditer(normalise(text))]


def looks_like_link(text: str | None) -> bool:
    """Whether a search box's text is a pasted product link or share text, not words."""
    text = normalise(text)
    return bool(links_in(text)) or bool(_SHARE_CODE.search(text))


def parse_product_link(text: str) -> ParsedLink:
    """The source and id of the first 1688, Taobao or Tmall product link in `text` (a link or
    a share text); UnsupportedLink with a message for the person otherwise."""
    text = normalise(text)
    if not text:
        raise UnsupportedLink(_("Paste a product link."))
    candidates = links_in(text)
    if not candidates:
        if _SHARE_CODE.search(text):
            raise UnsupportedLink(
                _(
                    "That is a Taobao share code, not a link; we cannot read it. Open it in the "
                    "Taobao app, then copy and paste the product's full link."
                )
            )
        if " " in text:
            raise UnsupportedLink(
                _("We found no product link in that text. Paste the product's full link.")
            )
        candidates = [text]
    first_error = None
    for candidate in candidates:
        try:
            return _parse_one(candidate)
        except UnsupportedLink as error:
            first_error = first_error or error
    raise first_error


def _parse_one(url: str) -> ParsedLink:
    text = url.strip()
    if "://" not in text:
        text = "https://" + text.lstrip("/")
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError as error:
        raise UnsupportedLink(_("That is not a valid link.")) from error
    if parts.scheme not in ("http", "https") or not host:
        raise UnsupportedLink(_("That is not a web link (it should start with https://)."))
    if host in _SHORT_HOSTS:
        raise UnsupportedLink(
            _(
                "Short share links cannot be read: we cannot follow short links such as "
                "%(host)s. Open the link in your browser and paste the full address of the "
                "product page (for example "
                "detail.1688.com/offer/… or item.taobao.com/item.htm?id=…)."
            )
            % {"host": host}
        )
    query = parse_qs(parts.query)

    if _on(host, "1688.com"):
        match = _OFFER_PATH.search(parts.path)
        offer_id = match.group(1) if match else _query_id(query, "offerId", "offerid", "id")
        if offer_id:
            return ParsedLink(
                source=Product.Source.ALIBABA_1688,
                site="1688",
                external_id=offer_id,
                canonical_url=f"https://detail.1688.com/offer/{offer_id}.html",
            )
        raise UnsupportedLink(
            _(
                "This 1688 link is not a product page. Open the product and copy the link "
                "that looks like detail.1688.com/offer/123456789.html."
            )
        )

    if _on(host, "tmall.com") or _on(host, "tmall.hk"):
        item_id = _query_id(query, "id", "itemId", "item_id")
        if item_id:
            return ParsedLink(
                source=Product.Source.TAOBAO,
                site="tmall",
                external_id=item_id,
                canonical_url=f"https://detail.tmall.com/item.htm?id={item_id}",
            )
        raise UnsupportedLink(
            _("This Tmall link has no item id. Copy the link of the product page itself.")
        )

    if _on(host, "taobao.com"):
        item_id = _query_id(query, "id", "itemId", "item_id")
        for pattern in (_WORLD_ITEM_PATH, _MOBILE_ITEM_PATH):
            match = None if item_id else pattern.search(parts.path)
            item_id = item_id or (match.group(1) if match else None)
        if item_id:
            return ParsedLink(
                source=Product.Source.TAOBAO,
                site="taobao",
                external_id=item_id,
                canonical_url=f"https://item.taobao.com/item.htm?id={item_id}",
            )
        raise UnsupportedLink(
            _("This Taobao link has no item id. Copy the link of the product page itself.")
        )

    raise UnsupportedLink(
        _(
            "We can read links from 1688, Taobao and Tmall only. For anything else, describe "
            "the product and add photos instead."
        )
    )


def imported_product(link: ParsedLink, *, visible_only: bool = True) -> Product | None:
    """The product already imported from this link's offer, if any: `(source,
    source_offer_id)` is unique. Merchants see only what `products_visible()` allows."""
    products = products_visible() if visible_only else Product.objects.all()
    return products.filter(source=link.source, source_offer_id=link.external_id).first()


@dataclass(frozen=True)
class LinkPreview:
    title: str
    image_url: str  # a thumbnail in our storage, or "" while none is stored
    min_price_cny: Decimal | None
    max_price_cny: Decimal | None
    product_id: int


def link_preview(url: str, *, language: str | None = None) -> LinkPreview | None:
    """Title, first image and CNY price range of a linked offer once it has been imported
    (None before): for sourcing requests and the admin to show beside a pasted link."""
    try:
        link = parse_product_link(url)
    except UnsupportedLink:
        return None
    product = imported_product(link, visible_only=False)
    if product is None:
        return None
    prices = [t.unit_price_cny for t in product.tiers.all()]
    sku_max = product.skus.aggregate(m=Max("price_cny"))["m"]
    prices += [sku_max] if sku_max is not None else []
    return LinkPreview(
        title=product.title_for(language),
        image_url=default_storage.url(product.cover_thumbnail) if product.cover_thumbnail else "",
        min_price_cny=product.min_price_cny,
        max_price_cny=max(prices) if prices else None,
        product_id=product.pk,
    )
