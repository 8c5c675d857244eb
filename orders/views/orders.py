"""The merchant's orders, their purchase orders and the decisions put to the merchant."""

from __future__ import annotations

from itertools import chain

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from orders import forms, selectors, services
from orders.models import (
    Order,
    PurchaseOrder,
    PurchaseOrderLine,
)
from orders.views.common import _crumbs, _order_or_404, _top_up_link
from payments import exceptions as payments_exceptions
from procurement.accounts.decorators import company_required
from procurement.accounts.roles import Capability, role_can
from procurement.core.exceptions import DomainError


@company_required(Capability.VIEW)
def order_list(request):
    form = forms.OrderFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.order_list(
        company=request.company,
        status=filters.get("status", ""),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        search=filters.get("q", ""),
    )
    page = Paginator(qs, selectors.ORDERS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "orders/order_list.html"
    if request.htmx and request.htmx.target == "order-results":
        template += "#order-results"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "crumbs": _crumbs((_("Orders"), "")),
        },
    )


def _timeline(order: Order) -> list:
    po_events = selectors.order_purchase_order_events(order=order)
    return sorted(
        chain(order.events.all(), po_events), key=lambda event: (event.created_at, event.pk)
    )


@company_required(Capability.VIEW)
def order_detail(request, pk: int):
    order = _order_or_404(request, pk)
    role = request.membership.role
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "timeline": _timeline(order),
            "message_form": forms.MessageForm(),
            "can_buy": role_can(role, Capability.BUY),
            "can_approve": role_can(role, Capability.APPROVE),
            "cancellable": order.is_cancellable,
            "crumbs": _crumbs((_("Orders"), reverse("orders:order-list")), (order.number, "")),
        },
    )


@company_required(Capability.VIEW)
def order_confirmation(request, pk: int):
    order = _order_or_404(request, pk)
    if order.status in (Order.Status.PENDING_APPROVAL, Order.Status.AWAITING_PAYMENT):
        raise Http404
    return render(
        request,
        "orders/order_confirmation.html",
        {
            "order": order,
            "company": request.company,
            "crumbs": _crumbs(
                (_("Orders"), reverse("orders:order-list")),
                (order.number, reverse("orders:order-detail", args=[order.pk])),
                (_("Confirmation"), ""),
            ),
        },
    )


@company_required(Capability.VIEW)
@require_POST
def order_message(request, pk: int):
    order = _order_or_404(request, pk)
    form = forms.MessageForm(request.POST)
    if form.is_valid():
        services.message_post(author=request.user, body=form.cleaned_data["body"], order=order)
        messages.success(request, _("Message sent to your account manager."))
    else:
        messages.error(request, _("Write a message."))
    return redirect(reverse("orders:order-detail", args=[order.pk]) + "#messages")


def _po_or_404(request, pk: int) -> PurchaseOrder:
    try:
        return selectors.purchase_order_of(company=request.company, pk=pk)
    except PurchaseOrder.DoesNotExist:
        raise Http404 from None


@company_required(Capability.BUY)
@require_POST
def purchase_order_accept_price(request, pk: int):
    po = _po_or_404(request, pk)
    try:
        services.purchase_order_price_accept(
            po=po, actor=request.user, membership=request.membership
        )
    except payments_exceptions.InsufficientBalance as error:
        messages.error(request, format_html("{} {}", error.message, _top_up_link()))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("New price accepted."))
    return redirect("orders:order-detail", po.order_id)


@company_required(Capability.BUY)
@require_POST
def purchase_order_cancel(request, pk: int):
    po = _po_or_404(request, pk)
    form = forms.OptionalReasonForm(request.POST)
    form.is_valid()
    try:
        services.purchase_order_cancel(
            po=po,
            actor=request.user,
            reason=form.cleaned_data.get("reason", ""),
            membership=request.membership,
            as_merchant=True,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Purchase order cancelled; the refund is in your wallet."))
    return redirect("orders:order-detail", po.order_id)


LINE_DECISIONS = {
    "accept": (
        services.purchase_order_line_accept,
        gettext_lazy("Accepted as is: the goods are in your stock."),
    ),
    "replace": (
        services.purchase_order_line_replace,
        gettext_lazy("We will ask the supplier for a replacement."),
    ),
    "return": (
        services.purchase_order_line_return,
        gettext_lazy(
            "The line goes back to the supplier; it is refunded once every line is decided."
        ),
    ),
}


@company_required(Capability.BUY)
@require_POST
def purchase_order_line_decide(request, pk: int, decision: str):
    """The merchant's decision on a line that failed inspection."""
    if decision not in LINE_DECISIONS:
        raise Http404
    try:
        line = selectors.purchase_order_line_of(company=request.company, pk=pk)
    except PurchaseOrderLine.DoesNotExist:
        raise Http404 from None
    service, done = LINE_DECISIONS[decision]
    try:
        service(line=line, actor=request.user, membership=request.membership)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("orders:order-detail", line.purchase_order.order_id)
