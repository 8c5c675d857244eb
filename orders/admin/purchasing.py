"""Purchase orders in the staff admin: routing, placing, receiving and inspecting."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from orders import selectors, services
from orders.admin.alibaba import AlibabaActions, AlibabaCallInline, alibaba_of, may_send_to_1688
from orders.admin.common import PS, _action_page
from orders.admin.forms import (
    InspectLinesForm,
    NoteForm,
    PlaceForm,
    PriceCorrectForm,
    ReceiveForm,
    RequiredNoteForm,
    SplitForm,
    SupplierChoiceForm,
    TrackingForm,
)
from orders.models import (
    CHECKLIST,
    AlibabaOrder,
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
)
from procurement.core.admin_base import ReadOnlyInline
from procurement.core.exceptions import DomainError


class PurchaseOrderLineInline(ReadOnlyInline):
    model = PurchaseOrderLine
    fields = [
        "id",
        "description",
        "quantity",
        "unit_price_cny",
        "received_quantity",
        "status",
        "failed_items",
        "inspection_note",
        "stock_item_id",
        "photo_thumbnails",
        "timeline",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("photos", "events__actor")

    @admin.display(description=gettext_lazy("Timeline"))
    def timeline(self, line):
        """The line's own moves: inspected, decided on by the merchant, replaced."""
        return format_html_join(
            "",
            "<div>{} {} → {}{}</div>",
            (
                (
                    date_format(timezone.localtime(event.created_at), "SHORT_DATETIME_FORMAT"),
                    event.get_from_status_display(),
                    event.get_to_status_display(),
                    f" ({event.actor})" if event.actor else "",
                )
                for event in line.events.all()
            ),
        )

    @admin.display(description=gettext_lazy("Not in order"))
    def failed_items(self, line):
        return ", ".join(
            str(CHECKLIST[k]) for k, ok in line.checklist.items() if k in CHECKLIST and not ok
        )

    @admin.display(description=gettext_lazy("Photos"))
    def photo_thumbnails(self, line):
        return format_html_join(
            " ",
            '<a href="{}"><img src="{}" width="80" alt=""></a>',
            ((photo.image.url, photo.thumbnail.url) for photo in line.photos.all()),
        )


class PurchaseOrderEventInline(ReadOnlyInline):
    model = PurchaseOrderEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason_text"]
    readonly_fields = fields


@dataclass(frozen=True)
class PurchaseOrderAction:
    """A staff action on a purchase order: the permission it needs, its label, and the question
    it asks the purchase order whether it is open now (the model's table and rules answer)."""

    permission: str  # codename in the orders app
    label: str
    is_open: Callable[[PurchaseOrder], bool]


def _moves_to(status: str) -> Callable[[PurchaseOrder], bool]:
    return lambda po: po.can_become(status)


