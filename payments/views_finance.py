"""Finance pages: dashboard, payables and payout batches, settlement and
reconciliation reports, exports, monthly merchant statements, and the FX rates of a past day.

Staff pages are gated by `finance_required` (Finance group or superuser, staff, TOTP). The
merchant's own statements are gated by the company role (VIEW_FINANCE: owner, buyer, finance).
Every write calls payments.payouts / payments.exports.
"""

import csv
from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from payments import exports, payouts, reports, selectors
from payments.finance_access import PAYOUT_PERMISSION, finance_required
from payments.forms_finance import (
    MarkPaidForm,
    PayoutBatchForm,
    PeriodForm,
    RateDayForm,
    ReasonForm,
    StatementChoiceForm,
)
from payments.models import ExportJob, PayoutBatch, PayoutLine, SupplierPayable
from payments.money import quantize
from procurement.accounts.decorators import company_required
from procurement.accounts.models import Company
from procurement.accounts.roles import Capability
from procurement.core import references
from procurement.core.exceptions import DomainError

PAGE_SIZE = 50


def _crumbs(*extra):
    return [(_("Finance"), reverse("finance:dashboard")), *extra]


def _period(request) -> tuple[PeriodForm, date, date]:
    form = PeriodForm(request.GET or None)
    date_from, date_to = form.period()
    return form, date_from, date_to


# --- Dashboard ------------------------------------------------------------------------------------


def _chart(rows: list[dict], metric: str, label: str) -> dict:
    months = sorted({row["month"] for row in rows})
    currencies = sorted({row["currency"] for row in rows})
    values = {(row["month"], row["currency"]): row[metric] for row in rows}
    return {
        "title": label,
        "labels": months,
        "datasets": [
            {"label": currency, "data": [str(values.get((m, currency), 0)) for m in months]}
            for currency in currencies
        ],
    }


@finance_required
def dashboard(request):
    form, date_from, date_to = _period(request)
    data = reports.dashboard(date_from=date_from, date_to=date_to)
    charts = [
        ("chart-gmv", _chart(data.by_month, "gmv", _("GMV")), "gmv"),
        ("chart-fee", _chart(data.by_month, "fee", _("Fee revenue")), "fee"),
        ("chart-fx", _chart(data.by_month, "fx_margin", _("FX margin")), "fx_margin"),
    ]
    return render(
        request,
        "payments/finance/dashboard.html",
        {
            "form": form,
            "data": data,
            "charts": charts,
            "crumbs": [(_("Finance"), "")],
        },
    )


# --- Payables and payouts ------------------------------------------------------------------------


@finance_required
def payables(request):
    status = request.GET.get("status", SupplierPayable.Status.OPEN)
    qs = SupplierPayable.objects.select_related("company").order_by("placed_at", "pk")
    if status in SupplierPayable.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/finance/payables.html",
        {
            "page": page,
            "status": status,
            "statuses": SupplierPayable.Status.choices,
            "crumbs": _crumbs((_("Supplier payables"), "")),
        },
    )


