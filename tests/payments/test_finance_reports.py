"""Settlement, reconciliation and exports against hand-computed figures.

Rates (direct, fresh): 1 USD = 7.2 CNY, 1 CNY = 20 JPY, 1 USD = 144 JPY. Markups: USD 100 bps,
JPY 200 bps. Default fee schedule: 3% on a first order, at least 5 USD.

USD order, 720.00 CNY: client 7.128; charge 720 / 7.128 = 101.0101 -> 101.01; at mid 100.00, so
the FX margin is 1.01; fee max(3% x 101.01 = 3.03, 5.00) = 5.00; paid 106.01.
Partial refund of 50.00 USD: goods at the client rate 50 x 7.128 = 356.40 CNY; at mid that is
49.50, so 0.50 of margin goes back. USD totals: paid 56.01, margin 0.51, fee 5.00, CNY 363.60.

JPY order, 1000.00 CNY: mid 0.05, client 0.049; charge 1000 / 0.049 = 20408.16 -> 20408 JPY;
at mid 20000, margin 408; fee max(3% x 20408 = 612, 5 USD x 144 = 720) = 720; paid 21128.
"""

import tracemalloc
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from payments import exports, payouts, reports, services
from payments.models import (
    Account,
    ExportJob,
    FxRate,
    LedgerTransaction,
    Posting,
    SupplierPayable,
    TopUp,
)
from payments.services import ledger
from tests.accounts.factories import CompanyFactory
from tests.payments.factories import FxMarkupFactory, fund_wallet

pytestmark = pytest.mark.django_db


def _rates():
    as_of = timezone.now() - timedelta(minutes=5)
    for base, quote, rate in [("USD", "CNY", "7.2"), ("CNY", "JPY", "20"), ("USD", "JPY", "144")]:
        FxRate.objects.create(
            base=base, quote=quote, rate=Decimal(rate), source=FxRate.Source.SEED, as_of=as_of
        )
    FxMarkupFactory(currency="USD", markup_bps=100)
    FxMarkupFactory(currency="JPY", markup_bps=200)


def _checkout(company, cny, reference):
    quote = services.fx_quote_create(company=company, amount=Decimal(cny), with_fee=True)
    return services.checkout_charge(
        quote=quote, reference=reference, idempotency_key=f"{reference}:checkout"
    )


def _payable(company, n, amount, supplier, freight="0"):
    return payouts.supplier_payable_record(
        reference=f"po:{n}",
        order_reference=f"order:{n}",
        company=company,
        supplier_reference=supplier,
        payee_name=f"Factory {supplier}",
        payee_account="6222000011112222",
        payee_bank="ICBC Yiwu",
        amount_cny=Decimal(amount),
        freight_cny=Decimal(freight),
        placed_at=timezone.now(),
        idempotency_key=f"po:{n}:placed",
    )


@pytest.fixture
def books(db):
    _rates()
    usd = CompanyFactory(legal_name="Acme US", wallet_currency="USD")
    jpy = CompanyFactory(legal_name="Sakura KK", wallet_currency="JPY", country="JP")
    fund_wallet(usd, "500.00")
    fund_wallet(jpy, "30000")
    usd_charge = _checkout(usd, "720.00", "order:1")
    _checkout(jpy, "1000.00", "order:2")
    services.wallet_refund(
        charge=usd_charge, amount=Decimal("50.00"), idempotency_key="order:1:refund"
    )
    _payable(usd, 1, "700.00", "supplier:1", freight="20.00")
    _payable(jpy, 2, "1000.00", "supplier:2")
    return usd, jpy


def _today():
    today = timezone.localdate()
    return today - timedelta(days=1), today + timedelta(days=1)


