"""Webhook signatures as the two platforms compute them.

Shopify: ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of the raw body with the app's
client secret; ``X-Shopify-Webhook-Id`` names the delivery (the same id on every retry),
``X-Shopify-Topic`` and ``X-Shopify-Shop-Domain`` say what and whose.
WooCommerce: ``X-WC-Webhook-Signature`` is the base64 HMAC-SHA256 of the raw body with the
webhook's secret; ``X-WC-Webhook-Delivery-ID`` names the delivery, ``X-WC-Webhook-Topic``
(with ``-Resource`` and ``-Event``) what happened.

Neither platform signs a timestamp, so a replayed delivery is refused by its delivery id
(`WebhookReceipt`), not by its age.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass

from orders.stores.exceptions import WebhookRefused

HEADERS = {
    "shopify": {
        "signature": "X-Shopify-Hmac-Sha256",
        "delivery": "X-Shopify-Webhook-Id",
        "topic": "X-Shopify-Topic",
    },
    "woocommerce": {
        "signature": "X-WC-Webhook-Signature",
        "delivery": "X-WC-Webhook-Delivery-ID",
        "topic": "X-WC-Webhook-Topic",
    },
}


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    topic: str


def sign(*, secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(*, platform: str, secret: str, body: bytes, headers) -> Delivery:
    """The delivery's id and topic when its signature is right; WebhookRefused otherwise."""
    names = HEADERS[platform]
    given = headers.get(names["signature"]) or ""
    if not secret or not given:
        raise WebhookRefused
    if not hmac.compare_digest(sign(secret=secret, body=body), given.strip()):
        raise WebhookRefused
    delivery_id = (headers.get(names["delivery"]) or "").strip()
    if not delivery_id:
        # Both platforms always send one; without it a replay could not be recognised.
        raise WebhookRefused
    return Delivery(delivery_id=delivery_id[:120], topic=(headers.get(names["topic"]) or "")[:60])