@finance_required
def payout_batches(request):
    suppliers = payouts.suppliers_with_open_payables(viewer=references.viewer_for(request))
    form = PayoutBatchForm(request.POST or None, suppliers=suppliers)
    if request.method == "POST" and form.is_valid():
        try:
            batch = payouts.payout_batch_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(
                request, _("%(batch)s built; review it before export.") % {"batch": batch}
            )
            return redirect("finance:payout-batch", pk=batch.pk)
    page = Paginator(
        PayoutBatch.objects.select_related("created_by").order_by("-pk"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/finance/payout_batches.html",
        {
            "form": form,
            "page": page,
            "can_manage": request.user.has_perm(PAYOUT_PERMISSION),
            "crumbs": _crumbs((_("Payout batches"), "")),
        },
        status=400 if form.errors else 200,
    )


@finance_required
def payout_batch(request, pk: int):
    batch = payouts.batch_with_lines(pk=pk)
    if batch is None:
        raise Http404
    return render(
        request,
        "payments/finance/payout_batch.html",
        {
            "batch": batch,
            "moves": batch.available_statuses(),
            "lines": payouts.batch_lines(batch=batch),
            "paid_form": MarkPaidForm(),
            "reason_form": ReasonForm(),
            "can_manage": request.user.has_perm(PAYOUT_PERMISSION),
            "crumbs": _crumbs(
                (_("Payout batches"), reverse("finance:payout-batches")), (str(batch), "")
            ),
        },
    )


def _batch_action(request, pk: int, action) -> HttpResponse:
    batch = get_object_or_404(PayoutBatch, pk=pk)
    try:
        action(batch)
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("finance:payout-batch", pk=pk)


@require_POST
@finance_required
def payout_batch_export(request, pk: int):
    return _batch_action(
        request, pk, lambda batch: payouts.payout_batch_export(batch=batch, actor=request.user)
    )


@require_POST
@finance_required
def payout_batch_mark_paid(request, pk: int):
    form = MarkPaidForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the bank's reference for the transfers."))
        return redirect("finance:payout-batch", pk=pk)
    return _batch_action(
        request,
        pk,
        lambda batch: payouts.payout_batch_mark_paid(
            batch=batch, actor=request.user, bank_reference=form.cleaned_data["bank_reference"]
        ),
    )


@require_POST
@finance_required
def payout_batch_cancel(request, pk: int):
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _batch_action(
        request,
        pk,
        lambda batch: payouts.payout_batch_cancel(batch=batch, actor=request.user, reason=reason),
    )


@require_POST
@finance_required
def payout_line_remove(request, pk: int, line_pk: int):
    line = get_object_or_404(PayoutLine, pk=line_pk, batch_id=pk)
    return _batch_action(
        request, pk, lambda batch: payouts.payout_line_remove(line=line, actor=request.user)
    )


@finance_required
def payout_batch_bank_csv(request, pk: int):
    batch = get_object_or_404(PayoutBatch, pk=pk)
    try:
        body = payouts.payout_bank_csv(batch=batch)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("finance:payout-batch", pk=pk)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="payout-{batch.pk}.csv"'
    return response


# --- Reports --------------------------------------------------------------------------------------


@finance_required
def settlement(request):
    form, date_from, date_to = _period(request)
    report = reports.settlement_report(date_from=date_from, date_to=date_to)
    return render(
        request,
        "payments/finance/settlement.html",
        {
            "form": form,
            "report": report,
            "query": f"date_from={date_from:%Y-%m-%d}&date_to={date_to:%Y-%m-%d}",
            "crumbs": _crumbs((_("Settlement"), "")),
        },
    )


@finance_required
def settlement_csv(request):
    _form, date_from, date_to = _period(request)
    response = StreamingHttpResponse(
        exports.settlement_csv(date_from=date_from, date_to=date_to),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="settlement-{date_from:%Y%m%d}-{date_to:%Y%m%d}.csv"'
    )
    return response


@finance_required
def reconciliation(request):
    form, date_from, date_to = _period(request)
    return render(
        request,
        "payments/finance/reconciliation.html",
        {
            "form": form,
            "result": reports.reconciliation(date_from=date_from, date_to=date_to),
            "crumbs": _crumbs((_("Reconciliation"), "")),
        },
    )


# --- FX rates ---------------------------------------------------------------------------------


@finance_required
def fx_rates(request):
    """The mid rate of any past day from each wallet currency to CNY (the ECB history)."""
    form = RateDayForm(request.GET or None)
    day = form.chosen_day()
    return render(
        request,
        "payments/finance/fx_rates.html",
        {
            "form": form,
            "day": day,
            "rates": selectors.fx_rates_of_day(day=day),
            "crumbs": _crumbs((_("FX rates"), "")),
        },
    )


# --- Exports --------------------------------------------------------------------------------------


@finance_required
def export_list(request):
    form = PeriodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = exports.export_job_start(
                actor=request.user,
                date_from=form.cleaned_data["date_from"],
                date_to=form.cleaned_data["date_to"],
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            return redirect("finance:export", pk=job.pk)
    page = Paginator(
        ExportJob.objects.select_related("requested_by").order_by("-pk"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/finance/exports.html",
        {"form": form, "page": page, "crumbs": _crumbs((_("Exports"), ""))},
        status=400 if form.errors else 200,
    )


@finance_required
def export_detail(request, pk: int):
    """The job page; its `export-status` fragment is what the progress bar polls."""
    job = get_object_or_404(ExportJob.objects.select_related("requested_by"), pk=pk)
    template = "payments/finance/export_detail.html"
    if request.htmx:
        # The fragment polls only while the job runs: a finished job's fragment has no
        # hx-trigger, so swapping it in stops the polling and shows the result.
        template += "#export-status"
    return render(
        request,
        template,
        {
            "job": job,
            "crumbs": _crumbs((_("Exports"), reverse("finance:exports")), (str(job), "")),
        },
    )


@require_POST
@finance_required
def export_retry(request, pk: int):
    job = get_object_or_404(ExportJob, pk=pk)
    try:
        exports.export_job_retry(job=job, actor=request.user)
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("finance:export", pk=pk)


@finance_required
def export_download(request, pk: int):
    job = get_object_or_404(ExportJob, pk=pk)
    if job.status != ExportJob.Status.SUCCEEDED or not job.file or job.is_expired:
        raise Http404
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=job.file.name.rsplit("/", 1)[-1],
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- Statements -----------------------------------------------------------------------------------


def _statement_context(company: Company, year: int, month: int, csv_url: str, crumbs) -> dict:
    first, last = reports.month_bounds(year, month)
    return {
        "company": company,
        "month": first,
        "month_end": last,
        "sections": reports.merchant_statement(company=company, year=year, month=month),
        "csv_url": csv_url,
        "pdf_url": csv_url.removesuffix(".csv") + ".pdf",  # each PDF route sits beside its CSV
        "crumbs": crumbs,
        "generated_at": timezone.now(),
    }


def _statement_csv(company: Company, year: int, month: int) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="statement-{company.pk}-{year:04d}-{month:02d}.csv"'
    )
    response.write("\ufeff")
    writer = csv.writer(response, lineterminator="\r\n")
    writer.writerow(
        [
            _("Date"),
            _("Type"),
            _("Reference"),
            _("Description"),
            _("Amount"),
            _("Currency"),
            _("Balance after"),
        ]
    )
    viewer = references.Viewer(company_id=company.pk)
    for section in reports.merchant_statement(company=company, year=year, month=month):
        writer.writerow(["", _("Opening balance"), "", "", "", section.currency, section.opening])
        names = references.resolve_many(
            [posting.transaction.reference for posting in section.postings], viewer
        )
        for posting in section.postings:
            tx = posting.transaction
            writer.writerow(
                [
                    timezone.localtime(tx.created_at).isoformat(timespec="seconds"),
                    tx.get_kind_display(),
                    exports._safe(names[tx.reference].label) if tx.reference else "",
                    exports._safe(tx.memo),
                    quantize(posting.amount, posting.currency),
                    posting.currency,
                    quantize(posting.balance_after, posting.currency),
                ]
            )
        writer.writerow(["", _("Closing balance"), "", "", "", section.currency, section.closing])
    return response


def _valid_month(year: int, month: int) -> None:
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise Http404


@finance_required
def statements(request):
    form = StatementChoiceForm(request.GET or None)
    if form.is_bound and form.is_valid():
        year, month = form.cleaned_data["month"]
        return redirect(
            "finance:statement",
            company_pk=form.cleaned_data["company"].pk,
            year=year,
            month=month,
        )
    return render(
        request,
        "payments/finance/statement_choose.html",
        {"form": form, "crumbs": _crumbs((_("Merchant statements"), ""))},
    )


@finance_required
def statement(request, company_pk: int, year: int, month: int):
    _valid_month(year, month)
    company = get_object_or_404(Company, pk=company_pk)
    csv_url = reverse("finance:statement-csv", args=[company.pk, year, month])
    crumbs = _crumbs((_("Merchant statements"), reverse("finance:statements")), (str(company), ""))
    return render(
        request,
        "payments/finance/statement.html",
        _statement_context(company, year, month, csv_url, crumbs),
    )


@finance_required
def statement_csv(request, company_pk: int, year: int, month: int):
    _valid_month(year, month)
    return _statement_csv(get_object_or_404(Company, pk=company_pk), year, month)


@company_required(Capability.VIEW_FINANCE)
def my_statements(request):
    return render(
        request,
        "payments/finance/my_statements.html",
        {
            "months": reports.statement_months(company=request.company),
            "crumbs": [
                (_("Dashboard"), reverse("dashboard")),
                (_("Monthly statements"), ""),
            ],
        },
    )


@company_required(Capability.VIEW_FINANCE)
def my_statement(request, year: int, month: int):
    _valid_month(year, month)
    csv_url = reverse("finance:my-statement-csv", args=[year, month])
    crumbs = [
        (_("Dashboard"), reverse("dashboard")),
        (_("Monthly statements"), reverse("finance:my-statements")),
        (f"{year:04d}-{month:02d}", ""),
    ]
    return render(
        request,
        "payments/finance/statement.html",
        _statement_context(request.company, year, month, csv_url, crumbs),
    )


@company_required(Capability.VIEW_FINANCE)
def my_statement_csv(request, year: int, month: int):
    _valid_month(year, month)
    return _statement_csv(request.company, year, month)
