"""Settlement exports: a streamed CSV for any range, and an XLSX built in the background.

CSV: the header is yielded before the query runs (first byte at once). On PostgreSQL the
database formats the lines itself and they stream from `COPY (...) TO STDOUT (FORMAT csv)` in
blocks of about `COPY_BLOCK_BYTES`, with the rounding, labels and formula guard of the Python
path. That path serves the other databases (rows from `reports.settlement_rows`, read in chunks
and written in blocks of `CSV_BLOCK_ROWS`); a test checks that both give the same bytes. Memory
stays flat whatever the range.

XLSX: XlsxWriter in `constant_memory` mode (each row is flushed to a temporary file as soon as
the next one starts), split into sheets at the format's limit of 1,048,576 rows. Built by
`payments.tasks.export_settlement_xlsx` on the `exports` queue; the ExportJob row carries its
status, progress, error and file, which is kept FINANCE_EXPORT_TTL_HOURS hours.
"""

import csv
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from functools import partial

import xlsxwriter
from django.conf import settings
from django.core.files import File
from django.db import connection, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from payments import exceptions, reports
from payments.models import ExportJob, LedgerTransaction, SupplierPayable
from payments.money import minor_unit
from procurement.accounts.currencies import SETTLEMENT_CURRENCY, WALLET_CURRENCY_CODES
from procurement.accounts.models import Company, User
from procurement.core import references, replica, states
from procurement.core.outbox import outbox_enqueue

logger = logging.getLogger(__name__)

XLSX_MAX_ROWS = 1_048_576  # rows per worksheet in the XLSX format, header included
CSV_BLOCK_ROWS = 500
COPY_BLOCK_BYTES = 64 * 1024
CSV_LINE_END = "\n"  # what COPY writes; the Python path writes the same
PROGRESS_EVERY_ROWS = 5_000


def export_ttl() -> timedelta:
    return timedelta(hours=int(getattr(settings, "FINANCE_EXPORT_TTL_HOURS", 72)))


def export_stall_timeout() -> timedelta:
    """How long a running export may go without progress before its worker is taken for dead.
    Longer than the broker's visibility timeout, so a task the broker still holds is delivered
    again (and taken over by `export_job_run`) before housekeeping steps in."""
    return timedelta(minutes=int(getattr(settings, "FINANCE_EXPORT_STALL_MINUTES", 60)))


def export_max_attempts() -> int:
    return int(getattr(settings, "FINANCE_EXPORT_MAX_ATTEMPTS", 3))


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PayableStatus = SupplierPayable.Status


def _safe(text: str) -> str:
    return "'" + text if text[:1] in _FORMULA_STARTS else text


class _Buffer:
    """A file-like sink for csv.writer that hands back what was written."""

    def __init__(self):
        self.parts: list[str] = []

    def write(self, value: str) -> None:
        self.parts.append(value)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


_GUARDED_COLUMNS = (2, 3, 4, 5)  # reference, order, merchant and supplier: labels and names


def _csv_safe(row: tuple) -> tuple:
    """Guard the columns of words (labels and names typed by people, so kept from running as
    formulas); csv.writer itself writes None as "" and str() of the rest."""
    if any(row[column][:1] in _FORMULA_STARTS for column in _GUARDED_COLUMNS):
        row = list(row)
        for column in _GUARDED_COLUMNS:
            row[column] = _safe(row[column])
    return row


def settlement_csv(*, date_from: date, date_to: date) -> Iterator[str | bytes]:
    """The settlement lines of a period as CSV blocks, the header first and at once."""
    header = [str(column) for column in reports.SETTLEMENT_COLUMNS]
    yield "\ufeff" + _written_csv([header])
    if connection.vendor == "postgresql":
        yield from _copied_csv(
            partial(_settlement_copy_statements, date_from=date_from, date_to=date_to)
        )
    else:
        yield from _settlement_csv_blocks(date_from=date_from, date_to=date_to)


