"""A local fake of Shopify's Admin GraphQL API and its webhooks (tests, `make run`).

It answers the operations `orders.stores.adapters.shopify` sends (by ``operationName``) in the
shapes Shopify publishes: ``data`` with the queried fields, ``userErrors`` on mutations, and
``extensions.cost`` with ``throttleStatus`` on every answer. It checks the path's API version
and ``X-Shopify-Access-Token``. Orders are kept in the REST JSON that webhooks carry
(id, name, email, customer, shipping_address, line_items, cancelled_at, updated_at), each
with one fulfillment order. Fulfillments are recorded with their tracking info and the
fulfillment events created on them later (``events``: id, status, message, happenedAt; the
status checked against 2025-01's FulfillmentEventStatus). `webhook()` builds the signed
request Shopify would POST (``X-Shopify-Hmac-Sha256`` with the shop's client secret,
``X-Shopify-Webhook-Id``, ``X-Shopify-Topic``, ``X-Shopify-Shop-Domain``), reusing a delivery
id to send a duplicate.

`fail()` scripts the next answers: ``throttle`` (THROTTLED with an empty bucket),
``server_error`` (HTTP 503), ``revoked`` (HTTP 401, as for an uninstalled app or a revoked
token) or ``timeout``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from orders.stores.adapters.fakes import Failures, dumps, next_id, post_json
from orders.stores.signatures import sign

API_VERSION_PATH = "/admin/api/{version}/graphql.json"
# FulfillmentEventStatus of the 2025-01 Admin API.
FULFILLMENT_EVENT_STATUSES = frozenset(
    {
        "ATTEMPTED_DELIVERY",
        "CONFIRMED",
        "DELAYED",
        "DELIVERED",
        "FAILURE",
        "IN_TRANSIT",
        "LABEL_PRINTED",
        "LABEL_PURCHASED",
        "OUT_FOR_DELIVERY",
        "READY_FOR_PICKUP",
    }
)
# ProductVariantSetInput's fields in the 2025-01 Admin API (productSet's variants).
VARIANT_SET_FIELDS = frozenset(
    {
        "barcode",
        "compareAtPrice",
        "file",
        "id",
        "inventoryItem",
        "inventoryPolicy",
        "inventoryQuantities",
        "metafields",
        "optionValues",
        "position",
        "price",
        "requiresComponents",
        "sku",
        "taxable",
        "taxCode",
    }
)
MAX_AVAILABLE = 2000.0
RESTORE_RATE = 100.0
QUERY_COST = 10
# The demo shop every fresh fake knows (`make run`, seed_demo): its own credentials, public.
DEMO_SHOP = "acme-demo.myshopify.com"
DEMO_TOKEN = "shpat_demo_acme"  # noqa: S105
DEMO_CLIENT_SECRET = "shpss_demo_acme"  # noqa: S105


@dataclass
class FakeShop:
    domain: str
    token: str
    client_secret: str
    name: str = "Demo Shopify store"
    orders: dict[str, dict] = field(default_factory=dict)
    # order id -> its fulfillment orders [{"id", "status"}]
    fulfillment_orders: dict[str, list[dict]] = field(default_factory=dict)
    fulfillments: dict[str, list[dict]] = field(default_factory=dict)
    webhooks: dict[str, dict] = field(default_factory=dict)
    products: dict[str, dict] = field(default_factory=dict)
    failures: Failures = field(default_factory=Failures)
    calls: list[str] = field(default_factory=list)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _user_error(field: list[str], message) -> dict:
    return {"field": field, "message": str(message)}


def _gid(kind: str, value) -> str:
    return f"gid://shopify/{kind}/{value}"


def _graphql_order(order: dict, shop: FakeShop) -> dict:
    address = order.get("shipping_address") or {}
    customer = order.get("customer") or {}
    return {
        "id": _gid("Order", order["id"]),
        "name": order["name"],
        "email": order.get("email"),
        "cancelledAt": order.get("cancelled_at"),
        "updatedAt": order.get("updated_at"),
        "customer": {
            "firstName": customer.get("first_name"),
            "lastName": customer.get("last_name"),
        },
        "shippingAddress": {
            "name": address.get("name"),
            "firstName": address.get("first_name"),
            "lastName": address.get("last_name"),
            "company": address.get("company"),
            "address1": address.get("address1"),
            "address2": address.get("address2"),
            "city": address.get("city"),
            "provinceCode": address.get("province_code"),
            "zip": address.get("zip"),
            "countryCodeV2": address.get("country_code"),
            "phone": address.get("phone"),
        },
        "lineItems": {
            "nodes": [
                {
                    "id": _gid("LineItem", item["id"]),
                    "sku": item.get("sku"),
                    "title": item.get("title"),
                    "quantity": item["quantity"],
                    "variant": {"id": _gid("ProductVariant", item["variant_id"])},
                    "product": {"id": _gid("Product", item["product_id"])},
                }
                for item in order["line_items"]
            ]
        },
    }


class FakeShopify:
    def __init__(self, version: str | None = None):
        self.shops: dict[str, FakeShop] = {}
        self.version = version
        self.reset()

    def reset(self) -> None:
        """Back to a fresh fake: only the demo shop, with nothing in it."""
        self.shops.clear()
        self.add_shop(
            DEMO_SHOP, token=DEMO_TOKEN, client_secret=DEMO_CLIENT_SECRET, name="Acme demo shop"
        )

    def add_shop(self, domain: str, *, token: str, client_secret: str, name: str = "") -> FakeShop:
        shop = FakeShop(
            domain=domain,
            token=token,
            client_secret=client_secret,
            name=name or "Demo Shopify store",
        )
        self.shops[domain] = shop
        return shop

    def fail(self, domain: str, kind: str, *, times: int = 1, operation: str | None = None):
        self.shops[domain].failures.add(kind, times=times, operation=operation)

    def revoke(self, domain: str) -> None:
        self.shops[domain].token = f"revoked-{uuid.uuid4().hex}"

    # The merchant's customers ------------------------------------------------------------------

    def create_order(
        self,
        domain: str,
        *,
        lines: list[dict[str, Any]],
        customer: tuple[str, str] = ("Ada", "Lovelace"),
        address: dict[str, str] | None = None,
        email: str = "ada@example.com",
    ) -> dict:
        """lines: [{"variant_id", "product_id", "sku", "title", "quantity"}]."""
        shop = self.shops[domain]
        order_id = str(next_id() * 1000 + 7)
        first, last = customer
        order = {
            "id": int(order_id),
            "admin_graphql_api_id": _gid("Order", order_id),
            "name": f"#{1000 + len(shop.orders) + 1}",
            "order_number": 1000 + len(shop.orders) + 1,
            "email": email,
            "created_at": _now(),
            "updated_at": _now(),
            "cancelled_at": None,
            "financial_status": "paid",
            "fulfillment_status": None,
            "customer": {"first_name": first, "last_name": last},
            "shipping_address": {
                "first_name": first,
                "last_name": last,
                "name": f"{first} {last}",
                "company": None,
                "address1": "10 Downing Street",
                "address2": "",
                "city": "London",
                "province_code": "",
                "zip": "SW1A 2AA",
                "country_code": "GB",
                "phone": "+44 20 7946 0958",
                **(address or {}),
            },
            "line_items": [
                {
                    "id": next_id(),
                    "variant_id": int(line["variant_id"]),
                    "product_id": int(line.get("product_id") or 1),
                    "sku": line.get("sku", ""),
                    "title": line.get("title", "Item"),
                    "name": line.get("title", "Item"),
                    "quantity": int(line.get("quantity", 1)),
                }
                for line in lines
            ],
        }
        shop.orders[order_id] = order
        shop.fulfillment_orders[order_id] = [
            {"id": _gid("FulfillmentOrder", next_id()), "status": "OPEN"}
        ]
        return order

    def cancel_order(self, domain: str, order_id: str) -> dict:
        order = self.shops[domain].orders[str(order_id)]
        order["cancelled_at"] = order["updated_at"] = _now()
        return order

    def webhook(
        self,
        domain: str,
        topic: str,
        order_id: str,
        *,
        delivery_id: str | None = None,
        secret: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the webhook Shopify would POST for `topic`."""
        shop = self.shops[domain]
        body = dumps(shop.orders[str(order_id)])
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(secret=secret or shop.client_secret, body=body),
            "X-Shopify-Shop-Domain": domain,
            "X-Shopify-API-Version": self.version or "2025-01",
            "X-Shopify-Webhook-Id": delivery_id or str(uuid.uuid4()),
            "X-Shopify-Triggered-At": _now(),
        }
        return body, headers

    def deliver(self, domain: str, topic: str, order_id: str) -> list[int]:
        """POST the webhook to every subscription of `topic` (over HTTP)."""
        shop = self.shops[domain]
        wanted = topic.upper().replace("/", "_")
        body, headers = self.webhook(domain, topic, order_id)
        return [
            post_json(sub["callbackUrl"], body, headers)
            for sub in shop.webhooks.values()
            if sub["topic"] == wanted
        ]

    # The API -------------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        shop = self.shops.get(request.url.host)
        if shop is None:
            return httpx.Response(404, json={"errors": "Not Found"})
        from orders.stores import conf

        if request.url.path != API_VERSION_PATH.format(version=conf.api_version()):
            return httpx.Response(404, json={"errors": "Not Found"})
        if request.headers.get("X-Shopify-Access-Token") != shop.token:
            return httpx.Response(
                401,
                json={
                    "errors": "[API] Invalid API key or access token (unrecognized login "
                    "or wrong password)"
                },
            )
        body = json.loads(request.content)
        operation = body.get("operationName") or ""
        shop.calls.append(operation)
        failure = shop.failures.take(operation)
        if failure == "timeout":
            raise httpx.ReadTimeout("fake timeout", request=request)
        if failure == "server_error":
            return httpx.Response(503, text="Service Unavailable")
        if failure == "revoked":
            return httpx.Response(401, json={"errors": "[API] Invalid API key or access token"})
        if failure == "throttle":
            return httpx.Response(
                200,
                json={
                    "errors": [
                        {
                            "message": "Throttled",
                            "extensions": {
                                "code": "THROTTLED",
                                "documentation": "https://shopify.dev/api/usage/rate-limits",
                            },
                        }
                    ],
                    "extensions": self._cost(requested=QUERY_COST, actual=None, available=0),
                },
            )
        handler = getattr(self, f"_op_{operation}", None)
        if handler is None:
            return httpx.Response(
                200, json={"errors": [{"message": f"Unknown operation {operation}"}]}
            )
        data = handler(shop, body.get("variables") or {})
        return httpx.Response(
            200,
            json={
                "data": data,
                "extensions": self._cost(
                    requested=QUERY_COST, actual=QUERY_COST, available=MAX_AVAILABLE - QUERY_COST
                ),
            },
        )

    @staticmethod
    def _cost(*, requested: int, actual: int | None, available: float) -> dict:
        return {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": {
                    "maximumAvailable": MAX_AVAILABLE,
                    "currentlyAvailable": available,
                    "restoreRate": RESTORE_RATE,
                },
            }
        }

    def _op_ShopCheck(self, shop: FakeShop, variables: dict) -> dict:
        return {"shop": {"name": shop.name, "myshopifyDomain": shop.domain, "currencyCode": "USD"}}

    def _op_WebhookCreate(self, shop: FakeShop, variables: dict) -> dict:
        subscription = variables["webhookSubscription"]
        url = subscription.get("callbackUrl") or ""
        if not url.startswith(("https://", "http://")):
            return {
                "webhookSubscriptionCreate": {
                    "webhookSubscription": None,
                    "userErrors": [
                        {
                            "field": ["webhookSubscription", "callbackUrl"],
                            "message": "Address is invalid",
                        }
                    ],
                }
            }
        subscription_id = _gid("WebhookSubscription", next_id())
        shop.webhooks[subscription_id] = {"topic": variables["topic"], "callbackUrl": url}
        return {
            "webhookSubscriptionCreate": {
                "webhookSubscription": {"id": subscription_id, "topic": variables["topic"]},
                "userErrors": [],
            }
        }

    def _op_WebhookDelete(self, shop: FakeShop, variables: dict) -> dict:
        if shop.webhooks.pop(variables["id"], None) is None:
            return {
                "webhookSubscriptionDelete": {
                    "deletedWebhookSubscriptionId": None,
                    "userErrors": [
                        {"field": ["id"], "message": "Webhook subscription does not exist"}
                    ],
                }
            }
        return {
            "webhookSubscriptionDelete": {
                "deletedWebhookSubscriptionId": variables["id"],
                "userErrors": [],
            }
        }

    def _op_OrderGet(self, shop: FakeShop, variables: dict) -> dict:
        order = shop.orders.get(variables["id"].rsplit("/", 1)[-1])
        return {"order": _graphql_order(order, shop) if order else None}

    def _op_OrdersUpdated(self, shop: FakeShop, variables: dict) -> dict:
        since = variables["query"].split(">", 1)[1].strip("'")
        nodes = sorted(
            (o for o in shop.orders.values() if o["updated_at"] > since),
            key=lambda o: o["updated_at"],
        )
        start = int(variables.get("after") or 0)
        page = nodes[start : start + 50]
        more = start + 50 < len(nodes)
        return {
            "orders": {
                "nodes": [_graphql_order(order, shop) for order in page],
                "pageInfo": {"hasNextPage": more, "endCursor": str(start + 50) if more else None},
            }
        }

    def _op_FulfillmentOrders(self, shop: FakeShop, variables: dict) -> dict:
        order_id = variables["id"].rsplit("/", 1)[-1]
        if order_id not in shop.orders:
            return {"order": None}
        return {"order": {"fulfillmentOrders": {"nodes": shop.fulfillment_orders[order_id]}}}

    def _op_FulfillmentCreate(self, shop: FakeShop, variables: dict) -> dict:
        fulfillment = variables["fulfillment"]
        wanted = {pair["fulfillmentOrderId"] for pair in fulfillment["lineItemsByFulfillmentOrder"]}
        for order_id, fulfillment_orders in shop.fulfillment_orders.items():
            matching = [fo for fo in fulfillment_orders if fo["id"] in wanted]
            if not matching:
                continue
            if any(fo["status"] == "CLOSED" for fo in matching):
                return {
                    "fulfillmentCreate": {
                        "fulfillment": None,
                        "userErrors": [
                            {"field": ["fulfillment"], "message": "Fulfillment order is closed."}
                        ],
                    }
                }
            for fo in matching:
                fo["status"] = "CLOSED"
            record = {
                "id": _gid("Fulfillment", next_id()),
                "status": "SUCCESS",
                "trackingInfo": fulfillment.get("trackingInfo") or {},
                "notifyCustomer": bool(fulfillment.get("notifyCustomer")),
            }
            shop.fulfillments.setdefault(order_id, []).append(record)
            shop.orders[order_id]["fulfillment_status"] = "fulfilled"
            return {
                "fulfillmentCreate": {
                    "fulfillment": {"id": record["id"], "status": "SUCCESS"},
                    "userErrors": [],
                }
            }
        return {
            "fulfillmentCreate": {
                "fulfillment": None,
                "userErrors": [
                    {"field": ["fulfillment"], "message": "Fulfillment order does not exist."}
                ],
            }
        }

    def _op_FulfillmentEventCreate(self, shop: FakeShop, variables: dict) -> dict:
        data = variables["fulfillmentEvent"]
        record = next(
            (
                record
                for records in shop.fulfillments.values()
                for record in records
                if record["id"] == data.get("fulfillmentId")
            ),
            None,
        )
        if record is None:
            error = {
                "field": ["fulfillmentEvent", "fulfillmentId"],
                "message": "Fulfillment does not exist.",
            }
            return {"fulfillmentEventCreate": {"fulfillmentEvent": None, "userErrors": [error]}}
        if data.get("status") not in FULFILLMENT_EVENT_STATUSES:
            error = {"field": ["fulfillmentEvent", "status"], "message": "Status is invalid."}
            return {"fulfillmentEventCreate": {"fulfillmentEvent": None, "userErrors": [error]}}
        event = {
            "id": _gid("FulfillmentEvent", next_id()),
            "status": data["status"],
            "message": data.get("message"),
            "happenedAt": data.get("happenedAt") or _now(),
        }
        record.setdefault("events", []).append(event)
        if data["status"] == "DELIVERED":
            record["displayStatus"] = "DELIVERED"
        return {
            "fulfillmentEventCreate": {
                "fulfillmentEvent": {"id": event["id"], "status": event["status"]},
                "userErrors": [],
            }
        }

    def _op_ProductPublish(self, shop: FakeShop, variables: dict) -> dict:
        data = variables["input"]
        options = {
            option["name"]: {value["name"] for value in option.get("values", [])}
            for option in data.get("productOptions", [])
        }
        errors = []
        for index, v in enumerate(data.get("variants", [])):
            unknown = set(v) - VARIANT_SET_FIELDS
            if unknown:
                errors.append(_user_error(["input", "variants", str(index)], sorted(unknown)))
            for chosen in v.get("optionValues") or [{}]:
                known = options.get(chosen.get("optionName"), ())
                if chosen.get("name") not in known:
                    errors.append(
                        _user_error(["input", "variants", str(index)], "optionValues unknown")
                    )
        if errors:
            return {"productSet": {"product": None, "userErrors": errors}}
        product_id = str(next_id())
        variants = [
            {"id": _gid("ProductVariant", next_id()), "sku": v.get("sku"), "price": v["price"]}
            for v in data["variants"]
        ]
        shop.products[product_id] = {**data, "variants": variants}
        return {
            "productSet": {
                "product": {
                    "id": _gid("Product", product_id),
                    "variants": {"nodes": [{"id": v["id"], "sku": v["sku"]} for v in variants]},
                },
                "userErrors": [],
            }
        }


PLATFORM = FakeShopify()
