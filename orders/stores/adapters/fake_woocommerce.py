"""A local fake of the WooCommerce REST API v3 and its webhooks (tests, `make run`).

Routes under ``/wp-json/wc/v3``: orders (list with ``modified_after`` and paging headers
``X-WP-Total`` / ``X-WP-TotalPages``, read, update), order notes, webhooks (create, delete with
``force``), products and variation batches, answering WooCommerce's JSON shapes and its error
body ``{"code", "message", "data": {"status"}}``. Basic auth must carry the site's consumer
key and secret. `webhook()` builds the signed request WooCommerce would POST
(``X-WC-Webhook-Signature``: base64 HMAC-SHA256 of the body with the webhook's secret,
``X-WC-Webhook-Source``, ``-Topic``, ``-Resource``, ``-Event``, ``-ID``, ``-Delivery-ID``).

`fail()` scripts the next answers: ``throttle`` (429 with Retry-After), ``server_error``
(503), ``revoked`` (401 ``woocommerce_rest_cannot_view``) or ``timeout``.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from orders.stores.adapters.fakes import Failures, dumps, next_id, post_json
from orders.stores.signatures import sign

API = "/wp-json/wc/v3"
# The demo site every fresh fake knows (`make run`, seed_demo): its own credentials, public.
DEMO_SITE = "https://acme-demo-woo.example"
DEMO_KEY = "ck_demo_acme"
DEMO_SECRET = "cs_demo_acme"  # noqa: S105


@dataclass
class FakeSite:
    url: str
    key: str
    secret: str
    orders: dict[str, dict] = field(default_factory=dict)
    notes: dict[str, list[dict]] = field(default_factory=dict)
    webhooks: dict[str, dict] = field(default_factory=dict)
    products: dict[str, dict] = field(default_factory=dict)
    failures: Failures = field(default_factory=Failures)
    calls: list[str] = field(default_factory=list)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(
        status, json={"code": code, "message": message, "data": {"status": status}}
    )


class FakeWooCommerce:
    def __init__(self):
        self.sites: dict[str, FakeSite] = {}
        self.reset()

    def reset(self) -> None:
        """Back to a fresh fake: only the demo site, with nothing in it."""
        self.sites.clear()
        self.add_site(DEMO_SITE, key=DEMO_KEY, secret=DEMO_SECRET)

    def add_site(self, url: str, *, key: str, secret: str) -> FakeSite:
        site = FakeSite(url=url.rstrip("/"), key=key, secret=secret)
        self.sites[httpx.URL(url).host] = site
        return site

    def site(self, url: str) -> FakeSite:
        return self.sites[httpx.URL(url).host]

    def fail(self, url: str, kind: str, *, times: int = 1, operation: str | None = None):
        self.site(url).failures.add(kind, times=times, operation=operation)

    def revoke(self, url: str) -> None:
        self.site(url).secret = f"cs_revoked_{uuid.uuid4().hex}"

    # The merchant's customers ------------------------------------------------------------------

    def create_order(
        self,
        url: str,
        *,
        lines: list[dict[str, Any]],
        customer: tuple[str, str] = ("Grace", "Hopper"),
        address: dict[str, str] | None = None,
        status: str = "processing",
    ) -> dict:
        """lines: [{"product_id", "variation_id", "sku", "name", "quantity"}]."""
        site = self.site(url)
        order_id = next_id()
        first, last = customer
        shipping = {
            "first_name": first,
            "last_name": last,
            "company": "",
            "address_1": "Unter den Linden 1",
            "address_2": "",
            "city": "Berlin",
            "state": "BE",
            "postcode": "10117",
            "country": "DE",
            "phone": "+49 30 901820",
            **(address or {}),
        }
        order = {
            "id": order_id,
            "number": str(order_id),
            "status": status,
            "currency": "EUR",
            "date_created_gmt": _now(),
            "date_modified_gmt": _now(),
            "total": "0.00",
            "billing": {**shipping, "email": "grace@example.com"},
            "shipping": shipping,
            "line_items": [
                {
                    "id": next_id(),
                    "name": line.get("name", "Item"),
                    "product_id": int(line.get("product_id") or 0),
                    "variation_id": int(line.get("variation_id") or 0),
                    "quantity": int(line.get("quantity", 1)),
                    "sku": line.get("sku", ""),
                    "price": line.get("price", 10),
                }
                for line in lines
            ],
        }
        site.orders[str(order_id)] = order
        return order

    def set_status(self, url: str, order_id, status: str) -> dict:
        order = self.site(url).orders[str(order_id)]
        order["status"] = status
        order["date_modified_gmt"] = _now()
        return order

    def webhook(
        self,
        url: str,
        topic: str,
        order_id,
        *,
        delivery_id: str | None = None,
        secret: str | None = None,
        webhook_id: str = "1",
    ) -> tuple[bytes, dict[str, str]]:
        site = self.site(url)
        if secret is None:
            hook = site.webhooks.get(webhook_id) or next(iter(site.webhooks.values()), {})
            secret = hook.get("secret", "")
        resource, event = topic.split(".", 1)
        body = dumps(site.orders[str(order_id)])
        headers = {
            "Content-Type": "application/json",
            "X-WC-Webhook-Source": site.url + "/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": sign(secret=secret, body=body),
            "X-WC-Webhook-ID": webhook_id,
            "X-WC-Webhook-Delivery-ID": delivery_id or uuid.uuid4().hex,
        }
        return body, headers

    def deliver(self, url: str, topic: str, order_id) -> list[int]:
        site = self.site(url)
        statuses = []
        for hook_id, hook in site.webhooks.items():
            if hook["topic"] == topic:
                body, headers = self.webhook(url, topic, order_id, webhook_id=hook_id)
                statuses.append(post_json(hook["delivery_url"], body, headers))
        return statuses

    # The API -------------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        site = self.sites.get(request.url.host)
        if site is None or not request.url.path.startswith(API):
            return _error(404, "rest_no_route", "No route was found matching the URL.")
        if request.url.scheme != "https":
            return _error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        auth = request.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(f"{site.key}:{site.secret}".encode()).decode()
        if auth != expected:
            return _error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        path = request.url.path[len(API) :].strip("/").split("/")
        operation = f"{request.method} {path[0]}"
        site.calls.append(operation)
        failure = site.failures.take(operation)
        if failure == "timeout":
            raise httpx.ReadTimeout("fake timeout", request=request)
        if failure == "server_error":
            return httpx.Response(503, text="Service Unavailable")
        if failure == "throttle":
            return httpx.Response(
                429,
                headers={"Retry-After": "1"},
                json={"code": "too_many_requests", "message": "Too many requests."},
            )
        if failure == "revoked":
            return _error(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
        body = json.loads(request.content) if request.content else {}
        return self._route(site, request, path, body)

    def _route(self, site: FakeSite, request: httpx.Request, path: list[str], body: dict):
        method, params = request.method, request.url.params
        if path[0] == "orders" and len(path) == 1 and method == "GET":
            since = params.get("modified_after", "")
            found = sorted(
                (o for o in site.orders.values() if o["date_modified_gmt"] > since),
                key=lambda o: o["date_modified_gmt"],
            )
            per_page, page = int(params.get("per_page", 10)), int(params.get("page", 1))
            pages = max((len(found) + per_page - 1) // per_page, 1)
            chunk = found[(page - 1) * per_page : page * per_page]
            return httpx.Response(
                200,
                json=chunk,
                headers={"X-WP-Total": str(len(found)), "X-WP-TotalPages": str(pages)},
            )
        if path[0] == "orders" and len(path) >= 2:
            order = site.orders.get(path[1])
            if order is None:
                return _error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
            if len(path) == 2 and method == "GET":
                return httpx.Response(200, json=order)
            if len(path) == 2 and method in ("PUT", "POST"):
                order.update({k: v for k, v in body.items() if k in ("status",)})
                order["date_modified_gmt"] = _now()
                return httpx.Response(200, json=order)
            if len(path) == 3 and path[2] == "notes" and method == "POST":
                note = {
                    "id": next_id(),
                    "author": "WooCommerce",
                    "date_created_gmt": _now(),
                    "note": body.get("note", ""),
                    "customer_note": bool(body.get("customer_note")),
                }
                site.notes.setdefault(path[1], []).append(note)
                return httpx.Response(201, json=note)
        if path[0] == "webhooks" and method == "POST" and len(path) == 1:
            hook_id = str(next_id())
            site.webhooks[hook_id] = {"id": int(hook_id), **body, "date_created_gmt": _now()}
            return httpx.Response(
                201, json={k: v for k, v in site.webhooks[hook_id].items() if k != "secret"}
            )
        if path[0] == "webhooks" and method == "DELETE" and len(path) == 2:
            hook = site.webhooks.pop(path[1], None)
            if hook is None:
                return _error(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
            return httpx.Response(200, json={k: v for k, v in hook.items() if k != "secret"})
        if path[0] == "products" and method == "POST" and len(path) == 1:
            product_id = str(next_id())
            site.products[product_id] = {"id": int(product_id), **body, "variations": []}
            return httpx.Response(201, json=site.products[product_id])
        if path[0] == "products" and len(path) == 4 and path[2:] == ["variations", "batch"]:
            product = site.products.get(path[1])
            if product is None:
                return _error(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
            created = [{"id": next_id(), **variation} for variation in body.get("create", [])]
            product["variations"].extend(created)
            return httpx.Response(200, json={"create": created})
        return _error(404, "rest_no_route", "No route was found matching the URL and method.")


PLATFORM = FakeWooCommerce()
