"""The monthly statement of a company as a PDF in the merchant's language, built on the
`exports` queue. Kept under the month's generation: the last wallet posting of the company in
that month (the ledger is append-only, so a new posting means a new file)."""

from django.db.models import Max

from payments.models import Account, Posting
from payments.reports import merchant_statement, month_bounds, period_bounds
from procurement.accounts.models import Company
from procurement.core.outbox import outbox_enqueue
from procurement.core.pdf import pdf_cached, pdf_language, pdf_path, pdf_store, render_pdf

TEMPLATE = "payments/documents/statement.html"


def statement_pdf_path(*, company: Company, year: int, month: int, language: str) -> str:
    start, end = period_bounds(*month_bounds(year, month))
    generation = (
        Posting.objects.filter(
            account__company=company,
            account__kind=Account.Kind.WALLET,
            transaction__created_at__gte=start,
            transaction__created_at__lt=end,
        ).aggregate(last=Max("pk"))["last"]
        or 0
    )
    return pdf_path(
        family="statements",
        key=f"company-{company.pk}-{year:04d}-{month:02d}",
        generation=generation,
        language=pdf_language(language),
    )


def statement_pdf_request(*, company: Company, year: int, month: int, language: str) -> str | None:
    """The stored PDF's path when it is current; else None, with the build queued."""
    path = statement_pdf_path(company=company, year=year, month=month, language=language)
    if pdf_cached(path):
        return path
    # The name matches the "*.export_*" route: built on the `exports` queue.
    outbox_enqueue(
        task="payments.tasks.export_statement_pdf",
        args=[company.pk, year, month, pdf_language(language)],
    )
    return None


def statement_pdf_build(*, company_id: int, year: int, month: int, language: str) -> str:
    company = Company.objects.get(pk=company_id)
    path = statement_pdf_path(company=company, year=year, month=month, language=language)
    if pdf_cached(path):
        return path
    first, last = month_bounds(year, month)
    pdf = render_pdf(
        template=TEMPLATE,
        context={
            "company": company,
            "month": first,
            "month_end": last,
            "sections": merchant_statement(company=company, year=year, month=month),
        },
        language=pdf_language(language),
    )
    return pdf_store(path, pdf)