def _written_csv(rows: list) -> str:
    buffer = _Buffer()
    csv.writer(buffer, lineterminator=CSV_LINE_END).writerows(rows)
    return buffer.take()


def _settlement_csv_blocks(*, date_from: date, date_to: date) -> Iterator[str]:
    """The lines from `reports.settlement_rows`, CSV-written in blocks of CSV_BLOCK_ROWS."""
    buffer = _Buffer()
    writer = csv.writer(buffer, lineterminator=CSV_LINE_END)
    block_rows = CSV_BLOCK_ROWS
    block: list = []
    for row in reports.settlement_rows(date_from=date_from, date_to=date_to):
        block.append(_csv_safe(row))
        if len(block) >= block_rows:
            writer.writerows(block)
            block.clear()
            yield buffer.take()
    if block:
        writer.writerows(block)
        yield buffer.take()


def _sql_safe(text: str) -> str:
    """`_safe` in SQL: a leading formula character gets an apostrophe before it."""
    return (
        f"CASE WHEN left({text}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) "
        f"THEN chr(39) || {text} ELSE {text} END"
    )


def _sql_amount(value: str, exponent: str) -> str:
    """`reports.settlement._Money.amount` in SQL: the sum at ledger precision, then rounded half
    away from zero (what round() does to a numeric)."""
    return f"round(round(COALESCE({value}, 0), 4), {exponent})"


def _shown(labels: str, column: str) -> str:
    """What `settlement_rows` shows for a reference column: the label its row stored in the
    reader's language (`references.stored_label`), else the reference itself (NULL for none)."""
    label = references.stored_label_sql(labels, "%(language)s", "%(site_language)s")
    return f"COALESCE({label}, NULLIF({column}, ''))"


_TRANSACTION_CSV_SQL = """
SELECT to_char(s.created_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI:SS'),
       COALESCE(%(kind_labels)s::jsonb ->> s.kind, s.kind),
       {label},
       CASE WHEN s.reference LIKE 'order:%%' THEN {label} END,
       {merchant},
       NULL, s.currency, s.paid, s.mid, s.client, s.markup, s.goods,
       CASE WHEN COALESCE(s.mid, 0) = 0 OR s.currency = %(settlement)s THEN round(0, s.e)
            ELSE round(s.paid - s.fee
                       - round((s.goods + s.freight)::numeric(38, 20) / s.mid, s.e), s.e)
       END,
       s.fee, NULL, s.freight, NULL, %(posted)s, NULLIF(s.reference, '')
  FROM (
    SELECT t.id, t.created_at, t.kind, t.reference, t.reference_labels, t.merchant, t.mid,
           t.client, t.markup, c.currency, c.e, 0 - {paid} AS paid, {fee} AS fee,
           {goods} AS goods, {freight} AS freight
      FROM ({inner}) t(id, created_at, kind, reference, reference_labels, merchant,
                       wallet_currency, wallet, mid, client, markup, goods, fee, freight)
     CROSS JOIN LATERAL (
       SELECT COALESCE(t.wallet_currency, %(settlement)s) AS currency,
              COALESCE((%(exponents)s::jsonb
                        ->> COALESCE(t.wallet_currency, %(settlement)s))::int, 2) AS e
     ) c
  ) s
 CROSS JOIN LATERAL (SELECT {reference} AS reference) l
 ORDER BY s.created_at, s.id
"""

_PAYABLE_CSV_SQL = """
SELECT to_char(p.placed_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI:SS'), %(payable)s,
       {reference}, {order}, {merchant}, {supplier},
       %(settlement)s, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       round(round(p.amount_cny, 4), 2), NULL,
       CASE p.status WHEN %(paid)s THEN round(round(p.freight_cny, 4), 2) END,
       COALESCE(%(status_labels)s::jsonb ->> p.status, p.status), NULLIF(p.reference, '')
  FROM {payable} p LEFT JOIN {company} c ON c.id = p.company_id
 CROSS JOIN LATERAL (SELECT {shown}) l
 WHERE p.placed_at >= %(start)s AND p.placed_at < %(end)s
 ORDER BY p.placed_at, p.id
"""
_PAYABLE_REFERENCES = ("reference", "order_reference", "supplier_reference")