def test_settlement_lines_and_totals_match_the_hand_computed_figures(books):
    start, end = _today()
    report = reports.settlement_report(date_from=start, date_to=end)
    usd = report.per_currency["USD"]
    assert usd["paid"] == Decimal("56.01")
    assert usd["fx_margin"] == Decimal("0.51")
    assert usd["fee"] == Decimal("5.00")
    assert usd["goods_cny"] == Decimal("363.60")
    jpy = report.per_currency["JPY"]
    assert (jpy["paid"], jpy["fx_margin"], jpy["fee"]) == (
        Decimal("21128"),
        Decimal("408"),
        Decimal("720"),
    )
    assert jpy["goods_cny"] == Decimal("1000.00")
    assert report.per_currency["CNY"]["supplier_cost"] == Decimal("1700.00")
    assert report.per_merchant[("Sakura KK", "JPY")]["paid"] == Decimal("21128")
    assert report.per_supplier["supplier:1"]["cost_cny"] == Decimal("700.00")

    orders = {o.reference: o for o in report.orders}
    first = orders["order:1"]
    assert (first.paid, first.currency, first.fx_margin) == (
        Decimal("56.01"),
        "USD",
        Decimal("0.51"),
    )
    assert first.client_rate == Decimal("7.128")
    assert first.mid_rate == Decimal("7.2")
    assert first.supplier_cost_cny == Decimal("700.00")
    assert [po[0] for po in first.purchase_orders] == ["po:1"]
    assert report.line_count == 5  # 2 checkouts, 1 refund, 2 payables


def test_settlement_freight_paid_appears_once_the_payable_is_paid(books, finance):
    batch = payouts.payout_batch_create(actor=finance, supplier_reference="supplier:1")
    payouts.payout_batch_export(batch=batch, actor=finance)
    payouts.payout_batch_mark_paid(batch=batch, actor=finance, bank_reference="B1")
    start, end = _today()
    report = reports.settlement_report(date_from=start, date_to=end)
    orders = {o.reference: o for o in report.orders}
    assert orders["order:1"].freight_paid_cny == Decimal("20.00")
    assert report.per_supplier["supplier:1"]["paid_cny"] == Decimal("700.00")


def test_reconciliation_of_sound_books_with_everything_paid_is_clean(books, finance):
    batch = payouts.payout_batch_create(actor=finance)
    payouts.payout_batch_export(batch=batch, actor=finance)
    payouts.payout_batch_mark_paid(batch=batch, actor=finance, bank_reference="B1")
    start, end = _today()
    result = reports.reconciliation(date_from=start, date_to=end)
    assert [c.exceptions for c in result.checks] == [[], [], [], []]
    assert result.clean
    assert result.figures["payouts_in_period"] == Decimal("1700.00")


def test_reconciliation_finds_the_planted_problems(books):
    usd, _jpy = books
    wallet = Account.objects.get(company=usd, kind=Account.Kind.WALLET)
    # An imbalance: a posting with no counterpart (PostgreSQL's deferred trigger would refuse it
    # at commit; the test transaction never commits).
    tx = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.CHECKOUT).first()
    Posting.objects.create(
        transaction=tx, account=wallet, amount=Decimal("1.00"), currency="USD", balance_after=0
    )
    # A duplicate credit for a top-up.
    top_up = TopUp.objects.filter(company=usd).get()
    ledger._post(
        kind=LedgerTransaction.Kind.TOP_UP,
        company=usd,
        reference=top_up.reference,
        idempotency_key="duplicate-credit",
        legs=[
            (wallet, top_up.amount),
            (ledger._platform_account(Account.Kind.GATEWAY_CLEARING, "USD"), -top_up.amount),
        ],
    )
    start, end = _today()
    result = reports.reconciliation(date_from=start, date_to=end)
    balanced, wallets, top_ups, payables = result.checks
    assert not result.clean
    assert any(
        f"Transaction {tx.pk} " in e and "off by 1.0000 USD" in e for e in balanced.exceptions
    )
    assert any("postings sum to" in e for e in wallets.exceptions)
    assert any(f"#{top_up.pk} was credited 2 times" in e for e in top_ups.exceptions)
    unpaid = [e for e in payables.exceptions if "unpaid" in e]
    assert len(unpaid) == 2
    # The payable's purchase order does not exist here: its reference is said in words.
    assert "po no. 1" in unpaid[0]
    assert "po:1" not in unpaid[0]
    # Rebalance before the test ends: PostgreSQL checks its deferred trigger at teardown.
    Posting.objects.create(
        transaction=tx, account=wallet, amount=Decimal("-1.00"), currency="USD", balance_after=0
    )


