"""Fetching a partner's product images: the one place the catalog reaches the network.

`get_fetcher()` returns the function `catalog.services.offer_images_download` fetches with:
`settings.CATALOG_IMAGE_FETCHER` (a dotted path) when set, so tests plug in their own; with
``ALIBABA_OPEN_FAKE`` the fake platform's own drawing; else `fetch_image` below. URLs come from
partner data, so the real fetcher only reads http(s) URLs on the image hosts it is told to
trust, with a timeout and a size limit.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from django.conf import settings
from django.utils.module_loading import import_string

from catalog.exceptions import ImageRejected
from catalog.models import IMAGE_MAX_BYTES

Fetcher = Callable[[str], bytes]

# 1688 serves offer and SKU images from *.alicdn.com (cbu01.alicdn.com and its siblings).
DEFAULT_HOSTS = ("alicdn.com",)
TIMEOUT_SECONDS = 20


def _trusted(host: str) -> bool:
    hosts = getattr(settings, "CATALOG_IMAGE_HOSTS", DEFAULT_HOSTS)
    return any(host == h or host.endswith("." + h) for h in hosts)


def fetch_image(url: str) -> bytes:
    """The bytes at `url`; ImageRejected for a URL we do not fetch or a body that is too big."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not _trusted(host):
        raise ImageRejected(f"not fetching {url!r}: not an image host we trust")
    request = Request(url, headers={"User-Agent": "procurement-portal/1 (catalog images)"})  # noqa: S310
    with urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310  # nosec B310 - http(s) only, host checked
        body = response.read(IMAGE_MAX_BYTES + 1)
    if len(body) > IMAGE_MAX_BYTES:
        raise ImageRejected(f"{url} is larger than {IMAGE_MAX_BYTES // 1024 // 1024} MB")
    return body


def get_fetcher() -> Fetcher:
    path = getattr(settings, "CATALOG_IMAGE_FETCHER", "")
    if not path and settings.ALIBABA_OPEN_FAKE:
        # Offers the fake platform answers point at 1688's image hosts; it draws them instead.
        path = "catalog.adapters.fake1688.gateway.fake_image"
    return import_string(path) if path else fetch_image