PURCHASE_ORDER_ACTIONS: dict[str, PurchaseOrderAction] = {
    "change_supplier": PurchaseOrderAction(
        "route_purchaseorder", gettext_lazy("Change supplier"), lambda po: po.is_routable
    ),
    "split": PurchaseOrderAction(
        "route_purchaseorder", gettext_lazy("Split"), lambda po: po.is_routable
    ),
    "place": PurchaseOrderAction(
        "place_purchaseorder", gettext_lazy("Record placement"), lambda po: po.awaits_placement
    ),
    "preview_1688": PurchaseOrderAction(
        "place_purchaseorder",
        gettext_lazy("Preview on 1688"),
        lambda po: may_send_to_1688(po, AlibabaOrder.Status.PREVIEWING),
    ),
    "place_1688": PurchaseOrderAction(
        "place_purchaseorder",
        gettext_lazy("Place on 1688"),
        lambda po: may_send_to_1688(po, AlibabaOrder.Status.PLACING),
    ),
    "cancel_1688": PurchaseOrderAction(
        "place_purchaseorder",
        gettext_lazy("Cancel the part made on 1688"),
        lambda po: may_send_to_1688(po, AlibabaOrder.Status.CANCELLING, partial=True),
    ),
    "complete_1688": PurchaseOrderAction(
        "place_purchaseorder",
        gettext_lazy("Place the missing part on 1688"),
        lambda po: may_send_to_1688(po, AlibabaOrder.Status.COMPLETING, partial=True),
    ),
    "out_of_stock": PurchaseOrderAction(
        "place_purchaseorder", gettext_lazy("Out of stock"), _moves_to(PS.OUT_OF_STOCK)
    ),
    "ship": PurchaseOrderAction(
        "ship_purchaseorder", gettext_lazy("Record shipment"), _moves_to(PS.SHIPPED)
    ),
    "receive": PurchaseOrderAction(
        "receive_purchaseorder", gettext_lazy("Receive and count"), _moves_to(PS.RECEIVED)
    ),
    "inspect": PurchaseOrderAction(
        "receive_purchaseorder", gettext_lazy("Inspect lines"), _moves_to(PS.INSPECTED)
    ),
    "return": PurchaseOrderAction(
        "receive_purchaseorder", gettext_lazy("Return to supplier"), _moves_to(PS.RETURNED)
    ),
    "cancel": PurchaseOrderAction(
        "cancel_purchaseorder", gettext_lazy("Cancel and refund"), _moves_to(PS.CANCELLED)
    ),
    "correct_price": PurchaseOrderAction(
        "place_purchaseorder",
        gettext_lazy("Correct the supplier's price"),
        lambda po: po.is_bought,
    ),
    "payable": PurchaseOrderAction(
        "place_purchaseorder",
        gettext_lazy("Record supplier payable"),
        lambda po: po.is_bought and not po.payable_recorded,
    ),
}


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(AlibabaActions, admin.ModelAdmin):
    """The purchase order queue: filter by status, oldest status change first."""

    list_display = [
        "__str__",
        "order_link",
        "company",
        "supplier",
        "staff_status",
        "age",
        "expected",
        "actual_total_cny",
        "inbound",
    ]
    list_filter = ["status", "supplier", "payable_recorded"]
    search_fields = ["=id", "order__number", "=supplier_order_no", "=tracking_number"]
    list_select_related = ["order__company", "supplier", "alibaba"]
    ordering = ["status_changed_at", "pk"]
    inlines = [PurchaseOrderLineInline, PurchaseOrderEventInline, AlibabaCallInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lines")

    def get_search_results(self, request, queryset, search_term):
        """Receiving: the supplier's tracking number, "PO-12" or the 1688 order number."""
        found = selectors.purchase_order_find(query=search_term)
        if search_term.strip() and found.exists():
            return queryset.filter(pk__in=found.values("pk")), False
        return super().get_search_results(request, queryset, search_term)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in PurchaseOrder._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("Order"), ordering="order__number")
    def order_link(self, po):
        url = reverse("admin:orders_order_change", args=[po.order_id])
        return format_html('<a href="{}">{}</a>', url, po.order.number)

    @admin.display(description=gettext_lazy("Company"))
    def company(self, po):
        return po.order.company

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def staff_status(self, po):
        return po.get_staff_status_display()

    @admin.display(description=gettext_lazy("In this status"), ordering="status_changed_at")
    def age(self, po):
        hours = int((timezone.now() - po.status_changed_at).total_seconds() // 3600)
        if hours < 48:
            return _("%(n)s h") % {"n": hours}
        return _("%(n)s days") % {"n": hours // 24}

    @admin.display(description=gettext_lazy("Expected inbound"))
    def inbound(self, po):
        """The domestic parcel the warehouse waits for: carrier, tracking number, last scan."""
        link = alibaba_of(po)
        parcel = link.latest_parcel if link else None
        if parcel is None:
            return po.tracking_number or "—"
        return format_html(
            "{} {}<br><small>{} {}</small>",
            parcel["carrier"],
            parcel["tracking_number"],
            parcel["latest_at"],
            parcel["latest"],
        )

    @admin.display(description=gettext_lazy("Expected (CNY)"))
    def expected(self, po):
        return po.expected_total_cny

    def _allowed_actions(self, request, po) -> list[str]:
        return [
            name
            for name, action in PURCHASE_ORDER_ACTIONS.items()
            if action.is_open(po) and request.user.has_perm(f"orders.{action.permission}")
        ]

    def get_list_display(self, request):
        def next_steps(po):
            return format_html_join(
                " · ",
                '<a href="{}">{}</a>',
                (
                    (
                        reverse(f"admin:orders_purchaseorder_{name}", args=[po.pk]),
                        PURCHASE_ORDER_ACTIONS[name].label,
                    )
                    for name in self._allowed_actions(request, po)
                ),
            )

        next_steps.short_description = gettext_lazy("Actions")
        return [*self.list_display, next_steps]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        po = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if po is not None:
            extra_context["po_actions"] = [
                (
                    reverse(f"admin:orders_purchaseorder_{name}", args=[po.pk]),
                    PURCHASE_ORDER_ACTIONS[name].label,
                )
                for name in self._allowed_actions(request, po)
            ]
            extra_context["alibaba_configured"] = services.alibaba_configured()
            extra_context["alibaba"] = alibaba_of(po)
        return super().change_view(request, object_id, form_url, extra_context)

    change_form_template = "orders/admin/purchaseorder_change_form.html"

    def get_urls(self):
        return [
            path(
                f"<int:pk>/{name.replace('_', '-')}/",
                self.admin_site.admin_view(self._action_view(name)),
                name=f"orders_purchaseorder_{name}",
            )
            for name in PURCHASE_ORDER_ACTIONS
        ] + super().get_urls()

    def _action_view(self, name: str):
        def view(request, pk: int):
            action = PURCHASE_ORDER_ACTIONS[name]
            if not request.user.has_perm(f"orders.{action.permission}"):
                raise PermissionDenied
            po = get_object_or_404(
                PurchaseOrder.objects.select_related("order__company", "supplier"), pk=pk
            )
            return getattr(self, f"_do_{name}")(request, po, action.label)

        return view

    def _run(self, request, po, form, label, call, *, note=""):
        if request.method == "POST" and form.is_valid():
            try:
                call(form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request, _("%(po)s: %(action)s done.") % {"po": po, "action": label}
                )
                return redirect("admin:orders_purchaseorder_change", po.pk)
        return _action_page(self, request, po, form, f"{label}: {po}", note=note)

    def _do_change_supplier(self, request, po, label):
        form = SupplierChoiceForm(request.POST or None)
        return self._run(
            request,
            po,
            form,
            label,
            lambda d: services.purchase_order_change_supplier(
                po=po, supplier=d["supplier"], actor=request.user, reason=d["reason"]
            ),
        )

    def _do_split(self, request, po, label):
        form = SplitForm(request.POST or None, po=po)
        return self._run(
            request,
            po,
            form,
            label,
            lambda d: services.purchase_order_split(
                po=po,
                line_ids=[line.pk for line in d["lines"]],
                supplier=d["supplier"],
                actor=request.user,
                reason=d["reason"],
            ),
        )

    def _do_place(self, request, po, label):
        form = PlaceForm(request.POST or None)
        note = _(
            "Expected ¥%(expected)s (goods at the merchant's prices and domestic freight)."
        ) % {"expected": po.expected_total_cny}
        return self._run(
            request,
            po,
            form,
            label,
            lambda d: services.purchase_order_place(
                po=po,
                actor=request.user,
                supplier_order_no=d["supplier_order_no"],
                actual_total_cny=d["actual_total_cny"],
                handling=d["handling"],
            ),
            note=note,
        )

    def _do_out_of_stock(self, request, po, label):
        form = NoteForm(request.POST or None)
        return self._run(
            request,
            po,
            form,
            label,
            lambda d: services.purchase_order_out_of_stock(
                po=po, actor=request.user, reason=d["reason"]
            ),
        )

    def _do_ship(self, request, po, label):
        form = TrackingForm(request.POST or None)
        return self._run(
            request,
            po,
            form,
            label,
            lambda d: services.purchase_order_ship(
                po=po, actor=request.user, tracking_number=d["tracking_number"]
            ),
        )

    def _do_receive(self, request, po, label):
        form = ReceiveForm(request.POST or None, po=po)
        return self._run(
            request,
            po,
            form,
            label,
            lambda d: services.purchase_order_receive(
                po=po,
                actor=request.user,
                note=d["reason"],
                warehouse=d["warehouse"],
                counts=form.counts(),
                bin_location=d["bin_location"],
            ),
        )

    def _do_inspect(self, request, po, label):
        """Several lines in one submit, all recorded or none; each refusal shown by its line."""
        form = InspectLinesForm(
            request.POST if request.method == "POST" else None, request.FILES or None, po=po
        )
        if form.is_valid():
            try:
                lines = services.purchase_order_lines_inspect(
                    po=po, actor=request.user, inspections=form.inspections()
                )
            except DomainError as error:
                form.add_error(error)
            else:
                self.message_user(
                    request,
                    ngettext(
                        "%(po)s: %(n)s line inspected.",
                        "%(po)s: %(n)s lines inspected.",
                        len(lines),
                    )
                    % {"po": po, "n": len(lines)},
                )
                po.refresh_from_db()
                if po.can_become(PS.INSPECTED):  # more lines to inspect
                    return redirect("admin:orders_purchaseorder_inspect", po.pk)
                return redirect("admin:orders_purchaseorder_change", po.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": po,
            "title": f"{label}: {po}",
            "form": form,
            "note": _(
                "Tick every item found in order; a line with an unticked item fails. Untick "
                "“Inspect now” for the lines you inspect later. Nothing is recorded unless every "
                "ticked line is in order."
            ),
        }
        return TemplateResponse(request, "orders/admin/inspect_lines.html", context)

    def _do_correct_price(self, request, po, label):
        form = PriceCorrectForm(
            request.POST or None, initial={"actual_total_cny": po.actual_total_cny}
        )
        return self._run(
            request,
            po,
            form,
            label,
            lambda d: services.purchase_order_supplier_price_correct(
                po=po,
                actor=request.user,
                actual_total_cny=d["actual_total_cny"],
                reason=d["reason"],
            ),
            note=_(
                "Changes what we owe the supplier; the merchant's money does not move "
                "(its difference was settled at placement)."
            ),
        )

    def _do_payable(self, request, po, label):
        form = forms.Form(request.POST if request.method == "POST" else None)
        return self._run(
            request,
            po,
            form,
            label,
            lambda d: services.purchase_order_payable_record(po=po, actor=request.user),
            note=_("Record what we owe the supplier for this purchase order with Finance."),
        )

    def _do_return(self, request, po, label):
        form = RequiredNoteForm(request.POST or None)
        return self._run(
            request,
            po,
            form,
            label,
            lambda d: services.purchase_order_return(po=po, actor=request.user, reason=d["reason"]),
        )

    def _do_cancel(self, request, po, label):
        form = RequiredNoteForm(request.POST or None)
        return self._run(
            request,
            po,
            form,
            label,
            lambda d: services.purchase_order_cancel(po=po, actor=request.user, reason=d["reason"]),
        )
