"""Checks run against a real primary and its streaming replica, in a process of their own
(`python -m tests.infra.replica_scenario CHECK`), whose settings carry both DATABASE_URL and
DATABASE_REPLICA_URL: tests/infra/test_replica.py starts the servers and runs each check.

Replica lag is made, not waited for: replay is paused on the replica (pg_wal_replay_pause()),
so what a page shows tells which server it read.
"""

import os
import sys
import time
from contextlib import contextmanager

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings.test")
django.setup()

import psycopg  # noqa: E402
from allauth.mfa.totp.internal.auth import TOTP  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from orders.models import Order  # noqa: E402
from payments import selectors as payments_selectors  # noqa: E402
from payments.money import quantize  # noqa: E402
from procurement.accounts.models import Role  # noqa: E402
from procurement.middleware import PIN_COOKIE  # noqa: E402
from tests.accounts.factories import CompanyFactory, MembershipFactory  # noqa: E402
from tests.orders.factories import place_order, product_with_skus  # noqa: E402
from tests.payments.factories import finance_user, fund_wallet, seed_rates  # noqa: E402


def _replica(sql: str, params=()):
    with psycopg.connect(os.environ["DATABASE_REPLICA_URL"], autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def wait_for_replay(timeout: float = 30) -> None:
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        (lsn,) = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
    deadline = time.monotonic() + timeout
    while not _replica("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])[0][0]:
        assert time.monotonic() < deadline, f"the replica did not replay up to {lsn}"
        time.sleep(0.05)


@contextmanager
def replay_paused():
    wait_for_replay()
    _replica("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        _replica("SELECT pg_wal_replay_resume()")


def _shop():
    """A funded merchant with an order awaiting payment (written before replay is paused)."""
    seed_rates()
    company = CompanyFactory()
    buyer = MembershipFactory(company=company, role=Role.OWNER).user
    product, skus = product_with_skus()
    fund_wallet(company, "1000.00")
    order = place_order(buyer, company, (product, {skus[0]: 20}))
    assert order.status == Order.Status.AWAITING_PAYMENT
    return company, buyer, order


def _balance(company) -> str:
    amount = payments_selectors.wallet_balance(company=company, currency=company.wallet_currency)
    return f"{quantize(amount, company.wallet_currency):,}"


def _replica_queries(client: Client, url: str):
    """The response and how many queries the replica and the primary answered for it."""
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = client.get(url)
        content = b"".join(response) if response.streaming else response.content
    assert response.status_code == 200, (url, response.status_code)
    return content.decode("utf-8-sig"), len(on_replica), len(on_primary)


def check_reports_read_from_replica() -> None:
    """The finance dashboard, the settlement CSV (COPY) and the anonymous home page read the
    replica: with replay paused, a payment made meanwhile is missing there until replay goes on."""
    _company, buyer, order = _shop()
    finance = finance_user()
    TOTP.activate(finance, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")  # staff pages want two factors
    staff = Client()
    staff.force_login(finance)
    today = timezone.localdate()
    csv_url = reverse("finance:settlement-csv") + f"?date_from={today}&date_to={today}"

    with replay_paused():
        order.refresh_from_db()
        from orders import services  # the service the pay page calls

        services.order_pay(order=order, actor=buyer, membership=buyer.memberships.get())
        csv, on_replica, _ = _replica_queries(staff, csv_url)
        assert on_replica > 0
        # The settlement line of the payment, by its system reference (the last column).
        line_of_payment = f",order:{order.pk}"
        assert not _has_line_ending(csv, line_of_payment), "the export read the primary"
        _html, on_replica, _ = _replica_queries(staff, reverse("finance:dashboard"))
        assert on_replica > 0
        # The public home page (the fee schedule) for an anonymous visitor; a signed-in
        # merchant's pages show its prices and cart, from the primary.
        _html, on_replica, _ = _replica_queries(Client(), reverse("home"))
        assert on_replica > 0
        merchant = Client()
        merchant.force_login(buyer)
        _html, on_replica, _ = _replica_queries(merchant, reverse("catalog:index"))
        assert on_replica == 0
        # An anonymous search with a typo: its look at the search rows and the vocabulary
        # before the page (catalog.search) reads the replica, as the page's query does.
        with (
            CaptureQueriesContext(connections["replica"]) as on_replica,
            CaptureQueriesContext(connections["default"]) as on_primary,
        ):
            response = Client().get(reverse("catalog:search"), {"q": "widgte"})
        assert response.status_code == 200
        searched = [q["sql"] for q in on_replica.captured_queries if "productsearch" in q["sql"]]
        assert any("catalog_searchword" in sql for sql in searched), searched
        assert not [q for q in on_primary.captured_queries if "productsearch" in q["sql"]]

    wait_for_replay()
    csv, _, _ = _replica_queries(staff, csv_url)
    assert _has_line_ending(csv, line_of_payment), csv


def _has_line_ending(csv: str, ending: str) -> bool:
    return any(line.endswith(ending) for line in csv.splitlines())


def check_merchant_sees_own_payment_at_once() -> None:
    """Read-your-writes: right after paying, the merchant's statement (a replica page) shows the
    payment, although the replica has not replayed it; the pin cookie is what routes it."""
    company, buyer, order = _shop()
    client = Client()
    client.force_login(buyer)
    today = timezone.localdate()
    statement = reverse("finance:my-statement", args=[today.year, today.month])

    with replay_paused():
        response = client.post(reverse("orders:order-pay", args=[order.pk]))
        assert response.status_code == 302
        order.refresh_from_db()
        assert order.status != Order.Status.AWAITING_PAYMENT, order.status
        assert PIN_COOKIE in response.cookies
        paid_balance = _balance(company)

        html, on_replica, _ = _replica_queries(client, statement)
        assert on_replica == 0
        assert paid_balance in html
        detail, _, _ = _replica_queries(client, reverse("orders:order-detail", args=[order.pk]))
        assert order.number in detail

        # Once the pin has expired the same page reads the replica, which still lags: proof that
        # the pin, not chance, served the fresh statement.
        del client.cookies[PIN_COOKIE]
        html, on_replica, _ = _replica_queries(client, statement)
        assert on_replica > 0
        assert paid_balance not in html


def check_lag_never_shows_stale_balance() -> None:
    """Pages that act on the wallet balance read the primary even with no pin and a lagging
    replica: the wallet page and the pay page of a second order."""
    company, buyer, order = _shop()
    client = Client()
    client.force_login(buyer)
    line = order.lines.first()
    second = place_order(buyer, company, (line.product, {line.sku: 20}))

    with replay_paused():
        response = client.post(reverse("orders:order-pay", args=[order.pk]))
        assert response.status_code == 302
        del client.cookies[PIN_COOKIE]
        fresh = _balance(company)
        for url in (reverse("payments:wallet"), reverse("orders:order-pay", args=[second.pk])):
            html, on_replica, _ = _replica_queries(client, url)
            assert on_replica == 0, url
            assert fresh in html, url


CHECKS = {
    name: function
    for name, function in globals().items()
    if name.startswith("check_") and callable(function)
}

if __name__ == "__main__":
    CHECKS[sys.argv[1]]()
    print(f"{sys.argv[1]}: ok")
