"""Buying through the pages, timed with Django's test client (one process, no server).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_checkout PYTHONPATH=. \
        .venv/bin/python bench/checkout_bench.py [--runs 20] [--lines 50] [--suppliers 10] \
        [--profile add|checkout|pay] [--sql add|checkout|pay]

Builds its own test database (made afresh and dropped), a buyer with a funded wallet, and goods from
SUPPLIERS suppliers. Each run fills the cart with LINES lines (one SKU each), then times the
checkout POST and the pay POST; add-to-cart is timed on its own as the HTMX POST of one line.
Prints the median and p95 of each, in milliseconds, and the queries each request issued.
"""

import argparse
import cProfile
import logging
import os
import pstats
import statistics
import time
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings.test")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.runner import DiscoverRunner  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--runs", type=int, default=20)
parser.add_argument("--lines", type=int, default=50)
parser.add_argument("--suppliers", type=int, default=10)
parser.add_argument("--profile", choices=["add", "checkout", "pay"], default=None)
parser.add_argument("--sql", choices=["add", "checkout", "pay"], default=None)
args = parser.parse_args()

logging.disable(logging.INFO)  # the request log would drown the figures
setup_test_environment()
runner = DiscoverRunner(keepdb=False, verbosity=0, interactive=False)
old_config = runner.setup_databases()


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _expect(ok: bool, response) -> None:
    if not ok:
        raise SystemExit(f"unexpected answer: {response.status_code} {response.content[:500]!r}")


def main():
    from orders.models import CartLine
    from procurement.accounts.models import Role
    from tests.accounts.factories import CompanyFactory, MembershipFactory
    from tests.orders.factories import SupplierFactory, fund_wallet, product_with_skus, seed_rates

    seed_rates()
    company = CompanyFactory(wallet_currency="USD")
    buyer = MembershipFactory(company=company, role=Role.BUYER).user
    fund_wallet(company, Decimal("900000.00"))
    per_supplier = args.lines // args.suppliers
    goods = []
    for _s in range(args.suppliers):
        supplier = SupplierFactory()
        for _p in range(per_supplier):
            product, skus = product_with_skus(supplier=supplier, skus=1)
            goods.append((product, skus[0]))
    client = Client()
    client.force_login(buyer)
    htmx = {"HX-Request": "true"}

    def add(product, sku):
        return client.post(
            "/orders/cart/add/", {"product": product.pk, f"qty-{sku.pk}": 10}, headers=htmx
        )

    times = {"add": [], "checkout": [], "pay": []}
    queries = {}
    sqls = []
    profiler = cProfile.Profile() if args.profile else None

    def timed(name, call):
        if profiler and args.profile == name:
            profiler.enable()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = call()
            times[name].append((time.perf_counter() - started) * 1000)
        if profiler and args.profile == name:
            profiler.disable()
        queries[name] = len(ctx)
        if args.sql == name:
            sqls[:] = [q["sql"] for q in ctx.captured_queries]
        return response

    for run in range(args.runs + 1):
        CartLine.objects.filter(cart__user=buyer).delete()
        for index, (product, sku) in enumerate(goods):
            if index == 0:
                response = timed("add", lambda p=product, s=sku: add(p, s))
            else:
                response = add(product, sku)
            _expect(response.status_code == 200, response)
        page = client.get("/orders/checkout/")
        context = page.context
        data = {"checkout_key": context["checkout_key"], "signature": context["signature"]}
        response = timed("checkout", lambda d=data: client.post("/orders/checkout/", d))
        _expect(response.status_code == 302, response)
        pay_url = response["Location"]
        page = client.get(pay_url)
        quote = page.context["quote"]
        response = timed("pay", lambda u=pay_url, q=quote: client.post(u, {"quote": q.pk}))
        _expect(response.status_code == 302 and "/pay/" not in response["Location"], response)
        if run == 0:  # warm-up
            times = {name: [] for name in times}
    print(f"{args.lines} lines from {args.suppliers} suppliers, {args.runs} runs")
    for name, values in times.items():
        print(
            f"  {name:9} median {statistics.median(values):7.1f} ms  p95 {p95(values):7.1f} ms"
            f"  {queries[name]} queries"
        )
    for sql in sqls:
        print("   ", sql[:220])
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(50)


try:
    main()
finally:
    runner.teardown_databases(old_config)
