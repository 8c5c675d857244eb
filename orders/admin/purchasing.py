"""Purchase orders in the staff admin: routing, placing, receiving and inspecting."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Supplier
from logistics.models import Warehouse
from orders import selectors, services
from orders.admin.common import PS, _action_page
from orders.models import (
    CHECKLIST,
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
        "inspection",
        "failed_items",
        "inspection_note",
        "resolution",
        "stock_item_id",
        "photo_thumbnails",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("photos")

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
    fields = ["created_at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields


class SupplierChoiceForm(forms.Form):
    supplier = forms.ModelChoiceField(
        label=gettext_lazy("Supplier"),
        queryset=Supplier.objects.filter(status=Supplier.Status.APPROVED),
    )
    reason = forms.CharField(label=gettext_lazy("Note"), required=False)


class SplitForm(SupplierChoiceForm):
    lines = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Lines to move"),
        queryset=PurchaseOrderLine.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, po: PurchaseOrder, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].queryset = po.lines.order_by("pk")


class PlaceForm(forms.Form):
    supplier_order_no = forms.CharField(label=gettext_lazy("1688 order number"), required=False)
    actual_total_cny = forms.DecimalField(
        label=gettext_lazy("Actual price paid, goods and domestic freight (CNY)"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
    )
    handling = forms.ChoiceField(
        label=gettext_lazy("If the price is higher"),
        choices=[
            (services.DifferenceHandling.CHARGE, gettext_lazy("Charge the difference now")),
            (services.DifferenceHandling.ASK, gettext_lazy("Ask the merchant to accept or cancel")),
        ],
        initial=services.DifferenceHandling.CHARGE,
        help_text=gettext_lazy("A lower price is always refunded to the merchant's wallet."),
    )


class PriceCorrectForm(forms.Form):
    actual_total_cny = forms.DecimalField(
        label=gettext_lazy("Corrected price, goods and domestic freight (CNY)"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea)


class TrackingForm(forms.Form):
    tracking_number = forms.CharField(label=gettext_lazy("Domestic tracking number"))


class NoteForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea)


class RequiredNoteForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea)


class ReceiveForm(forms.Form):
    """The warehouse and the count of every line still to inspect."""

    warehouse = forms.ModelChoiceField(
        label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.filter(is_active=True)
    )

    def __init__(self, *args, po: PurchaseOrder, **kwargs):
        super().__init__(*args, **kwargs)
        if po.warehouse_id:
            self.fields["warehouse"].initial = po.warehouse_id
        self.lines = list(po.lines.filter(inspection=PurchaseOrderLine.Inspection.PENDING))
        for line in self.lines:
            self.fields[f"count_{line.pk}"] = forms.IntegerField(
                label=_("%(description)s (ordered %(n)s)")
                % {"description": line.description, "n": line.quantity},
                min_value=0,
                max_value=line.quantity,
                initial=line.quantity,
            )
        self.fields["reason"] = forms.CharField(
            label=gettext_lazy("Note"), required=False, widget=forms.Textarea
        )

    def counts(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data[f"count_{line.pk}"] for line in self.lines}


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several photos in one input; each is checked with Pillow by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleImageInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleImageField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class InspectLineForm(forms.Form):
    """One line against the checklist: a line passes only when every box is ticked."""

    line = forms.ModelChoiceField(
        label=gettext_lazy("Line"), queryset=PurchaseOrderLine.objects.none()
    )

    def __init__(self, *args, po: PurchaseOrder, **kwargs):
        super().__init__(*args, **kwargs)
        pending = po.lines.filter(inspection=PurchaseOrderLine.Inspection.PENDING).order_by("pk")
        self.fields["line"].queryset = pending
        self.fields["line"].label_from_instance = lambda line: (
            _("%(description)s: %(received)s of %(n)s counted")
            % {
                "description": line.description,
                "received": line.received_quantity,
                "n": line.quantity,
            }
        )
        first = pending.first()
        if first is not None:
            self.fields["line"].initial = first.pk
        for key, label in CHECKLIST.items():
            self.fields[f"check_{key}"] = forms.BooleanField(label=label, required=False)
        self.fields["note"] = forms.CharField(
            label=gettext_lazy("Note"), required=False, widget=forms.Textarea
        )
        self.fields["photos"] = MultipleImageField(
            label=gettext_lazy("Photos"),
            required=False,
            help_text=gettext_lazy("JPEG, PNG or WebP. A failed line needs at least one."),
        )
        for name, label, minimum in (
            ("weight_kg", gettext_lazy("Weight of the line's goods (kg)"), "0.001"),
            ("length_cm", gettext_lazy("Length (cm)"), "0.1"),
            ("width_cm", gettext_lazy("Width (cm)"), "0.1"),
            ("height_cm", gettext_lazy("Height (cm)"), "0.1"),
        ):
            self.fields[name] = forms.DecimalField(
                label=label,
                min_value=Decimal(minimum),
                max_digits=10,
                decimal_places=3,
                required=False,
            )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "line": data["line"],
            "checklist": {key: data[f"check_{key}"] for key in CHECKLIST},
            "note": data["note"],
            "photos": data["photos"],
            **{name: data[name] for name in ("weight_kg", "length_cm", "width_cm", "height_cm")},
        }


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
        "receive_purchaseorder", gettext_lazy("Inspect a line"), _moves_to(PS.INSPECTED)
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
class PurchaseOrderAdmin(admin.ModelAdmin):
    """The purchase order queue: filter by status, oldest status change first."""

    list_display = [
        "__str__",
        "order_link",
        "company",
        "supplier",
        "status",
        "age",
        "expected",
        "actual_total_cny",
    ]
    list_filter = ["status", "supplier", "payable_recorded"]
    search_fields = ["=id", "order__number", "=supplier_order_no", "=tracking_number"]
    list_select_related = ["order__company", "supplier"]
    ordering = ["status_changed_at", "pk"]
    inlines = [PurchaseOrderLineInline, PurchaseOrderEventInline]

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

    @admin.display(description=gettext_lazy("In this status"), ordering="status_changed_at")
    def age(self, po):
        hours = int((timezone.now() - po.status_changed_at).total_seconds() // 3600)
        if hours < 48:
            return _("%(n)s h") % {"n": hours}
        return _("%(n)s days") % {"n": hours // 24}

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
            ),
        )

    def _do_inspect(self, request, po, label):
        form = InspectLineForm(request.POST or None, request.FILES or None, po=po)
        note = _("Tick every item found in order; a line with an unticked item fails.")
        response = self._run(
            request,
            po,
            form,
            label,
            lambda d: services.purchase_order_line_inspect(
                actor=request.user, **form.service_kwargs()
            ),
            note=note,
        )
        if response.status_code == 302:
            po.refresh_from_db()
            if po.can_become(PS.INSPECTED):  # more lines to inspect
                return redirect("admin:orders_purchaseorder_inspect", po.pk)
        return response

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
