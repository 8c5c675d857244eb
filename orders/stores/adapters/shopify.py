"""Shopify Admin GraphQL API client (https://shopify.dev/docs/api/admin-graphql).

Every call is one POST to ``https://{shop}/admin/api/{version}/graphql.json`` with the custom
app's Admin API access token in ``X-Shopify-Access-Token`` and a body of ``query``,
``variables`` and ``operationName``. The version is a stable quarterly one
(`conf.SHOPIFY_API_VERSION`, 2025-01), where creating a fulfillment is ``fulfillmentCreate``
with a ``FulfillmentInput`` (``fulfillmentCreateV2`` is its deprecated predecessor).

Rate limits are by query cost: every answer carries ``extensions.cost`` (requestedQueryCost,
actualQueryCost, throttleStatus {maximumAvailable, currentlyAvailable, restoreRate}); a query
the bucket cannot pay answers HTTP 200 with ``errors[].extensions.code == "THROTTLED"`` and no
data. We then wait as long as the bucket needs to refill what was asked
((requested - available) / restoreRate seconds) and try again.

Carrier events after the fulfillment go to ``fulfillmentEventCreate`` with a
``FulfillmentEventInput`` (fulfillmentId, status, message, happenedAt); its status is one of
``FulfillmentEventStatus`` (2025-01: IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED, ATTEMPTED_DELIVERY,
READY_FOR_PICKUP, DELAYED, FAILURE, ...). Shopify shows them on the order's timeline and, for
the customer, on the order status page.

Webhooks (orders/create, orders/updated, orders/cancelled) carry the REST order JSON;
`order_from_webhook` reads that shape, `_order_from_graphql` the GraphQL one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from orders.stores import conf
from orders.stores.adapters.base import (
    ExternalLine,
    ExternalOrder,
    PublishedProduct,
    PublishedVariant,
    Retry,
    StoreClient,
)
from orders.stores.exceptions import StoreRefused, StoreThrottled

WEBHOOK_TOPICS = ("ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED")
MAX_THROTTLE_WAIT = 20.0

ORDER_FIELDS = """
  id name email cancelledAt updatedAt
  customer { firstName lastName }
  shippingAddress { name firstName lastName company address1 address2 city provinceCode zip
                    countryCodeV2 phone }
  lineItems(first: 100) { nodes { id sku title quantity variant { id } product { id } } }
