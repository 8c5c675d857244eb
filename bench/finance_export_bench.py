"""Finance export benchmark: not a test. Run with

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/finance_bench PYTHONPATH=. \
        .venv/bin/python bench/finance_export_bench.py [LINES]

It (1) creates the database if needed and migrates it, (2) makes sure it holds LINES settlement
lines (default 1,000,000: half checkout transactions with their FX quote and five postings each,
half supplier payables), seeded in SQL with the ledger triggers paused, and the orders,
purchase orders and suppliers those lines name, and the labels the writing services store with
each line (the export reads them), then
(3) measures, each
in a fresh child process: the streamed settlement CSV (rows/s, time to the first byte and to the
first data row, peak RSS), the XLSX in constant_memory mode (rows/s, peak RSS), and PostgreSQL's
`COPY (<the same two queries>) TO STDOUT` (rows/s) as the floor. Results print as JSON.

Targets: CSV >= 50,000 rows/s; CSV peak memory at 1,000,000 rows within 10% of that at
100,000; XLSX split into sheets at 1,048,576 rows.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/finance_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings.test")

PERIOD = (date(2026, 1, 1), date(2026, 1, 31))


def _rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def ensure_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def seed(lines: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from payments.models import LedgerTransaction, SupplierPayable
    from procurement.accounts.models import Company

    call_command("migrate", verbosity=0)
    txs = lines // 2
    payables = lines - txs
    have_tx = LedgerTransaction.objects.filter(idempotency_key__startswith="bench:").count()
    have_po = SupplierPayable.objects.filter(idempotency_key__startswith="bench:").count()
    if have_tx == txs and have_po == payables:
        seed_named_objects()
        seed_labels()
        return
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE payments_posting DISABLE TRIGGER USER")
        cur.execute("ALTER TABLE payments_ledgertransaction DISABLE TRIGGER USER")
        cur.execute(
            "DELETE FROM payments_posting WHERE transaction_id IN (SELECT id FROM "
            "payments_ledgertransaction WHERE idempotency_key LIKE 'bench:%%')"
        )
        cur.execute("DELETE FROM payments_ledgertransaction WHERE idempotency_key LIKE 'bench:%%'")
        cur.execute("DELETE FROM payments_fxquote WHERE rate_as_of = '2000-01-01T00:00:00Z'")
        cur.execute("DELETE FROM payments_supplierpayable WHERE idempotency_key LIKE 'bench:%%'")
    company, _created = Company.objects.get_or_create(
        legal_name="Bench Merchant Ltd", defaults={"country": "US", "wallet_currency": "USD"}
    )
    from payments.services.ledger import _platform_account, _wallet_account

    accounts = {
        "wallet": _wallet_account(company, "USD").pk,
        "fx_usd": _platform_account("fx_position", "USD").pk,
        "fx_cny": _platform_account("fx_position", "CNY").pk,
        "payable": _platform_account("supplier_payable", "CNY").pk,
        "fee": _platform_account("fee_revenue", "USD").pk,
    }
    started = time.perf_counter()
    with connection.cursor() as cur:
        # Quotes: 720.00 CNY at mid 7.2, client 7.128: charge 101.01 USD, fee 5.00.
        cur.execute(
            """
            INSERT INTO payments_fxquote (company_id, from_currency, to_currency, amount,
                mid_rate, rate_as_of, markup_bps, client_rate, charge_amount, markup_amount,
                amount_usd, fee_bps, fee_amount, expires_at, used_at, status, created_at)
            SELECT %s, 'USD', 'CNY', 720 + (i %% 100), 7.2, '2000-01-01T00:00:00Z', 100, 7.128,
                   round((720 + (i %% 100)) / 7.128, 2),
                   round((720 + (i %% 100)) / 7.128, 2) - round((720 + (i %% 100)) / 7.2, 2),
                   100, 300, 5.00, now(), now(), 'used', now()
              FROM generate_series(1, %s) AS i
            """,
            [company.pk, txs],
        )
        cur.execute(
            """
            INSERT INTO payments_ledgertransaction (kind, company_id, reference, idempotency_key,
                memo, quote_id, volume_usd, created_at)
            SELECT 'checkout', %s, 'order:' || q.id, 'bench:' || q.id, 'Bench order', q.id, 100,
                   timestamptz '2026-01-01 00:00:00+00'
                     + (row_number() OVER (ORDER BY q.id)) * interval '2 seconds'
              FROM payments_fxquote q WHERE q.rate_as_of = '2000-01-01T00:00:00Z'
            """,
            [company.pk],
        )
        cur.execute(
            """
            INSERT INTO payments_posting (transaction_id, account_id, amount, currency,
                balance_after)
            SELECT t.id, leg.account, leg.amount, leg.currency, 0
              FROM payments_ledgertransaction t
              JOIN payments_fxquote q ON q.id = t.quote_id
              CROSS JOIN LATERAL (VALUES
                (%s, -(q.charge_amount + q.fee_amount), 'USD'),
                (%s, q.charge_amount, 'USD'),
                (%s, -q.amount, 'CNY'),
                (%s, q.amount, 'CNY'),
                (%s, q.fee_amount, 'USD')) AS leg(account, amount, currency)
             WHERE t.idempotency_key LIKE 'bench:%%'
            """,
            [
                accounts["wallet"],
                accounts["fx_usd"],
                accounts["fx_cny"],
                accounts["payable"],
                accounts["fee"],
            ],
        )
        cur.execute(
            """
            INSERT INTO payments_supplierpayable (reference, order_reference, company_id,
                supplier_reference, payee_name, payee_account, payee_bank, amount_cny,
                freight_cny, status, placed_at, idempotency_key, created_at, updated_at)
            SELECT 'po:' || i, 'order:' || i, %s, 'supplier:' || (i %% 500),
                   '义乌市星光饰品有限公司', '6222000011112222', '中国工商银行义乌分行',
                   700 + (i %% 100), 20, 'open',
                   timestamptz '2026-01-01 00:00:00+00' + i * interval '2 seconds',
                   'bench:' || i, now(), now()
              FROM generate_series(1, %s) AS i
            """,
            [company.pk, payables],
        )
        cur.execute("ALTER TABLE payments_posting ENABLE TRIGGER USER")
        cur.execute("ALTER TABLE payments_ledgertransaction ENABLE TRIGGER USER")
        cur.execute("ANALYZE")
    print(f"seeded {lines} lines in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    seed_named_objects()
    seed_labels()


def seed_named_objects() -> None:
    """The orders, purchase orders and suppliers the bench lines refer to ("order:12", "po:7",
    "supplier:3"), under those very ids, so every label the export shows is a real lookup."""
    from django.db import connection

    from procurement.accounts.models import Company, User

    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT EXISTS (
              SELECT 1 FROM payments_supplierpayable p
               WHERE p.idempotency_key LIKE 'bench:%%' AND NOT EXISTS (
                 SELECT 1 FROM orders_purchaseorder po
                  WHERE po.id = split_part(p.reference, ':', 2)::bigint))
            OR EXISTS (
              SELECT 1 FROM payments_ledgertransaction t
               WHERE t.idempotency_key LIKE 'bench:%%' AND NOT EXISTS (
                 SELECT 1 FROM orders_order o
                  WHERE o.id = split_part(t.reference, ':', 2)::bigint))
            """
        )
        if not cur.fetchone()[0]:
            return
        # The lines were seeded again: their orders are others now.
        cur.execute(
            "DELETE FROM orders_purchaseorder WHERE order_id IN "
            "(SELECT id FROM orders_order WHERE number LIKE 'BENCH-%%')"
        )
        cur.execute("DELETE FROM orders_order WHERE number LIKE 'BENCH-%%'")
    started = time.perf_counter()
    company = Company.objects.get(legal_name="Bench Merchant Ltd")
    user, _created = User.objects.get_or_create(email="bench@example.com")
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO catalog_supplier (id, created_at, updated_at, name_zh, name_en,
                member_id, shop_url, province, city, licence_number, licence_file,
                contact_name, contact_phone, contact_email, status, bank_account, bank_name,
                payee_name)
            SELECT i, now(), now(), '义乌市星光饰品有限公司 ' || i, 'Yiwu Starlight ' || i, '', '',
                   '浙江', '义乌', '', '', '', '', '', 'approved', '', '', ''
              FROM generate_series(0, 499) AS i
            ON CONFLICT DO NOTHING
            """
        )
        cur.execute(
            """
            INSERT INTO orders_order (id, created_at, updated_at, number, status, source,
                checkout_key, currency, goods_cny, domestic_freight_cny, approval_comment,
                company_id, created_by_id)
            SELECT id, now(), now(), 'BENCH-' || id, 'paid', 'cart', 'bench:' || id, 'USD',
                   720, 0, '', %s, %s
              FROM (SELECT split_part(reference, ':', 2)::bigint AS id
                      FROM payments_ledgertransaction WHERE idempotency_key LIKE 'bench:%%'
                    UNION
                    SELECT split_part(order_reference, ':', 2)::bigint
                      FROM payments_supplierpayable WHERE idempotency_key LIKE 'bench:%%') o
            ON CONFLICT DO NOTHING
            """,
            [company.pk, user.pk],
        )
        cur.execute(
            """
            INSERT INTO orders_purchaseorder (id, created_at, updated_at, status,
                status_changed_at, domestic_freight_cny, supplier_order_no, tracking_number,
                inspection_summary, order_id, supplier_id, payable_recorded, bin_location)
            SELECT split_part(p.reference, ':', 2)::bigint, now(), now(), 'placed', now(), 0,
                   '', '', '', split_part(p.order_reference, ':', 2)::bigint,
                   split_part(p.supplier_reference, ':', 2)::bigint, true, ''
              FROM payments_supplierpayable p WHERE p.idempotency_key LIKE 'bench:%%'
            ON CONFLICT DO NOTHING
            """
        )
        for table in ("catalog_supplier", "orders_order", "orders_purchaseorder"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        cur.execute("ANALYZE")
    print(f"seeded their orders in {time.perf_counter() - started:.1f}s", file=sys.stderr)


def seed_labels() -> None:
    """The labels the writing services store with each transaction and payable (the order
    number, "PO-7 of order ...", the supplier's name), filled for the bench lines seeded without
    them, by the SQL of the migration that added the columns."""
    from django.db import connection

    from procurement.core import references

    labelled = {
        "payments_ledgertransaction": {"reference_labels": "reference"},
        "payments_supplierpayable": {
            "reference_labels": "reference",
            "order_labels": "order_reference",
            "supplier_labels": "supplier_reference",
        },
    }
    with connection.cursor() as cur:
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM payments_ledgertransaction WHERE reference_labels ="
            " '{}' AND idempotency_key LIKE 'bench:%%') OR EXISTS (SELECT 1 FROM"
            " payments_supplierpayable WHERE supplier_labels = '{}' AND idempotency_key LIKE"
            " 'bench:%%')"
        )
        if not cur.fetchone()[0]:
            return
        started = time.perf_counter()
        cur.execute("ALTER TABLE payments_ledgertransaction DISABLE TRIGGER USER")
        for table, columns in labelled.items():
            for label, reference in columns.items():
                for sql, params in references.label_updates(
                    table, label_column=label, reference_column=reference
                ):
                    cur.execute(sql, params)
        cur.execute("ALTER TABLE payments_ledgertransaction ENABLE TRIGGER USER")
        cur.execute("VACUUM ANALYZE payments_ledgertransaction")
        cur.execute("VACUUM ANALYZE payments_supplierpayable")
    print(f"stored their labels in {time.perf_counter() - started:.1f}s", file=sys.stderr)


def run_csv() -> dict:
    import django

    django.setup()
    from payments import exports

    base = _rss_kb()
    started = time.perf_counter()
    first_byte = first_row = None
    rows = size = 0
    for chunk in exports.settlement_csv(date_from=PERIOD[0], date_to=PERIOD[1]):
        now = time.perf_counter()
        if first_byte is None:
            first_byte = now - started
        elif first_row is None:
            first_row = now - started
        if isinstance(chunk, str):
            chunk = chunk.encode()
        size += len(chunk)
        rows += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    rows -= 1  # header
    return {
        "rows": rows,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(rows / elapsed),
        "first_byte_ms": round(first_byte * 1000, 1),
        "first_row_ms": round(first_row * 1000, 1),
        "mb": round(size / 1e6, 1),
        "peak_rss_mb": round(_rss_kb() / 1024, 1),
        "rss_growth_mb": round((_rss_kb() - base) / 1024, 1),
    }


def run_xlsx() -> dict:
    import django

    django.setup()
    from payments import exports

    base = _rss_kb()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.xlsx")
        started = time.perf_counter()
        rows = exports.write_settlement_xlsx(path, date_from=PERIOD[0], date_to=PERIOD[1])
        elapsed = time.perf_counter() - started
        size = os.path.getsize(path)
    return {
        "rows": rows,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(rows / elapsed),
        "mb": round(size / 1e6, 1),
        "peak_rss_mb": round(_rss_kb() / 1024, 1),
        "rss_growth_mb": round((_rss_kb() - base) / 1024, 1),
    }


def run_copy() -> dict:
    import django

    django.setup()
    import psycopg
    from django.db import connection

    from payments import reports

    connection.ensure_connection()
    raw = connection.connection
    mogrify = psycopg.ClientCursor(raw).mogrify
    # The very statements the CSV reads: the LATERAL query, then the payables queryset.
    statements = [
        mogrify(*reports.settlement_transactions_sql(date_from=PERIOD[0], date_to=PERIOD[1])),
        mogrify(
            *reports.settlement_payables(date_from=PERIOD[0], date_to=PERIOD[1])
            .query.get_compiler(using="default")
            .as_sql()
        ),
    ]
    rows = size = 0
    started = time.perf_counter()
    raw.execute("SET jit = off")  # as the export does
    raw.execute("SET random_page_cost = 1.1")
    for statement in statements:
        with raw.cursor() as cur, cur.copy(f"COPY ({statement}) TO STDOUT WITH CSV") as copy:
            for block in copy:
                size += len(block)
                rows += bytes(block).count(b"\n")
    elapsed = time.perf_counter() - started
    return {
        "rows": rows,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(rows / elapsed),
        "mb": round(size / 1e6, 1),
    }


def child(mode: str) -> dict:
    out = subprocess.run(  # noqa: S603 (this very script, a fixed mode)
        [sys.executable, __file__, "--run", mode],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--run":
        print(json.dumps({"csv": run_csv, "xlsx": run_xlsx, "copy": run_copy}[sys.argv[2]]()))
        return
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    ensure_database()
    seed(lines)
    modes = os.environ.get("BENCH_MODES", "copy,csv,xlsx").split(",")
    result = {"lines": lines, **{mode: child(mode) for mode in modes}}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