def test_reconciliation_of_an_empty_month_is_clean(db):
    result = reports.reconciliation(
        date_from=timezone.localdate().replace(day=1), date_to=timezone.localdate()
    )
    assert result.clean


def test_settlement_csv_streams_the_header_first_and_every_line(books):
    start, end = _today()
    stream = exports.settlement_csv(date_from=start, date_to=end)
    header = next(stream)
    assert header.startswith("\ufeffDate,Line,Reference")
    body = b"".join(_bytes(chunk) for chunk in stream).decode()
    assert body.count("\n") == 5
    assert "order:2" in body
    assert "21128" in body
    assert "po:1" in body


def _bytes(chunk: str | bytes) -> bytes:
    return chunk.encode() if isinstance(chunk, str) else chunk


@pytest.mark.postgres
def test_settlement_csv_from_copy_is_the_python_csv_byte_for_byte(books, finance):
    """PostgreSQL formats the lines for COPY; the result must be what the Python path writes
    from `settlement_rows`, awkward text and every kind of line included."""
    usd, jpy = books
    usd.legal_name = '=HYPERLINK("x"), the "quoted", Ltd'
    usd.save()
    jpy.legal_name = "Sakura\nKK, 株式会社"
    jpy.save()
    SupplierPayable.objects.filter(reference="po:2").update(
        supplier_reference="-2+3", order_reference=""
    )
    batch = payouts.payout_batch_create(actor=finance, supplier_reference="supplier:1")
    payouts.payout_batch_export(batch=batch, actor=finance)
    payouts.payout_batch_mark_paid(batch=batch, actor=finance, bank_reference="B1")
    start, end = _today()

    copied = b"".join(_bytes(c) for c in exports.settlement_csv(date_from=start, date_to=end))
    header, written = copied.split(b"\n", 1)
    assert header.startswith("\ufeffDate,".encode())
    python = "".join(exports._settlement_csv_blocks(date_from=start, date_to=end)).encode()

    assert written == python
    assert written.count(b"'=HYPERLINK") == 3  # a checkout, its refund, a payable
    assert b"'-2+3" in written
    assert b'"Sakura\nKK, \xe6\xa0\xaa' in written


@pytest.mark.postgres
def test_a_settlement_csv_abandoned_midway_leaves_the_connection_usable(books, monkeypatch):
    """A client that hangs up mid-download closes the stream inside COPY."""
    monkeypatch.setattr(exports, "COPY_BLOCK_BYTES", 1)
    start, end = _today()
    stream = exports.settlement_csv(date_from=start, date_to=end)
    next(stream), next(stream)
    stream.close()
    assert LedgerTransaction.objects.count() > 0
    assert len(b"".join(_bytes(c) for c in exports.settlement_csv(date_from=start, date_to=end)))