def _settlement_copy_statements(
    cursor, *, date_from: date, date_to: date
) -> Iterator[tuple[str, dict]]:
    """The two SELECTs whose CSV is the settlement export, formatted as `settlement_rows` formats
    them: the merchant-side transactions (`reports.settlement_transactions_sql`), then the
    supplier payables, each reference shown by the label stored with its row."""
    inner, params = reports.settlement_transactions_sql(date_from=date_from, date_to=date_to)
    quote = connection.ops.quote_name
    codes = {*WALLET_CURRENCY_CODES, SETTLEMENT_CURRENCY}
    params = {
        **params,
        "tz": timezone.get_current_timezone_name(),
        "settlement": SETTLEMENT_CURRENCY,
        "exponents": json.dumps({code: minor_unit(code) for code in codes}),
        "kind_labels": json.dumps({v: str(label) for v, label in LedgerTransaction.Kind.choices}),
        "status_labels": json.dumps({v: str(label) for v, label in PayableStatus.choices}),
        "posted": str(_("Posted")),
        "payable": str(_("Supplier payable")),
        "paid": PayableStatus.PAID.value,
        "language": references.label_language(),
        "site_language": settings.LANGUAGE_CODE,
    }
    transactions = _TRANSACTION_CSV_SQL.format(
        inner=inner,
        reference=_shown("s.reference_labels", "s.reference"),
        label=_sql_safe("l.reference"),
        merchant=_sql_safe("NULLIF(s.merchant, '')"),
        paid=_sql_amount("t.wallet", "c.e"),
        fee=_sql_amount("t.fee", "c.e"),
        goods=_sql_amount("t.goods", "2"),
        freight=_sql_amount("t.freight", "2"),
    )
    yield transactions, params
    # The payable's label columns are named after its reference columns, less "_reference".
    shown = (
        f"{_shown(f'p.{column.removesuffix("_reference")}_labels', f'p.{column}')} AS {column}"
        for column in _PAYABLE_REFERENCES
    )
    payables = _PAYABLE_CSV_SQL.format(
        shown=", ".join(shown),
        reference=_sql_safe("l.reference"),
        order=_sql_safe("l.order_reference"),
        merchant=_sql_safe("NULLIF(c.legal_name, '')"),
        supplier=_sql_safe("l.supplier_reference"),
        payable=quote(SupplierPayable._meta.db_table),
        company=quote(Company._meta.db_table),
    )
    yield payables, params


def _copied_csv(statements: Callable[[object], Iterable[tuple[str, dict]]]) -> Iterator[bytes]:
    """The rows of the statements `statements(cursor)` gives as PostgreSQL writes them with COPY
    ... (FORMAT csv), in blocks of about COPY_BLOCK_BYTES. One transaction for all; JIT off
    (compiling these plans costs seconds, saves nothing on one pass); index reads costed as
    cached (each transaction's postings are read by index; the bench's COPY floor runs with the
    same two settings)."""
    # On the replica when the caller asked for it (procurement.core.replica).
    reading = replica.reading_connection()
    with transaction.atomic(using=reading.alias), reading.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL random_page_cost = 1.1")
        for sql, params in statements(cursor):
            with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
                block = bytearray()
                for data in copy:
                    block += data
                    if len(block) >= COPY_BLOCK_BYTES:
                        yield bytes(block)
                        block.clear()
                if block:
                    yield bytes(block)


