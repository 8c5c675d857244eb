"""Store order intake under a burst: not a test. Run with

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stores_bench PYTHONPATH=. \
        .venv/bin/python bench/stores_webhook_burst.py [ORDERS]

It (1) creates the database afresh (dropping an earlier run's) and migrates it, (2) connects a
store of a fresh merchant to the fake Shopify (auto-pay on, a funded wallet) and has the fake
create ORDERS store orders (default 1,000), then (3) posts their signed orders/create webhooks,
in one process and one thread (one worker), through the real endpoint and middleware, with every
tenth delivery sent twice (a redelivery) and an orders/updated webhook for every fifth order;
each webhook is verified, recorded once and turned into a paid portal order in the request.
Results print as JSON: seconds, webhooks per second, and the counts proving nothing was lost or
doubled.

Target: 1,000 store orders in under a minute, one store order, one portal order and
one charge per store order.
"""

from __future__ import annotations

import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._database import recreate_database  # noqa: E402

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/stores_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings.test")
# The fake shop's own credentials, made up for this run.
TOKEN = "shpat_burst"  # noqa: S105
CLIENT_SECRET = "shpss_burst"  # noqa: S105


def main(count: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection as db_connection
    from django.test import Client
    from django.urls import reverse

    call_command("migrate", verbosity=0)
    from orders.models import Order
    from orders.stores import services
    from orders.stores.adapters.fake_shopify import PLATFORM
    from orders.stores.models import StoreOrder, WebhookReceipt
    from procurement.accounts.models import Role
    from tests.accounts.factories import CompanyFactory, MembershipFactory
    from tests.logistics.factories import channel_with_zone
    from tests.orders.factories import fund_wallet, product_with_skus, seed_rates

    shop = f"burst-{int(time.time())}.myshopify.com"
    PLATFORM.add_shop(shop, token=TOKEN, client_secret=CLIENT_SECRET)
    seed_rates()
    company = CompanyFactory()
    owner = MembershipFactory(company=company, role=Role.OWNER).user
    fund_wallet(company, Decimal("1000000"))
    _product, skus = product_with_skus(moq=1)
    connection = services.store_connect(
        company=company,
        actor=owner,
        platform="shopify",
        name="Burst",
        shop=shop,
        access_key=TOKEN,
        client_secret=CLIENT_SECRET,
        shipping_channel=channel_with_zone(),
        auto_pay=True,
        auto_pay_limit=Decimal("10000"),
    )
    deliveries = []
    for index in range(count):
        sku = skus[index % len(skus)]
        order = PLATFORM.create_order(
            shop,
            lines=[
                {
                    "variant_id": 40000 + sku.pk,
                    "product_id": 1,
                    "sku": sku.code,
                    "title": sku.code,
                    "quantity": 1 + index % 3,
                }
            ],
        )
        webhook = PLATFORM.webhook(shop, "orders/create", order["id"])
        deliveries.append(webhook)
        if index % 10 == 0:
            deliveries.append(webhook)  # redelivered
        if index % 5 == 0:
            deliveries.append(PLATFORM.webhook(shop, "orders/updated", order["id"]))
    url = reverse("stores:webhook", args=[connection.webhook_token])
    client = Client()
    outcomes: dict[str, int] = {}
    statements: list[str] = []

    def counted(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with db_connection.execute_wrapper(counted):
        _post_all(client, url, deliveries, outcomes)
    seconds = time.perf_counter() - started
    by_kind: dict[str, int] = {}
    for sql in statements:
        words = sql.split()
        kind = " ".join(words[:3] if words[0] in {"SELECT", "INSERT", "UPDATE"} else words[:1])
        by_kind[kind] = by_kind.get(kind, 0) + 1
    store_orders = StoreOrder.objects.filter(connection=connection)
    return {
        "store_orders_sent": count,
        "webhooks_posted": len(deliveries),
        "seconds": round(seconds, 2),
        "webhooks_per_second": round(len(deliveries) / seconds, 1),
        "queries_per_store_order": round(len(statements) / count, 1),
        "outcomes": outcomes,
        "store_orders": store_orders.count(),
        "portal_orders": Order.objects.filter(company=company).count(),
        "paid_store_orders": store_orders.filter(status=StoreOrder.Status.PAID).count(),
        "receipts": WebhookReceipt.objects.filter(connection=connection).count(),
        "under_a_minute": seconds < 60,
        "most_frequent_statements": dict(
            sorted(by_kind.items(), key=lambda item: -item[1])[: int(os.environ.get("TOP", "0"))]
        ),
    }


def _post_all(client, url: str, deliveries: list, outcomes: dict[str, int]) -> None:
    for body, headers in deliveries:
        extra = {
            f"HTTP_{k.upper().replace('-', '_')}": v
            for k, v in headers.items()
            if k != "Content-Type"
        }
        response = client.post(url, data=body, content_type="application/json", **extra)
        key = f"{response.status_code} {response.content.decode()[:20]}"
        outcomes[key] = outcomes.get(key, 0) + 1


if __name__ == "__main__":
    recreate_database(os.environ["DATABASE_URL"])
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000), indent=2))
