"""The load driver of bench/load_test.py: closed-loop virtual merchants on threads, each with its
own http.client connection to 127.0.0.1, its own session cookie and company API key.

Each virtual user repeatedly picks one action by weight (browse, search, product page, add to
cart, checkout and pay, order pages, API reads, API orders with an Idempotency-Key and some
replays) until the deadline, with no think time unless LOAD_THINK_MS is set. Every request is
timed and judged against what the page must answer (status and redirect target); the first
failures per endpoint are kept with an excerpt so the report can quote them.
"""

# ruff: noqa: S311 - random picks the workload mix, not secrets

from __future__ import annotations

import http.client
import json
import random
import re
import secrets
import string
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

TIMEOUT_S = 30
ALERT = re.compile(r'<div[^>]*class="[^"]*\balert\b[^"]*"[^>]*>(.*?)</div>', re.S)
TAG = re.compile(r"<[^>]+>")


def _alert_text(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    found = [" ".join(unescape(TAG.sub(" ", m)).split()) for m in ALERT.findall(text)]
    return " | ".join(t for t in found if t)[:300]


@dataclass
class Endpoint:
    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    errors: int = 0
    samples: dict[str, list] = field(default_factory=dict)  # reason -> [count, example]


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_name: dict[str, Endpoint] = defaultdict(Endpoint)
        self.recording = False
        self.counters: dict[str, int] = defaultdict(int)

    def record(self, name: str, seconds: float, ok: bool, reason: str = "", example: str = ""):
        if not self.recording:
            return
        with self.lock:
            endpoint = self.by_name[name]
            endpoint.latencies.append(seconds)
            if ok:
                endpoint.ok += 1
                return
            endpoint.errors += 1
            sample = endpoint.samples.setdefault(reason, [0, example])
            sample[0] += 1

    def count(self, what: str, n: int = 1) -> None:
        """Outcomes counted over the whole run, warm-up included, to compare with the database."""
        with self.lock:
            self.counters[what] += n


class Response:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status = status
        self.location = headers.get("Location", "")
        self.body = body

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class VirtualMerchant:
    """One signed-in merchant (session cookie) whose company also has an API key."""

    def __init__(
        self, n: int, user: dict, plan: dict, ports: list[int], stats: Stats, think_ms: int
    ):
        self.rng = random.Random(n)
        self.plan = plan
        # Web instances, as behind a load balancer: this merchant's own first, the others on
        # failure (see request()).
        self.ports = ports[n % len(ports) :] + ports[: n % len(ports)]
        self.port = self.ports[0]
        self.stats = stats
        self.think_s = think_ms / 1000
        self.csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in "x" * 32)
        self.cookie = f"sessionid={user['session']}; csrftoken={self.csrf}"
        self.api_token = user["api_token"]
        self.conn = self._connect()
        self.cart_lines = 0
        self.order_ids: list[int] = []
        self.api_order_ids: list[int] = []

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT_S)

    # --- one request ----------------------------------------------------------------------

    def _fail_over(self) -> None:
        """Move to the next web instance, as a load balancer does when one stops answering."""
        self.conn.close()
        self.ports = self.ports[1:] + self.ports[:1]
        self.port = self.ports[0]
        self.conn = self._connect()

    def request(self, method: str, path: str, *, body: bytes | None = None, headers=None):
        """(Response or error, seconds). A refused connection (the request never left) goes to
        the next instance, as a load balancer retries it; any other error loses the request
        (it was in flight: it may or may not have been served) and the next one fails over."""
        headers = {"Host": "127.0.0.1", **(headers or {})}
        started = time.perf_counter()
        for _instance in self.ports:
            try:
                self.conn.request(method, path, body=body, headers=headers)
            except ConnectionRefusedError as error:
                refused = error
                self._fail_over()
                continue
            except (OSError, http.client.HTTPException) as error:
                self._fail_over()
                return error, time.perf_counter() - started
            try:
                raw = self.conn.getresponse()
                response = Response(raw.status, raw.headers, raw.read())
            except (OSError, http.client.HTTPException) as error:
                self.stats.count("requests lost in flight")
                self._fail_over()
                return error, time.perf_counter() - started
            return response, time.perf_counter() - started
        return refused, time.perf_counter() - started

    def call(self, name, method, path, *, expect, body=None, headers=None, form=None):
        """One request judged by `expect(response) -> reason or ""`; the Response or None."""
        headers = dict(headers or {})
        if not headers.get("Authorization"):
            headers["Cookie"] = self.cookie
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.csrf
        response, seconds = self.request(method, path, body=body, headers=headers)
        if not isinstance(response, Response):
            self.stats.record(name, seconds, False, type(response).__name__, f"{path}: {response}")
            return None
        reason = expect(response)
        if reason:
            example = f"{method} {path} -> {response.status} {response.location} " + (
                _alert_text(response.body) or response.text()[:300].replace("\n", " ")
            )
            self.stats.record(name, seconds, False, reason, example)
            return None
        self.stats.record(name, seconds, True)
        return response

    # --- expectations ---------------------------------------------------------------------

    @staticmethod
    def status(code: int):
        return lambda r: "" if r.status == code else f"HTTP {r.status}"

    @staticmethod
    def redirect(pattern: str):
        regex = re.compile(pattern)

        def check(r: Response) -> str:
            if r.status != 302:
                return f"HTTP {r.status}"
            return (
                ""
                if regex.fullmatch(r.location)
                else f"302 to {re.sub(r'[0-9]+', 'N', r.location)}"
            )

        return check

    # --- actions --------------------------------------------------------------------------

    def catalog_index(self):
        self.call("GET /catalog/", "GET", "/catalog/", expect=self.status(200))

    def category(self):
        slug = self.rng.choice(self.plan["categories"])
        self.call("GET /catalog/c/<slug>/", "GET", f"/catalog/c/{slug}/", expect=self.status(200))

    def search(self):
        query = urlencode({"q": self.rng.choice(self.plan["search_words"])})
        self.call(
            "GET /catalog/search/?q=", "GET", f"/catalog/search/?{query}", expect=self.status(200)
        )

    def product(self):
        pk = self.rng.choice(self.plan["product_ids"])
        self.call("GET /catalog/p/<pk>/", "GET", f"/catalog/p/{pk}/", expect=self.status(200))

    def add_to_cart(self):
        item = self.rng.choice(self.plan["orderables"])
        form = {"product": item["product"]}
        if item["sku"]:
            form[f"qty-{item['sku']}"] = item["quantity"]
        else:
            form["qty"] = item["quantity"]
        if self.call(
            "POST /orders/cart/add/",
            "POST",
            "/orders/cart/add/",
            form=form,
            expect=self.redirect(r"/orders/cart/"),
        ):
            self.cart_lines += 1

    def cart(self):
        self.call("GET /orders/cart/", "GET", "/orders/cart/", expect=self.status(200))

    def checkout_and_pay(self):
        if not self.cart_lines:
            self.add_to_cart()
            if not self.cart_lines:
                return
        page = self.call(
            "GET /orders/checkout/", "GET", "/orders/checkout/", expect=self.status(200)
        )
        if page is None:
            return
        text = page.text()
        key = re.search(r'name="checkout_key" value="([^"]+)"', text)
        signature = re.search(r'name="signature" value="([^"]*)"', text)
        if not key or not signature:
            self.stats.record("GET /orders/checkout/ (form)", 0, False, "no checkout form", "")
            return
        placed = self.call(
            "POST /orders/checkout/",
            "POST",
            "/orders/checkout/",
            form={"checkout_key": key.group(1), "signature": unescape(signature.group(1))},
            expect=self.redirect(r"/orders/[0-9]+/pay/"),
        )
        if placed is None:
            return
        self.cart_lines = 0
        self.stats.count("web orders placed")
        order_id = int(re.search(r"/orders/([0-9]+)/", placed.location).group(1))
        self.order_ids.append(order_id)
        pay_path = f"/orders/{order_id}/pay/"
        pay_page = self.call("GET /orders/<pk>/pay/", "GET", pay_path, expect=self.status(200))
        if pay_page is None:
            return
        quote = re.search(r'name="quote" value="([0-9]+)"', pay_page.text())
        paid = self.call(
            "POST /orders/<pk>/pay/",
            "POST",
            pay_path,
            form={"quote": quote.group(1) if quote else ""},
            expect=self.redirect(rf"/orders/{order_id}/"),
        )
        if paid is None and self.stats.recording:
            # The reason is in the flash message the pay page shows next: keep it.
            again, _seconds = self.request("GET", pay_path, headers={"Cookie": self.cookie})
            if isinstance(again, Response):
                with self.stats.lock:
                    samples = self.stats.by_name["POST /orders/<pk>/pay/"].samples
                    for sample in samples.values():
                        if "| message:" not in sample[1]:
                            sample[1] += f" | message: {_alert_text(again.body)}"
        elif paid is not None:
            self.stats.count("web orders paid")

    def order_list(self):
        self.call("GET /orders/", "GET", "/orders/", expect=self.status(200))

    def order_detail(self):
        if not self.order_ids:
            return self.order_list()
        pk = self.rng.choice(self.order_ids[-20:])
        return self.call("GET /orders/<pk>/", "GET", f"/orders/{pk}/", expect=self.status(200))

    def _api_headers(self, **extra) -> dict:
        return {"Authorization": f"Bearer {self.api_token}", "Accept": "application/json", **extra}

    def api_products(self):
        params = {"limit": 24, "sort": self.rng.choice(["newest", "price", "moq"])}
        if self.rng.random() < 0.3:
            params["q"] = self.rng.choice(self.plan["search_words"])
        self.call(
            "GET /api/v1/products",
            "GET",
            "/api/v1/products?" + urlencode(params),
            headers=self._api_headers(),
            expect=self.status(200),
        )

    def api_order(self):
        items = self.rng.sample(self.plan["orderables"], k=self.rng.randint(1, 2))
        lines = [
            {"product_id": i["product"], "sku_id": i["sku"], "quantity": i["quantity"]}
            for i in items
        ]
        body = json.dumps({"lines": lines, "pay": True}).encode()
        headers = self._api_headers(
            **{"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
        )

        def paid(r: Response) -> str:
            if r.status != 201:
                return f"HTTP {r.status}"
            return "" if json.loads(r.body).get("status") == "paid" else "201 but not paid"

        created = self.call(
            "POST /api/v1/orders", "POST", "/api/v1/orders", body=body, headers=headers, expect=paid
        )
        if created is None:
            return
        self.stats.count("api orders paid")
        order_id = json.loads(created.body)["id"]
        self.api_order_ids.append(int(order_id))
        if self.rng.random() < 0.25:  # an ERP retrying after a lost response

            def same(r: Response) -> str:
                if r.status != 201:
                    return f"HTTP {r.status}"
                return "" if json.loads(r.body)["id"] == order_id else "replay made a new order"

            if self.call(
                "POST /api/v1/orders (replay)",
                "POST",
                "/api/v1/orders",
                body=body,
                headers=headers,
                expect=same,
            ):
                self.stats.count("api replays answered")

    def api_order_detail(self):
        if not self.api_order_ids:
            return self.api_order()
        pk = self.rng.choice(self.api_order_ids[-20:])
        return self.call(
            "GET /api/v1/orders/<id>",
            "GET",
            f"/api/v1/orders/{pk}",
            headers=self._api_headers(),
            expect=self.status(200),
        )

    def run(self, deadline: float) -> None:
        actions = [
            (self.catalog_index, 8),
            (self.category, 12),
            (self.search, 10),
            (self.product, 16),
            (self.add_to_cart, 10),
            (self.cart, 4),
            (self.checkout_and_pay, 6),
            (self.order_list, 6),
            (self.order_detail, 6),
            (self.api_products, 8),
            (self.api_order, 6),
            (self.api_order_detail, 3),
        ]
        functions = [a for a, _w in actions]
        weights = [w for _a, w in actions]
        while time.perf_counter() < deadline:
            self.rng.choices(functions, weights)[0]()
            if self.think_s:
                time.sleep(self.rng.uniform(0, 2 * self.think_s))
        self.conn.close()


def run_load(
    *, plan: dict, ports: list[int], warmup_s: float, seconds: float, think_ms: int
) -> dict:
    """Warm up (not recorded), then run every virtual merchant for `seconds`; the stats."""
    stats = Stats()
    merchants = [
        VirtualMerchant(n, user, plan, ports, stats, think_ms)
        for n, user in enumerate(plan["users"])
    ]
    started = time.perf_counter()
    end = started + warmup_s + seconds
    threads = [threading.Thread(target=m.run, args=(end,), daemon=True) for m in merchants]
    for thread in threads:
        thread.start()
    time.sleep(warmup_s)
    stats.recording = True
    measured_from = time.perf_counter()
    for thread in threads:
        thread.join(timeout=seconds + TIMEOUT_S * 4 + 10)
    stats.recording = False
    elapsed = time.perf_counter() - measured_from
    return {"stats": stats, "elapsed": elapsed, "stuck_threads": sum(t.is_alive() for t in threads)}


def summarize(stats: Stats, elapsed: float) -> list[dict]:
    rows = []
    for name, endpoint in sorted(stats.by_name.items()):
        latencies = sorted(endpoint.latencies)

        def pct(p: float, latencies=latencies) -> float:
            if not latencies:
                return float("nan")
            return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

        total = endpoint.ok + endpoint.errors
        rows.append(
            {
                "endpoint": name,
                "requests": total,
                "errors": endpoint.errors,
                "error_rate": endpoint.errors / total if total else 0.0,
                "rps": total / elapsed,
                "p50_ms": pct(50),
                "p95_ms": pct(95),
                "max_ms": latencies[-1] * 1000 if latencies else float("nan"),
                "samples": {reason: s for reason, s in endpoint.samples.items()},
            }
        )
    return rows


class WebhookSink:
    """A local endpoint that accepts every webhook POST (204) and counts distinct event ids."""

    def __init__(self, port: int) -> None:
        sink = self
        self.lock = threading.Lock()
        self.received = 0
        self.ids: set[str] = set()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with sink.lock:
                    sink.received += 1
                    sink.ids.add(self.headers.get("X-Webhook-Id", ""))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