"""

SHOP_QUERY = "query ShopCheck { shop { name myshopifyDomain currencyCode } }"
ORDER_QUERY = f"query OrderGet($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
ORDERS_QUERY = f"""query OrdersUpdated($query: String!, $after: String) {{
  orders(first: 50, after: $after, query: $query, sortKey: UPDATED_AT) {{
    nodes {{ {ORDER_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""
FULFILLMENT_ORDERS_QUERY = """query FulfillmentOrders($id: ID!) {
  order(id: $id) { fulfillmentOrders(first: 20) { nodes { id status } } }
}"""
FULFILLMENT_CREATE = """mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}"""
WEBHOOK_CREATE = """mutation WebhookCreate($topic: WebhookSubscriptionTopic!,
                                         $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic }
    userErrors { field message }
  }
}"""
WEBHOOK_DELETE = """mutation WebhookDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } }
}"""
PRODUCT_SET = """mutation ProductPublish($input: ProductSetInput!) {
  productSet(synchronous: true, input: $input) {
    product { id variants(first: 100) { nodes { id sku } } }
    userErrors { field message code }
  }
}"""
FULFILLMENT_EVENT_CREATE = """mutation FulfillmentEventCreate(
  $fulfillmentEvent: FulfillmentEventInput!
) {
  fulfillmentEventCreate(fulfillmentEvent: $fulfillmentEvent) {
    fulfillmentEvent { id status }
    userErrors { field message }
  }
}"""
# Our carrier event kinds (logistics `TrackingEvent.Kind`) and the FulfillmentEventStatus each
# is told to Shopify as; the others (information received, unknown scans) are not passed on.
FULFILLMENT_EVENT_STATUSES = {
    "in_transit": "IN_TRANSIT",
    "available_for_pickup": "READY_FOR_PICKUP",
    "out_for_delivery": "OUT_FOR_DELIVERY",
    "failed_attempt": "ATTEMPTED_DELIVERY",
    "delivered": "DELIVERED",
    "customs_hold": "DELAYED",
    "exception": "DELAYED",
    "returning": "FAILURE",
    "returned": "FAILURE",
    "lost": "FAILURE",
}
# Fulfillment orders that can still be fulfilled.
FULFILLABLE = frozenset({"OPEN", "IN_PROGRESS", "SCHEDULED"})


def gid(kind: str, legacy_id: str) -> str:
    return f"gid://shopify/{kind}/{legacy_id}"


def legacy_id(value: Any) -> str:
    """The numeric id of "gid://shopify/Order/450789469" (or of a number already)."""
    if value in (None, ""):
        return ""
    return str(value).rsplit("/", 1)[-1]


def _address(raw: dict | None, fallback_name: str) -> dict[str, str]:
    raw = raw or {}
    name = raw.get("name") or " ".join(
        part
        for part in (
            raw.get("first_name") or raw.get("firstName"),
            raw.get("last_name") or raw.get("lastName"),
        )
        if part
    )
    return {
        "name": (name or fallback_name)[:120],
        "company_name": (raw.get("company") or "")[:160],
        "phone": (raw.get("phone") or "")[:32],
        "line1": (raw.get("address1") or "")[:200],
        "line2": (raw.get("address2") or "")[:200],
        "city": (raw.get("city") or "")[:100],
        "region": (raw.get("province_code") or raw.get("provinceCode") or "")[:100],
        "postcode": (raw.get("zip") or "")[:12],
        "country": (raw.get("country_code") or raw.get("countryCodeV2") or "").upper(),
    }


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def order_from_webhook(payload: dict) -> ExternalOrder:
    """The REST order JSON of an orders/* webhook."""
    customer = payload.get("customer") or {}
    customer_name = " ".join(
        part for part in (customer.get("first_name"), customer.get("last_name")) if part
    )
    address = _address(payload.get("shipping_address"), customer_name)
    return ExternalOrder(
        external_id=str(payload["id"]),
        number=str(payload.get("name") or payload.get("order_number") or payload["id"]),
        customer_name=customer_name or address["name"],
        email=payload.get("email") or "",
        address=address,
        lines=[
            ExternalLine(
                line_id=str(item.get("id", "")),
                variant_id=legacy_id(item.get("variant_id")),
                product_id=legacy_id(item.get("product_id")),
                sku=item.get("sku") or "",
                title=item.get("name") or item.get("title") or "",
                quantity=int(item.get("quantity") or 0),
            )
            for item in payload.get("line_items") or []
        ],
        cancelled=bool(payload.get("cancelled_at")),
        updated_at=_parse_time(payload.get("updated_at")),
        raw=payload,
    )


def _order_from_graphql(node: dict) -> ExternalOrder:
    customer = node.get("customer") or {}
    customer_name = " ".join(
        part for part in (customer.get("firstName"), customer.get("lastName")) if part
    )
    address = _address(node.get("shippingAddress"), customer_name)
    return ExternalOrder(
        external_id=legacy_id(node["id"]),
        number=node.get("name") or legacy_id(node["id"]),
        customer_name=customer_name or address["name"],
        email=node.get("email") or "",
        address=address,
        lines=[
            ExternalLine(
                line_id=legacy_id(item.get("id")),
                variant_id=legacy_id((item.get("variant") or {}).get("id")),
                product_id=legacy_id((item.get("product") or {}).get("id")),
                sku=item.get("sku") or "",
                title=item.get("title") or "",
                quantity=int(item.get("quantity") or 0),
            )
            for item in (node.get("lineItems") or {}).get("nodes") or []
        ],
        cancelled=bool(node.get("cancelledAt")),
        updated_at=_parse_time(node.get("updatedAt")),
        raw=node,
    )


def _user_errors(payload: dict) -> None:
    errors = payload.get("userErrors") or []
    if errors:
        raise StoreRefused("; ".join(str(error.get("message")) for error in errors)[:400])


class ShopifyClient(StoreClient):
    platform = "shopify"

    def __init__(self, *, shop: str, token: str, transport: httpx.BaseTransport | None = None):
        self.shop = shop
        super().__init__(
            base_url=f"https://{shop}",
            transport=transport,
            headers={"X-Shopify-Access-Token": token, "Content-Type": "application/json"},
        )
        self.path = f"/admin/api/{conf.api_version()}/graphql.json"

    def _check(self, response: httpx.Response) -> httpx.Response:
        response = super()._check(response)
        body = response.json()
        errors = body.get("errors") or []
        if isinstance(errors, list) and any(
            (error.get("extensions") or {}).get("code") == "THROTTLED" for error in errors
        ):
            raise Retry(StoreThrottled(), self._throttle_wait(body))
        if errors:
            messages = (
                errors
                if isinstance(errors, str)
                else "; ".join(str(error.get("message")) for error in errors)
            )
            raise StoreRefused(str(messages)[:400])
        return response

    @staticmethod
    def _throttle_wait(body: dict) -> float | None:
        cost = (body.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        try:
            needed = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
            rate = float(status["restoreRate"])
        except (KeyError, TypeError, ValueError):
            return None
        if conf.backoff_seconds() == 0:
            return 0
        return min(max(needed / rate, 0.5), MAX_THROTTLE_WAIT) if rate > 0 else None

    def graphql(self, query: str, operation: str, variables: dict | None = None) -> dict:
        response = self._call(
            "POST",
            self.path,
            json={"query": query, "variables": variables or {}, "operationName": operation},
        )
        return response.json().get("data") or {}

    def check(self) -> str:
        shop = self.graphql(SHOP_QUERY, "ShopCheck").get("shop") or {}
        return shop.get("name") or self.shop

    def webhooks_register(self, *, callback_url: str, secret: str = "") -> list[str]:
        # Shopify signs with the app's client secret; `secret` is not sent.
        ids = []
        for topic in WEBHOOK_TOPICS:
            data = self.graphql(
                WEBHOOK_CREATE,
                "WebhookCreate",
                {
                    "topic": topic,
                    "webhookSubscription": {"callbackUrl": callback_url, "format": "JSON"},
                },
            )["webhookSubscriptionCreate"]
            _user_errors(data)
            ids.append(data["webhookSubscription"]["id"])
        return ids

    def webhooks_delete(self, ids: list[str]) -> None:
        for subscription_id in ids:
            data = self.graphql(WEBHOOK_DELETE, "WebhookDelete", {"id": subscription_id})
            _user_errors(data["webhookSubscriptionDelete"])

    def order_get(self, external_id: str) -> ExternalOrder:
        node = self.graphql(ORDER_QUERY, "OrderGet", {"id": gid("Order", external_id)}).get("order")
        if not node:
            raise StoreRefused("Order not found.", status=404)
        return _order_from_graphql(node)

    def orders_updated_since(self, since: datetime) -> list[ExternalOrder]:
        query = f"updated_at:>'{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
        found, after = [], None
        while True:
            page = self.graphql(ORDERS_QUERY, "OrdersUpdated", {"query": query, "after": after})[
                "orders"
            ]
            found.extend(_order_from_graphql(node) for node in page["nodes"])
            if not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]

    def fulfil(
        self, *, external_id: str, tracking_number: str, carrier: str, url: str, notify: bool
    ) -> str:
        order = self.graphql(
            FULFILLMENT_ORDERS_QUERY, "FulfillmentOrders", {"id": gid("Order", external_id)}
        ).get("order")
        if not order:
            raise StoreRefused("Order not found.", status=404)
        open_orders = [
            node["id"]
            for node in order["fulfillmentOrders"]["nodes"]
            if node["status"] in FULFILLABLE
        ]
        if not open_orders:
            raise StoreRefused("The order has nothing left to fulfil in the store.")
        data = self.graphql(
            FULFILLMENT_CREATE,
            "FulfillmentCreate",
            {
                "fulfillment": {
                    "lineItemsByFulfillmentOrder": [
                        {"fulfillmentOrderId": fulfillment_order_id}
                        for fulfillment_order_id in open_orders
                    ],
                    "notifyCustomer": notify,
                    "trackingInfo": {"number": tracking_number, "company": carrier, "url": url},
                }
            },
        )["fulfillmentCreate"]
        _user_errors(data)
        return data["fulfillment"]["id"]

    TRACKING_EVENT_KINDS = frozenset(FULFILLMENT_EVENT_STATUSES)

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
        # The customer hears of it as the fulfillment was set up (`notifyCustomer` of the
        # fulfillment); the event itself carries no notification flag.
        data = self.graphql(
            FULFILLMENT_EVENT_CREATE,
            "FulfillmentEventCreate",
            {
                "fulfillmentEvent": {
                    "fulfillmentId": fulfillment_id,
                    "status": FULFILLMENT_EVENT_STATUSES[kind],
                    "message": message[:255],
                    "happenedAt": happened_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            },
        )["fulfillmentEventCreate"]
        _user_errors(data)
        return data["fulfillmentEvent"]["id"]

    def product_publish(
        self, *, title: str, description: str, images: list[str], variants: list[dict]
    ) -> PublishedProduct:
        data = self.graphql(
            PRODUCT_SET,
            "ProductPublish",
            {
                "input": {
                    "title": title,
                    "descriptionHtml": description,
                    "status": "DRAFT",
                    "productOptions": [
                        {"name": "Variant", "values": [{"name": v["label"]} for v in variants]}
                    ],
                    "variants": [
                        {
                            "optionValues": [{"optionName": "Variant", "name": v["label"]}],
                            "price": v["price"],
                            "sku": v["sku"],
                        }
                        for v in variants
                    ],
                    "files": [{"originalSource": src, "contentType": "IMAGE"} for src in images],
                }
            },
        )["productSet"]
        _user_errors(data)
        product = data["product"]
        return PublishedProduct(
            external_product_id=legacy_id(product["id"]),
            variants=[
                PublishedVariant(external_variant_id=legacy_id(node["id"]), sku=node["sku"] or "")
                for node in product["variants"]["nodes"]
            ],
        )
