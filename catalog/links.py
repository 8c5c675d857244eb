"""Product links merchants paste: 1688 offers, Taobao and Tmall items. Nothing is fetched.

parse_product_link("https://detail.1688.com/offer/623456789012.html")
-> ParsedLink(source="1688", site="1688", external_id="623456789012", canonical_url=...)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.utils.translation import gettext as _

from catalog.exceptions import UnsupportedLink
from catalog.models import Product

_DIGITS = re.compile(r"^\d{5,20}$")
_OFFER_PATH = re.compile(r"/offer/(\d{5,20})\.html?$", re.IGNORECASE)
_WORLD_ITEM_PATH = re.compile(r"/item/(\d{5,20})\.html?$", re.IGNORECASE)
# Share links that only redirect; reading them would need the network.
_SHORT_HOSTS = {"m.tb.cn", "tb.cn", "qr.1688.com", "s.click.taobao.com", "e.tb.cn"}


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


def parse_product_link(url: str) -> ParsedLink:
    """The source and id of a 1688, Taobao or Tmall product link; UnsupportedLink otherwise."""
    text = (url or "").strip()
    if not text:
        raise UnsupportedLink(_("Paste a product link."))
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
                "Short share links cannot be read. Open the link in your browser and paste "
                "the full address of the product page."
            )
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
        if item_id is None:
            match = _WORLD_ITEM_PATH.search(parts.path)
            item_id = match.group(1) if match else None
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
