"""Settlement exports: a streamed CSV for any range, and an XLSX built in the background.

CSV: the header is yielded before the query runs (first byte at once); rows come from
`reports.settlement_rows`, which reads the database in chunks (`iterator(chunk_size=...)`, a
server-side cursor on PostgreSQL), and are handed on in blocks of `CSV_BLOCK_ROWS`, so memory
stays flat whatever the range.

XLSX: XlsxWriter in `constant_memory` mode (each row is flushed to a temporary file as soon as
the next one starts), split into sheets at the format's limit of 1,048,576 rows. Built by
`payments.tasks.export_settlement_xlsx` on the `exports` queue; the ExportJob row carries its
status, progress, error and file, which is kept FINANCE_EXPORT_TTL_HOURS hours.
"""

import csv
import logging
import os
import tempfile
from collections.abc import Iterator
from datetime import date, timedelta

import xlsxwriter
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import exceptions, reports
from payments.models import ExportJob
from procurement.accounts.models import User

logger = logging.getLogger(__name__)

XLSX_MAX_ROWS = 1_048_576  # rows per worksheet in the XLSX format, header included
CSV_BLOCK_ROWS = 500
PROGRESS_EVERY_ROWS = 5_000


def export_ttl() -> timedelta:
    return timedelta(hours=int(getattr(settings, "FINANCE_EXPORT_TTL_HOURS", 72)))


def _cell(value) -> str:
    return "" if value is None else str(value)


_TEXT_COLUMNS = (4, 5)  # merchant, supplier: typed by people, so kept from running as formulas
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(text: str) -> str:
    return "'" + text if text[:1] in _FORMULA_STARTS else text


def csv_row(line: reports.SettlementLine) -> list[str]:
    row = [_cell(value) for value in line.as_row()]
    for index in _TEXT_COLUMNS:
        row[index] = _safe(row[index])
    return row


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


def _csv_safe(row: tuple) -> tuple:
    """Guard the free-text columns; csv.writer itself writes None as "" and str() of the rest,
    which is what `csv_row` does."""
    merchant, supplier = row[4], row[5]
    if merchant[:1] in _FORMULA_STARTS or supplier[:1] in _FORMULA_STARTS:
        row = list(row)
        row[4], row[5] = _safe(merchant), _safe(supplier)
    return row


def settlement_csv(*, date_from: date, date_to: date) -> Iterator[str]:
    """The settlement lines of a period as CSV text blocks, the header first and at once."""
    buffer = _Buffer()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([str(column) for column in reports.SETTLEMENT_COLUMNS])
    yield "\ufeff" + buffer.take()
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
    from payments import tasks  # the tasks module imports this one

    transaction.on_commit(lambda: tasks.export_settlement_xlsx.delay(job_id), robust=True)


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
    job = ExportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ExportJob.Status.FAILED and not job.is_expired:
        raise exceptions.InvalidTransition(_("Only a failed or expired export can be retried."))
    if job.file:
        job.file.delete(save=False)
    job.status = ExportJob.Status.QUEUED
    job.progress = 0
    job.rows_written = 0
    job.error = ""
    job.finished_at = None
    job.expires_at = None
    job.save(
        update_fields=[
            "status",
            "progress",
            "rows_written",
            "error",
            "finished_at",
            "expires_at",
            "file",
        ]
    )
    _enqueue(job.pk)
    return job


def export_job_run(*, job_id: int) -> ExportJob:
    """Build the file of a queued job. Called by the task; never raises for a report error: the
    job records why it failed, so finance can read it and retry."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().get(pk=job_id)
        if job.status not in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING):
            return job  # a duplicate delivery of a finished job
        job.status = ExportJob.Status.RUNNING
        job.attempts += 1
        job.save(update_fields=["status", "attempts"])
    total = max(reports.settlement_line_count(date_from=job.date_from, date_to=job.date_to), 1)

    def progress(rows: int) -> None:
        ExportJob.objects.filter(pk=job_id).update(
            rows_written=rows, progress=min(99, rows * 100 // total)
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
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportJob.Status.FAILED,
            error=_("The export failed: %(error)s") % {"error": error.__class__.__name__}
            + (f" ({error})" if str(error) else ""),
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
        return job
    finally:
        os.unlink(path)
    now = timezone.now()
    job.status = ExportJob.Status.SUCCEEDED
    job.progress = 100
    job.rows_written = rows
    job.finished_at = now
    job.expires_at = now + export_ttl()
    job.save(
        update_fields=["status", "progress", "rows_written", "finished_at", "expires_at", "file"]
    )
    return job


def export_jobs_purge(*, now=None) -> int:
    """Delete the files of exports past their time; the job rows stay as a record."""
    now = now or timezone.now()
    count = 0
    for job in ExportJob.objects.filter(expires_at__lte=now).exclude(file=""):
        job.file.delete(save=False)
        ExportJob.objects.filter(pk=job.pk).update(file="")
        count += 1
    return count