def write_settlement_xlsx(
    path: str,
    *,
    date_from: date,
    date_to: date,
    max_rows: int = XLSX_MAX_ROWS,
    on_progress=None,
) -> int:
    """Write the settlement lines to an XLSX file at `path`; returns the number of data rows.

    A new worksheet starts (with the header again) whenever one reaches `max_rows` rows.
    `on_progress(rows)` is called every PROGRESS_EVERY_ROWS rows.
    """
    workbook = xlsxwriter.Workbook(
        path,
        {"constant_memory": True, "tmpdir": tempfile.gettempdir(), "strings_to_formulas": False},
    )
    header_format = workbook.add_format({"bold": True})
    header = [str(column) for column in reports.SETTLEMENT_COLUMNS]
    sheet = None
    sheet_number = 0
    row_index = max_rows  # forces the first sheet
    written = 0
    try:
        for row in reports.settlement_rows(date_from=date_from, date_to=date_to):
            if row_index >= max_rows:
                sheet_number += 1
                sheet = workbook.add_worksheet(
                    _("Settlement") if sheet_number == 1 else f"{_('Settlement')} {sheet_number}"
                )
                sheet.write_row(0, 0, header, header_format)
                sheet.freeze_panes(1, 0)
                row_index = 1
            sheet.write_row(row_index, 0, row)
            row_index += 1
            written += 1
            if on_progress is not None and written % PROGRESS_EVERY_ROWS == 0:
                on_progress(written)
        if sheet is None:
            sheet = workbook.add_worksheet(_("Settlement"))
            sheet.write_row(0, 0, header, header_format)
    finally:
        workbook.close()
    return written


# --- Export jobs ---------------------------------------------------------------------------------


def _require_finance(actor: User) -> None:
    if actor is None or not actor.has_perm("payments.view_finance_reports"):
        raise exceptions.PaymentsError(_("Only Finance may export reports."))


def _enqueue(job_id: int) -> None:
    # Through the outbox: a broker outage at commit delays the export, never loses it.
    outbox_enqueue(task="payments.tasks.export_settlement_xlsx", args=[job_id])


@transaction.atomic
def export_job_start(*, actor: User, date_from: date, date_to: date) -> ExportJob:
    """Queue a settlement XLSX for the period; the file is built on the `exports` queue."""
    _require_finance(actor)
    if date_from > date_to:
        raise exceptions.PaymentsError(_("The start date must not be after the end date."))
    job = ExportJob.objects.create(
        kind=ExportJob.Kind.SETTLEMENT_XLSX,
        date_from=date_from,
        date_to=date_to,
        requested_by=actor,
    )
    _enqueue(job.pk)
    return job


@transaction.atomic
def export_job_retry(*, job: ExportJob, actor: User) -> ExportJob:
    """Run a failed (or expired) export again."""
    _require_finance(actor)
    job = states.lock(job)
    if job.status != ExportJob.Status.FAILED and not job.is_expired:
        raise exceptions.InvalidTransition(_("Only a failed or expired export can be retried."))
    if job.file:
        job.file.delete(save=False)
    states.apply(
        job,
        to=ExportJob.Status.QUEUED,
        actor=actor,
        changes={
            "progress": 0,
            "rows_written": 0,
            "error": "",
            "finished_at": None,
            "expires_at": None,
            "file": "",
        },
    )
    _enqueue(job.pk)
    return job


