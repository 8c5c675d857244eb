"""Monthly statements as PDF: the merchant's own (company-scoped) and any company's for
finance staff."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from payments.finance_access import finance_required
from payments.statement_pdf import statement_pdf_request
from procurement.accounts.decorators import company_required
from procurement.accounts.models import Company
from procurement.accounts.roles import Capability
from procurement.core.pdf import pdf_open


def _serve(request, company: Company, year: int, month: int, back: str, *args):
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise Http404
    path = statement_pdf_request(company=company, year=year, month=month, language=get_language())
    if path is None:
        messages.info(request, _("The PDF is being prepared. Open it again in a moment."))
        return redirect(back, *args)
    return FileResponse(
        pdf_open(path),
        content_type="application/pdf",
        filename=f"statement-{year:04d}-{month:02d}.pdf",
    )


@company_required(Capability.VIEW_FINANCE)
def my_statement_pdf(request, year: int, month: int):
    return _serve(request, request.company, year, month, "finance:my-statement", year, month)


@finance_required
def statement_pdf(request, company_pk: int, year: int, month: int):
    company = get_object_or_404(Company, pk=company_pk)
    return _serve(request, company, year, month, "finance:statement", company.pk, year, month)
