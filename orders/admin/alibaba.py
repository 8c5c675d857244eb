"""The 1688 side of a purchase order in the staff admin: its calls, and the actions that
preview, place, cancel or complete it on 1688 (each queues a task through the services)."""

from django import forms
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders import services
from orders.admin.common import _action_page
from orders.admin.forms import AlibabaPlaceForm, AlibabaPreviewForm
from orders.models import AlibabaCall, AlibabaOrder, PurchaseOrder
from procurement.core.admin_base import ReadOnlyInline
from procurement.core.exceptions import DomainError


class AlibabaCallInline(ReadOnlyInline):
    """Every request to 1688 for this purchase order and its answer, secrets masked."""

    model = AlibabaCall
    fields = [
        "created_at",
        "api",
        "http_status",
        "error_code",
        "duration_ms",
        "request",
        "response",
    ]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("1688 requests and answers")


def alibaba_of(po: PurchaseOrder) -> AlibabaOrder | None:
    try:
        return po.alibaba
    except AlibabaOrder.DoesNotExist:
        return None


def may_send_to_1688(po: PurchaseOrder, step: str, *, partial: bool = False) -> bool:
    """Waiting to be placed, 1688 configured, and the 1688 side's table allows the step (the
    steps out of a partial split need the split)."""
    if not (po.awaits_placement and services.alibaba_configured()):
        return False
    link = alibaba_of(po)
    if link is None:
        return not partial
    return link.can_become(step)


class AlibabaActions:
    """The purchase-order admin's 1688 actions (`_do_<name>` views, looked up by name)."""

    def _send_to_1688(self, request, po, form, label, call, *, note=""):
        if request.method == "POST" and form.is_valid():
            try:
                link = call(form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                link.refresh_from_db()
                self.message_user(
                    request,
                    _("%(po)s: %(action)s: %(status)s.")
                    % {"po": po, "action": label, "status": link.get_status_display()},
                )
                return redirect("admin:orders_purchaseorder_change", po.pk)
        return _action_page(self, request, po, form, f"{label}: {po}", note=note)

    def _do_preview_1688(self, request, po, label):
        note = _(
            "1688 is asked for the supplier's prices, freight and whether these quantities can "
            "be ordered. Nothing is ordered. Expected ¥%(expected)s."
        ) % {"expected": po.expected_total_cny}
        return self._send_to_1688(
            request,
            po,
            AlibabaPreviewForm(request.POST if request.method == "POST" else None),
            label,
            lambda d: services.alibaba_preview_request(po=po, actor=request.user),
            note=note,
        )

    def _do_place_1688(self, request, po, label):
        link = alibaba_of(po)
        note = _(
            "The order is created on 1688 with the id %(out)s, the same on every try. Expected "
            "¥%(expected)s."
        ) % {"out": link.out_order_id if link else str(po), "expected": po.expected_total_cny}
        if link and link.order_ids:
            note = _(
                "1688 already made order(s) %(orders)s for this purchase order: they are "
                "recorded now, and nothing is ordered on 1688 again."
            ) % {"orders": ", ".join(link.order_ids)}
        elif link and link.look_up_since:
            note = _(
                "The last try got no answer from 1688. The buyer account's 1688 order list is "
                "read first for an order with the id %(out)s: what it finds is recorded, and "
                "the order is placed only if there is none. Expected ¥%(expected)s."
            ) % {"out": link.out_order_id, "expected": po.expected_total_cny}
        return self._send_to_1688(
            request,
            po,
            AlibabaPlaceForm(request.POST if request.method == "POST" else None),
            label,
            lambda d: services.alibaba_place_request(
                po=po, actor=request.user, handling=d["handling"]
            ),
            note=note,
        )

    def _do_cancel_1688(self, request, po, label):
        link = alibaba_of(po)
        note = _(
            "1688 is asked to cancel order(s) %(orders)s, which it made for part of this "
            "purchase order. No money moves; afterwards nothing is ordered and the purchase "
            "order can be placed again."
        ) % {"orders": ", ".join(link.order_ids) if link else ""}
        return self._send_to_1688(
            request,
            po,
            forms.Form(request.POST if request.method == "POST" else None),
            label,
            lambda d: services.alibaba_cancel_request(po=po, actor=request.user),
            note=note,
        )

    def _do_complete_1688(self, request, po, label):
        link = alibaba_of(po)
        note = _(
            "Only what 1688 refused is ordered (%(refused)s), with the order id %(out)s: "
            "trying again never orders it twice. Then every 1688 order is recorded."
        ) % {
            "refused": link.error_message if link else "",
            "out": link.rest_out_order_id if link else "",
        }
        return self._send_to_1688(
            request,
            po,
            forms.Form(request.POST if request.method == "POST" else None),
            label,
            lambda d: services.alibaba_complete_request(po=po, actor=request.user),
            note=note,
        )
