"""Orders waiting for an approver."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders import forms, selectors, services
from orders.views.common import _crumbs, _order_or_404
from procurement.accounts.decorators import company_required
from procurement.accounts.roles import Capability
from procurement.core.exceptions import DomainError


@company_required(Capability.APPROVE)
def approval_list(request):
    return render(
        request,
        "orders/approval_list.html",
        {
            "orders": selectors.approvals_pending(company=request.company),
            "form": forms.DecisionForm(),
            "crumbs": _crumbs((_("Approvals"), "")),
        },
    )


@company_required(Capability.APPROVE)
@require_POST
def order_decide(request, pk: int, decision: str):
    order = _order_or_404(request, pk)
    form = forms.DecisionForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    service = services.order_approve if decision == "approve" else services.order_reject
    try:
        service(order=order, actor=request.user, membership=request.membership, comment=comment)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            (
                _("Order %(number)s approved.")
                if decision == "approve"
                else _("Order %(number)s rejected.")
            )
            % {"number": order.number},
        )
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("orders:approval-list")
