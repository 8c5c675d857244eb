"""The order confirmation / pro forma invoice as a PDF (company-scoped: 404 for others)."""

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from orders.documents import order_confirmation_pdf_request
from orders.views.common import _order_or_404
from procurement.accounts.decorators import company_required
from procurement.accounts.roles import Capability
from procurement.core.pdf import pdf_open


@company_required(Capability.VIEW)
def order_confirmation_pdf(request, pk: int):
    order = _order_or_404(request, pk)
    path = order_confirmation_pdf_request(order=order, language=get_language())
    if path is None:
        messages.info(request, _("The PDF is being prepared. Open it again in a moment."))
        return redirect("orders:order-detail", pk=order.pk)
    return FileResponse(
        pdf_open(path), content_type="application/pdf", filename=f"{order.number or order.pk}.pdf"
    )