def test_settlement_csv_memory_stays_flat(books, monkeypatch):
    """Peak traced memory while streaming 2,000 lines is no more than a little above that of 200:
    rows are read in chunks and written in blocks, never collected."""
    usd, _jpy = books

    def peak_for(n):
        SupplierPayable.objects.filter(reference__startswith="po:bulk").delete()
        SupplierPayable.objects.bulk_create(
            SupplierPayable(
                reference=f"po:bulk{i}",
                order_reference=f"order:bulk{i}",
                company=usd,
                supplier_reference="supplier:9",
                payee_name="Factory with a long enough name to weigh something",
                payee_account="6222000011112222",
                payee_bank="ICBC Yiwu",
                amount_cny=Decimal("10.00"),
                placed_at=timezone.now(),
                idempotency_key=f"bulk{i}",
            )
            for i in range(n)
        )
        start, end = _today()
        tracemalloc.start()
        for _chunk in exports.settlement_csv(date_from=start, date_to=end):
            pass
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak

    monkeypatch.setattr(exports, "CSV_BLOCK_ROWS", 100)
    monkeypatch.setattr(reports.settlement, "SETTLEMENT_CHUNK_ROWS", 100)
    small = peak_for(200)
    large = peak_for(2000)
    assert large < small * 1.5 + 256 * 1024, (small, large)


def _sheet_rows(content: bytes) -> list[int]:
    with zipfile.ZipFile(__import__("io").BytesIO(content)) as archive:
        names = sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))
        return [archive.read(n).decode().count("<row ") for n in names]


def test_xlsx_splits_into_sheets_at_the_row_limit(books, tmp_path):
    start, end = _today()
    path = tmp_path / "s.xlsx"
    written = exports.write_settlement_xlsx(str(path), date_from=start, date_to=end, max_rows=3)
    assert written == 5
    # 3 rows per sheet including the header: 2 + 2 + 1 data rows.
    assert _sheet_rows(path.read_bytes()) == [3, 3, 2]


def test_xlsx_export_job_runs_through_the_task(books, finance, django_capture_on_commit_callbacks):
    start, end = _today()
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.export_job_start(actor=finance, date_from=start, date_to=end)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.SUCCEEDED, job.error
    assert (job.progress, job.rows_written, job.attempts) == (100, 5, 1)
    assert job.expires_at > timezone.now() + timedelta(hours=71)
    with job.file.open("rb") as handle:
        assert _sheet_rows(handle.read()) == [6]


def test_a_failed_export_says_why_and_can_be_retried(
    books, finance, monkeypatch, django_capture_on_commit_callbacks
):
    start, end = _today()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "write_settlement_xlsx", broken)
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.export_job_start(actor=finance, date_from=start, date_to=end)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert "disk full" in job.error
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        exports.export_job_retry(job=job, actor=finance)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.SUCCEEDED
    assert (job.error, job.attempts) == ("", 2)


def test_expired_export_files_are_purged(books, finance, django_capture_on_commit_callbacks):
    start, end = _today()
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.export_job_start(actor=finance, date_from=start, date_to=end)
    assert exports.export_jobs_purge(now=timezone.now()) == 0
    assert exports.export_jobs_purge(now=timezone.now() + timedelta(hours=73)) == 1
    job.refresh_from_db()
    assert not job.file


def test_merchant_statement_opens_and_closes(books):
    usd, _jpy = books
    today = timezone.localdate()
    (section,) = reports.merchant_statement(company=usd, year=today.year, month=today.month)
    assert section.opening == Decimal("0.00")
    assert section.credits == Decimal("550.00")  # top-up 500 + refund 50
    assert section.debits == Decimal("-106.01")
    assert section.closing == Decimal("443.99")


def test_dashboard_figures(books):
    start, end = _today()
    data = reports.dashboard(date_from=start, date_to=end)
    by_currency = {row["currency"]: row for row in data.by_month}
    assert by_currency["USD"]["gmv"] == Decimal("101.01")
    assert by_currency["USD"]["fx_margin"] == Decimal("1.01")
    assert by_currency["USD"]["fee"] == Decimal("5.00")
    assert by_currency["JPY"]["gmv"] == Decimal("20408")
    assert data.open_payables == {"count": 2, "total_cny": Decimal("1700.00")}
    assert [s["supplier"] for s in data.top_suppliers] == ["supplier:2", "supplier:1"]