def _job_finish(job_id: int, *, to: str, changes: dict) -> ExportJob:
    """Record how this run ended, unless another delivery of the same task finished it first
    (then its outcome stands and this one changes nothing)."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().get(pk=job_id)
        if job.can_become(to):
            states.apply(job, to=to, changes=changes)
    return job


def export_job_run(*, job_id: int) -> ExportJob:
    """Build the file of a queued job. Called by the task; never raises for a report error: the
    job records why it failed, so finance can read it and retry."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().get(pk=job_id)
        if job.status == ExportJob.Status.RUNNING:
            # Delivered again after its worker died mid-run: this run takes it over.
            job.attempts += 1
            job.heartbeat_at = timezone.now()
            job.save(update_fields=["attempts", "heartbeat_at"])
        elif job.can_become(ExportJob.Status.RUNNING):
            states.apply(
                job,
                to=ExportJob.Status.RUNNING,
                changes={"attempts": job.attempts + 1, "heartbeat_at": timezone.now()},
            )
        else:
            return job  # a duplicate delivery of a finished job
    total = max(reports.settlement_line_count(date_from=job.date_from, date_to=job.date_to), 1)

    def progress(rows: int) -> None:
        ExportJob.objects.filter(pk=job_id).update(
            rows_written=rows, progress=min(99, rows * 100 // total), heartbeat_at=timezone.now()
        )

    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        rows = write_settlement_xlsx(
            path, date_from=job.date_from, date_to=job.date_to, on_progress=progress
        )
        name = f"settlement-{job.date_from:%Y%m%d}-{job.date_to:%Y%m%d}-{job.pk}.xlsx"
        with open(path, "rb") as built:
            job.file.save(name, File(built), save=False)
    except Exception as error:
        logger.exception("settlement export %s failed", job_id)
        return _job_finish(
            job_id,
            to=ExportJob.Status.FAILED,
            changes={
                "error": _("The export failed: %(error)s") % {"error": error.__class__.__name__}
                + (f" ({error})" if str(error) else ""),
                "finished_at": timezone.now(),
            },
        )
    finally:
        os.unlink(path)
    now = timezone.now()
    return _job_finish(
        job_id,
        to=ExportJob.Status.SUCCEEDED,
        changes={
            "progress": 100,
            "rows_written": rows,
            "finished_at": now,
            "expires_at": now + export_ttl(),
            "file": job.file.name,
        },
    )


def _last_sign_of_life(job: ExportJob):
    return job.heartbeat_at or job.created_at


def export_jobs_recover(*, now=None) -> dict[str, int]:
    """Exports left "running" by a worker that died (no progress for `export_stall_timeout()`)
    go back to the queue, or, once they have had `export_max_attempts()` runs, fail with a
    message finance reads on the export's page. {"requeued": n, "failed": n}."""
    now = now or timezone.now()
    cutoff = now - export_stall_timeout()
    stalled = (
        ExportJob.objects.filter(status=ExportJob.Status.RUNNING)
        .annotate(seen=Coalesce("heartbeat_at", "created_at"))
        .filter(seen__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    outcome = {"requeued": 0, "failed": 0}
    for job_id in list(stalled):
        with transaction.atomic():
            job = ExportJob.objects.select_for_update().get(pk=job_id)
            # Read again under the lock: a run may have taken it over or finished it meanwhile.
            seen = _last_sign_of_life(job)
            if job.status != ExportJob.Status.RUNNING or seen >= cutoff:
                continue
            if job.attempts >= export_max_attempts():
                states.apply(
                    job,
                    to=ExportJob.Status.FAILED,
                    changes={
                        "error": ngettext(
                            "The export stopped making progress (the worker building it "
                            "stopped answering), so it was not started again. Retry it, or "
                            "export a shorter period.",
                            "The export stopped making progress %(count)s times (the worker "
                            "building it stopped answering), so it was not started again. "
                            "Retry it, or export a shorter period.",
                            job.attempts,
                        )
                        % {"count": job.attempts},
                        "finished_at": now,
                    },
                )
                outcome["failed"] += 1
            else:
                states.apply(
                    job,
                    to=ExportJob.Status.QUEUED,
                    changes={"progress": 0, "rows_written": 0, "heartbeat_at": None},
                )
                _enqueue(job.pk)
                outcome["requeued"] += 1
            logger.warning(
                "settlement export %s made no progress since %s: %s",
                job_id,
                seen.isoformat(),
                job.status,
            )
    return outcome


def export_jobs_purge(*, now=None) -> int:
    """Delete the files of exports past their time; the job rows stay as a record."""
    now = now or timezone.now()
    count = 0
    for job in ExportJob.objects.filter(expires_at__lte=now).exclude(file=""):
        job.file.delete(save=False)
        ExportJob.objects.filter(pk=job.pk).update(file="")
        count += 1
    return count
