"""Database side of bench/load_test.py: a fresh database, the demo data, the load's merchants
(funded wallets, API keys, webhook endpoints) and what the virtual users will fetch; and,
after the run, the checks on what the load left behind. Imported after the environment is set.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta
from decimal import Decimal

FUNDS = Decimal("1000000")  # USD per company: the largest top-up allowed
SEARCH_WORDS = ["mug", "stainless", "cable", "dress", "candle", "speaker", "不锈钢", "steel"]


def _cheap_orderables(limit: int) -> list[dict]:
    """Products a cart or an API order can take at the smallest valid quantity, cheapest
    first: {product, sku, quantity, total_cny}; the quantity meets the MOQ and multiple."""
    from django.db.models import Prefetch

    from catalog.models import Sku
    from catalog.pricing import price_quote
    from catalog.selectors import products_visible

    found = []
    products = (
        products_visible()
        .order_by("moq", "id")
        .prefetch_related("tiers", Prefetch("skus", queryset=Sku.objects.order_by("pk")))[:2000]
    )
    for product in products:
        quantity = max(product.moq, 1)
        quantity = math.ceil(quantity / product.order_multiple) * product.order_multiple
        skus = list(product.skus.all())
        sku = skus[0] if skus else None
        quote = price_quote(product=product, quantities={sku: quantity}, tiers=product.tiers.all())
        if quote.ok and quote.total_cny > 0:
            found.append(
                {
                    "product": product.pk,
                    "sku": sku.pk if sku else None,
                    "quantity": quantity,
                    "total_cny": str(quote.total_cny),
                }
            )
    found.sort(key=lambda row: Decimal(row["total_cny"]))
    return found[:limit]


def prepare(*, users: int, products: int, sink_url: str) -> dict:
    """Migrate, seed and create the load's merchants; return the plan for the virtual users."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from catalog.models import Category
    from catalog.selectors import products_visible
    from payments import services as payment_services
    from payments.models import TopUp
    from procurement.accounts import integrations
    from procurement.accounts.models import Company, Membership, Role, User
    from procurement.core.models import ApiScope
    from procurement.demo import seed_demo

    timings = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    timings["migrate_s"] = time.perf_counter() - started

    started = time.perf_counter()
    seed_demo()
    if products:
        call_command("seed_catalog", "--products", str(products), "--no-progress", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    timings["seed_s"] = time.perf_counter() - started

    started = time.perf_counter()
    members = []
    companies = math.ceil(users / 2)
    for c in range(companies):
        company = Company.objects.create(
            legal_name=f"Load Merchant {c + 1} Inc",
            country="US",
            wallet_currency="USD",
            uses_sourcing=True,
        )
        owner = None
        for m in range(2):
            n = c * 2 + m
            if n >= users:
                break
            user = User.objects.create_user(
                email=f"load{n + 1}@example.com", password=None, full_name=f"Load User {n + 1}"
            )
            # No spending limit: orders go straight to payment, none waits for an approver.
            Membership.objects.create(
                user=user, company=company, role=Role.OWNER if m == 0 else Role.BUYER
            )
            owner = owner or user
            members.append((user, company, owner))
        top_up = payment_services.top_up_create(company=company, amount=FUNDS, actor=owner)
        payment_services.top_up_transition(
            top_up=top_up, to_status=TopUp.Status.SUCCEEDED, actor=owner, reason="Load test funds"
        )
        company.load_api_token = integrations.api_key_create(
            company=company,
            actor=owner,
            name="Load test ERP",
            scopes=[ApiScope.CATALOG_READ, ApiScope.ORDERS_READ, ApiScope.ORDERS_WRITE],
        ).token
        integrations.webhook_endpoint_create(
            company=company, actor=owner, url=sink_url, events=["order.paid"]
        )

    plan_users = []
    tokens = {}
    for user, company, _owner in members:
        tokens.setdefault(company.pk, company.load_api_token)
        client = Client()
        client.force_login(user)
        plan_users.append(
            {
                "email": user.email,
                "company": company.pk,
                "session": client.cookies["sessionid"].value,
                "api_token": tokens[company.pk],
            }
        )
    timings["merchants_s"] = time.perf_counter() - started

    visible = products_visible()
    plan = {
        "users": plan_users,
        "categories": list(Category.objects.order_by("depth", "pk").values_list("slug", flat=True)),
        "product_ids": list(visible.order_by("?").values_list("id", flat=True)[:300]),
        "orderables": _cheap_orderables(40),
        "search_words": SEARCH_WORDS,
        "products_total": visible.count(),
        "timings": timings,
    }
    if not plan["orderables"]:
        raise SystemExit("no product can be ordered at its MOQ: the seed went wrong")
    connection.close()
    return plan


def balances() -> dict[int, Decimal]:
    from payments.models import Account

    return dict(
        Account.objects.filter(kind=Account.Kind.WALLET).values_list("company_id", "balance")
    )


def webhook_counts() -> dict[str, int]:
    from django.db.models import Count

    from procurement.core.models import WebhookDelivery

    return dict(
        WebhookDelivery.objects.values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )


def unsent_outbox_rows() -> int:
    from procurement.core.models import OutboxTask

    return OutboxTask.objects.filter(sent_at__isnull=True).count()


def outbox_sweep_all() -> int:
    """What beat's sweep does, with every unsent row counted as due."""
    from django.utils import timezone

    from procurement.core.outbox import outbox_sweep

    return outbox_sweep(now=timezone.now() + timedelta(days=1))


def after_checks() -> dict:
    """What the database says after the run: orders by source and status, webhook deliveries
    and their delay, idempotency records, and the ledger invariants."""
    from django.db.models import Count, F

    from orders.models import Order
    from payments.selectors import ledger_problems
    from procurement.core.models import IdempotentRequest, WebhookDelivery

    orders = {
        f"{source}/{status}": n
        for source, status, n in Order.objects.values_list("source", "status")
        .annotate(n=Count("id"))
        .values_list("source", "status", "n")
    }
    delays = sorted(
        (delivered - created).total_seconds()
        for created, delivered in WebhookDelivery.objects.filter(delivered_at__isnull=False)
        .annotate(created=F("created_at"))
        .values_list("created", "delivered_at")
    )

    def pct(p):
        return delays[min(len(delays) - 1, int(p / 100 * len(delays)))] if delays else None

    return {
        "orders": orders,
        "webhooks": webhook_counts(),
        "webhook_delay_p50_s": pct(50),
        "webhook_delay_p95_s": pct(95),
        "idempotency_records": IdempotentRequest.objects.count(),
        "outbox_unsent": unsent_outbox_rows(),
        "ledger_problems": ledger_problems(),
    }
