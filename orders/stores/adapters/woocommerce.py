"""WooCommerce REST API v3 client (https://woocommerce.github.io/woocommerce-rest-api-docs/).

Requests go to ``{site}/wp-json/wc/v3/...`` over HTTPS with the REST API consumer key and
secret as HTTP basic auth (WooCommerce accepts basic auth only over HTTPS; over plain HTTP it
wants OAuth 1.0a, which we do not offer, so a site URL must be https). Lists are paged with
``page`` / ``per_page`` and the ``X-WP-TotalPages`` header.

A busy or failing site answers 429 or 5xx (hosts and security plugins rate-limit the REST API);
those are retried with backoff, honouring ``Retry-After``.

Webhooks are created with ``POST /webhooks`` {name, topic, delivery_url, secret, status}; the
store signs each delivery with ``X-WC-Webhook-Signature``: base64 of HMAC-SHA256 of the body
with that secret. Tracking goes back as status ``completed`` and an order note with
``customer_note: true`` (the customer sees it and is mailed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from orders.stores.adapters.base import (
    ExternalLine,
    ExternalOrder,
    PublishedProduct,
    PublishedVariant,
    StoreClient,
)
from orders.stores.exceptions import StoreRefused

API = "/wp-json/wc/v3"
WEBHOOK_TOPICS = ("order.created", "order.updated")
# Statuses of an order the customer has paid for (or that waits for the merchant to confirm
# a bank transfer): only those are fulfilled.
PAID_STATUSES = frozenset({"processing", "on-hold", "completed"})
CANCELLED_STATUSES = frozenset({"cancelled", "refunded", "trash"})


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:  # the *_gmt fields carry no offset
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def order_from_payload(payload: dict[str, Any]) -> ExternalOrder:
    """The order JSON WooCommerce returns and sends in order.* webhooks."""
    shipping = payload.get("shipping") or {}
    billing = payload.get("billing") or {}
    source = shipping if shipping.get("address_1") else billing
    name = " ".join(part for part in (source.get("first_name"), source.get("last_name")) if part)
    customer = " ".join(
        part for part in (billing.get("first_name"), billing.get("last_name")) if part
    )
    status = payload.get("status") or ""
    return ExternalOrder(
        external_id=str(payload["id"]),
        number=f"#{payload.get('number') or payload['id']}",
        customer_name=customer or name,
        email=billing.get("email") or "",
        address={
            "name": (name or customer)[:120],
            "company_name": (source.get("company") or "")[:160],
            "phone": (shipping.get("phone") or billing.get("phone") or "")[:32],
            "line1": (source.get("address_1") or "")[:200],
            "line2": (source.get("address_2") or "")[:200],
            "city": (source.get("city") or "")[:100],
            "region": (source.get("state") or "")[:100],
            "postcode": (source.get("postcode") or "")[:12],
            "country": (source.get("country") or "").upper(),
        },
        lines=[
            ExternalLine(
                line_id=str(item.get("id", "")),
                # A simple product has variation_id 0: the product itself is the variant.
                variant_id=str(item.get("variation_id") or item.get("product_id") or ""),
                product_id=str(item.get("product_id") or ""),
                sku=item.get("sku") or "",
                title=item.get("name") or "",
                quantity=int(item.get("quantity") or 0),
            )
            for item in payload.get("line_items") or []
        ],
        cancelled=status in CANCELLED_STATUSES,
        updated_at=_parse_time(payload.get("date_modified_gmt")),
        raw=payload,
        payable=status in PAID_STATUSES,
    )


class WooCommerceClient(StoreClient):
    platform = "woocommerce"

    def __init__(
        self, *, site: str, key: str, secret: str, transport: httpx.BaseTransport | None = None
    ):
        self.site = site.rstrip("/")
        super().__init__(base_url=self.site + API, transport=transport, auth=(key, secret))

    def check(self) -> str:
        self._call("GET", "/orders", params={"per_page": 1})
        return self.site

    def webhooks_register(self, *, callback_url: str, secret: str) -> list[str]:
        ids = []
        for topic in WEBHOOK_TOPICS:
            body = self._call(
                "POST",
                "/webhooks",
                json={
                    "name": f"Portal {topic}",
                    "topic": topic,
                    "delivery_url": callback_url,
                    "secret": secret,
                    "status": "active",
                },
            ).json()
            ids.append(str(body["id"]))
        return ids

    def webhooks_delete(self, ids: list[str]) -> None:
        for webhook_id in ids:
            try:
                self._call("DELETE", f"/webhooks/{webhook_id}", params={"force": "true"})
            except StoreRefused as error:
                if error.status != 404:  # already deleted in the store: that is what we want
                    raise

    def order_get(self, external_id: str) -> ExternalOrder:
        return order_from_payload(self._call("GET", f"/orders/{external_id}").json())

    def orders_updated_since(self, since: datetime) -> list[ExternalOrder]:
        found, page = [], 1
        while True:
            response = self._call(
                "GET",
                "/orders",
                params={
                    "modified_after": since.strftime("%Y-%m-%dT%H:%M:%S"),
                    "dates_are_gmt": "true",
                    "per_page": 100,
                    "page": page,
                    "orderby": "modified",
                    "order": "asc",
                },
            )
            found.extend(order_from_payload(item) for item in response.json())
            if page >= int(response.headers.get("X-WP-TotalPages") or 1):
                return found
            page += 1

    def fulfil(
        self, *, external_id: str, tracking_number: str, carrier: str, url: str, notify: bool
    ) -> str:
        self._call("PUT", f"/orders/{external_id}", json={"status": "completed"})
        note = self._call(
            "POST",
            f"/orders/{external_id}/notes",
            json={
                "note": f"Shipped with {carrier}. Tracking number {tracking_number}: {url}",
                "customer_note": notify,
            },
        ).json()
        return str(note["id"])

    # Each note mails the customer: every in-transit scan would be noise, so only these.
    TRACKING_EVENT_KINDS = frozenset(
        {
            "available_for_pickup",
            "out_for_delivery",
            "failed_attempt",
            "delivered",
            "customs_hold",
            "returned",
            "lost",
        }
    )

    def tracking_event(
        self,
        *,
        external_id: str,
        fulfillment_id: str,
        kind: str,
        message: str,
        happened_at: datetime,
        notify: bool,
    ) -> str:
        if kind == "delivered":
            self._call("PUT", f"/orders/{external_id}", json={"status": "completed"})
        note = self._call(
            "POST",
            f"/orders/{external_id}/notes",
            json={"note": message, "customer_note": notify},
        ).json()
        return str(note["id"])

    def product_publish(
        self, *, title: str, description: str, images: list[str], variants: list[dict]
    ) -> PublishedProduct:
        product = self._call(
            "POST",
            "/products",
            json={
                "name": title,
                "type": "variable",
                "status": "draft",
                "description": description,
                "images": [{"src": src} for src in images],
                "attributes": [
                    {
                        "name": "Variant",
                        "options": [v["label"] for v in variants],
                        "variation": True,
                        "visible": True,
                    }
                ],
            },
        ).json()
        batch = self._call(
            "POST",
            f"/products/{product['id']}/variations/batch",
            json={
                "create": [
                    {
                        "regular_price": v["price"],
                        "sku": v["sku"],
                        "attributes": [{"name": "Variant", "option": v["label"]}],
                    }
                    for v in variants
                ]
            },
        ).json()
        return PublishedProduct(
            external_product_id=str(product["id"]),
            variants=[
                PublishedVariant(external_variant_id=str(item["id"]), sku=item.get("sku") or "")
                for item in batch.get("create") or []
            ],
        )
