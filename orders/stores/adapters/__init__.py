"""Clients of the merchants' store platforms, and local fakes of both.

`client_for(connection)` gives the Shopify or WooCommerce client with the connection's clear
credentials; with STORES_FAKE every request goes to the in-process fake of the platform
(`fake_shopify.PLATFORM`, `fake_woocommerce.PLATFORM`) through an httpx MockTransport, so the
clients run unchanged in tests and `make run`.
"""

from __future__ import annotations

import httpx

from orders.stores import conf
from orders.stores.adapters.base import ExternalLine, ExternalOrder, StoreClient
from orders.stores.adapters.shopify import ShopifyClient
from orders.stores.adapters.woocommerce import WooCommerceClient

__all__ = ["ExternalLine", "ExternalOrder", "StoreClient", "client_for", "make_client"]


def _transport(platform: str) -> httpx.BaseTransport | None:
    if not conf.use_fakes():
        return None
    if platform == "shopify":
        from orders.stores.adapters.fake_shopify import PLATFORM
    else:
        from orders.stores.adapters.fake_woocommerce import PLATFORM
    return httpx.MockTransport(PLATFORM.handle)


def make_client(*, platform: str, shop: str, key: str, secret: str = "") -> StoreClient:
    transport = _transport(platform)
    if platform == "shopify":
        return ShopifyClient(shop=shop, token=key, transport=transport)
    return WooCommerceClient(site=shop, key=key, secret=secret, transport=transport)


def client_for(connection) -> StoreClient:
    from orders.stores import crypto

    return make_client(
        platform=connection.platform,
        shop=connection.shop,
        key=crypto.decrypt(connection.access_key_encrypted),
        secret=crypto.decrypt(connection.access_secret_encrypted),
    )
