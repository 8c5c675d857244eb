"""Staff work on orders: the purchase order queue and its routing actions, sourcing requests and
quotes, and answering merchants' messages. Every action is permission-gated and calls the same
service the merchant pages use; the services write the event rows."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Supplier
from logistics.models import Warehouse
from orders import selectors, services
from orders.models import (
    CHECKLIST,
    AlibabaCall,
    AlibabaOrder,
    Message,
    Order,
    OrderEvent,
    OrderLine,
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    SourcingPhoto,
    SourcingQuote,
    SourcingQuoteEvent,
    SourcingQuoteLine,
    SourcingRequest,
    SourcingRequestEvent,
)
from procurement.core.admin_base import ReadOnlyInline
from procurement.core.exceptions import DomainError

PS = PurchaseOrder.Status


class MessageHistoryInline(ReadOnlyInline):
    model = Message
    fields = ["created_at", "author", "from_staff", "body"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("Messages")


class NewMessageInline(admin.StackedInline):
    """One empty form to answer the merchant; saved through `message_post` (mail on commit)."""

    model = Message
    fields = ["body"]
    extra = 1
    max_num = 1
    can_delete = False
    verbose_name = gettext_lazy("Reply to the merchant")
    verbose_name_plural = gettext_lazy("Reply to the merchant")

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_add_permission(request, obj)


def _save_replies(request, formset, *, thread: dict) -> None:
    # The admin's change message reads these; the replies are saved by the service instead.
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.forms:
        body = (form.cleaned_data or {}).get("body", "")
        if form.has_changed() and body.strip():
            services.message_post(author=request.user, body=body, from_staff=True, **thread)


def _action_page(model_admin, request, obj, form, title, *, note=""):
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": obj,
        "title": title,
        "form": form,
        "note": note,
    }
    return TemplateResponse(request, "orders/admin/action_form.html", context)


# --- Orders --------------------------------------------------------------------------------------


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["description", "sku_code", "supplier", "quantity", "unit_price_cny", "line_total_cny"]
    readonly_fields = fields


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields


class OrderPurchaseOrderInline(ReadOnlyInline):
    model = PurchaseOrder
    fields = ["link", "supplier", "status", "supplier_order_no", "actual_total_cny"]
    readonly_fields = fields
    show_change_link = True

    @admin.display(description=gettext_lazy("Purchase order"))
    def link(self, po):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:orders_purchaseorder_change", args=[po.pk]), po
        )


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "company",
        "status",
        "created_by",
        "goods_cny",
        "paid_at",
        "created_at",
    ]
    list_filter = ["status", "source", "created_at"]
    search_fields = ["number", "company__legal_name", "created_by__email"]
    list_select_related = ["company", "created_by"]
    date_hierarchy = "created_at"
    inlines = [
        OrderLineInline,
        OrderPurchaseOrderInline,
        OrderEventInline,
        MessageHistoryInline,
        NewMessageInline,
    ]
    actions = ["mark_completed"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Order._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_formset(self, request, form, formset, change):
        if formset.model is Message:
            _save_replies(request, formset, thread={"order": form.instance})
            return
        super().save_formset(request, form, formset, change)

    @admin.action(description=gettext_lazy("Mark completed"), permissions=["complete"])
    def mark_completed(self, request, queryset: QuerySet[Order]):
        done = 0
        for order in queryset.order_by("pk"):
            try:
                services.order_complete(order=order, actor=request.user)
                done += 1
            except DomainError as error:
                self.message_user(request, f"{order}: {error.message}", messages.WARNING)
        if done:
            self.message_user(request, _("%(n)s order(s) completed.") % {"n": done})

    def has_complete_permission(self, request) -> bool:
        return request.user.has_perm("orders.complete_order")


# --- Purchase orders -----------------------------------------------------------------------------


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


def _alibaba(po: PurchaseOrder) -> AlibabaOrder | None:
    try:
        return po.alibaba
    except AlibabaOrder.DoesNotExist:
        return None


def _may_send_to_1688(po: PurchaseOrder, step: str) -> bool:
    """Waiting to be placed, 1688 configured, and the 1688 side's table allows the step."""
    if not (po.awaits_placement and services.alibaba_configured()):
        return False
    link = _alibaba(po)
    return link is None or link.can_become(step)


class AlibabaPreviewForm(forms.Form):
    """Nothing to enter: the purchase order's lines and the warehouse are sent."""


class AlibabaPlaceForm(forms.Form):
    handling = forms.ChoiceField(
        label=gettext_lazy("If the price is higher"),
        choices=[
            (services.DifferenceHandling.CHARGE, gettext_lazy("Charge the difference now")),
            (services.DifferenceHandling.ASK, gettext_lazy("Ask the merchant to accept or cancel")),
        ],
        initial=services.DifferenceHandling.CHARGE,
        help_text=gettext_lazy("A lower price is always refunded to the merchant's wallet."),
    )


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
    "preview_1688": PurchaseOrderAction(
        "place_purchaseorder",
        gettext_lazy("Preview on 1688"),
        lambda po: _may_send_to_1688(po, AlibabaOrder.Status.PREVIEWING),
    ),
    "place_1688": PurchaseOrderAction(
        "place_purchaseorder",
        gettext_lazy("Place on 1688"),
        lambda po: _may_send_to_1688(po, AlibabaOrder.Status.PLACING),
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
            extra_context["alibaba_configured"] = services.alibaba_configured()
            extra_context["alibaba"] = _alibaba(po)
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
        link = _alibaba(po)
        note = _(
            "The order is created on 1688 with the id %(out)s; placing again never creates a "
            "second order. Expected ¥%(expected)s."
        ) % {"out": link.out_order_id if link else str(po), "expected": po.expected_total_cny}
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


# --- Sourcing ------------------------------------------------------------------------------------


class SourcingPhotoInline(ReadOnlyInline):
    model = SourcingPhoto
    fields = ["preview"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("Photo"))
    def preview(self, photo):
        return format_html('<a href="{0}"><img src="{0}" width="120" alt=""></a>', photo.image.url)


class SourcingRequestEventInline(ReadOnlyInline):
    model = SourcingRequestEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields


class SourcingQuoteSummaryInline(ReadOnlyInline):
    model = SourcingQuote
    fields = ["link", "status", "valid_until", "sent_at"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("Quote"))
    def link(self, quote):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:orders_sourcingquote_change", args=[quote.pk]),
            quote,
        )


@admin.register(SourcingRequest)
class SourcingRequestAdmin(admin.ModelAdmin):
    """The account managers' queue of sourcing requests, oldest first."""

    list_display = ["__str__", "company", "status", "assigned_to", "created_at", "new_quote"]
    list_filter = ["status", "assigned_to"]
    search_fields = ["=id", "title", "company__legal_name"]
    list_select_related = ["company", "assigned_to"]
    ordering = ["created_at", "pk"]
    fields = [
        "company",
        "created_by",
        "status",
        "title",
        "description",
        "links_display",
        "product",
        "target_quantity",
        "target_unit_price",
        "target_currency",
        "assigned_to",
        "decline_reason",
    ]
    inlines = [
        SourcingPhotoInline,
        SourcingQuoteSummaryInline,
        SourcingRequestEventInline,
        MessageHistoryInline,
        NewMessageInline,
    ]

    def get_readonly_fields(self, request, obj=None):
        return [name for name in self.fields if name != "assigned_to"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("Links"))
    def links_display(self, obj):
        return format_html_join(
            "",
            '<div><a href="{}" rel="noopener noreferrer">{} {}</a></div>',
            ((link["url"], link["site"], link["external_id"]) for link in obj.links),
        )

    @admin.display(description=gettext_lazy("Quote"))
    def new_quote(self, obj):
        if not obj.can_become(SourcingRequest.Status.QUOTED):
            return "—"
        url = reverse("admin:orders_sourcingquote_add") + f"?request={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Prepare a quote"))

    def save_formset(self, request, form, formset, change):
        if formset.model is Message:
            _save_replies(request, formset, thread={"sourcing_request": form.instance})
            return
        super().save_formset(request, form, formset, change)


class SourcingQuoteLineInline(admin.TabularInline):
    model = SourcingQuoteLine
    extra = 1
    fields = [
        "description",
        "supplier",
        "product",
        "sku",
        "unit_price_cny",
        "moq",
        "quantity",
        "lead_time_days",
    ]
    autocomplete_fields = []
    raw_id_fields = ["product", "sku"]

    def _draft(self, obj) -> bool:
        return obj is None or obj.can_be_sent  # a draft: once sent a quote is fixed

    def has_add_permission(self, request, obj=None) -> bool:
        return self._draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._draft(obj) and super().has_delete_permission(request, obj)


class SourcingQuoteEventInline(ReadOnlyInline):
    model = SourcingQuoteEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields


@admin.register(SourcingQuote)
class SourcingQuoteAdmin(admin.ModelAdmin):
    """Drafts are edited here; "Send to the merchant" fixes the quote and tells the merchant."""

    list_display = ["__str__", "request", "status", "valid_until", "sent_at"]
    list_filter = ["status"]
    list_select_related = ["request"]
    fields = ["request", "valid_until", "note", "status", "created_by", "sent_at", "decided_at"]
    raw_id_fields = ["request"]
    inlines = [SourcingQuoteLineInline, SourcingQuoteEventInline]
    change_form_template = "orders/admin/sourcingquote_change_form.html"

    def get_readonly_fields(self, request, obj=None):
        fixed = ["status", "created_by", "sent_at", "decided_at"]
        if obj is not None and not obj.can_be_sent:
            return ["request", "valid_until", "note", *fixed]
        return fixed

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("valid_until", services.quote_default_validity())
        return initial

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_urls(self):
        return [
            path(
                "<int:pk>/send/",
                self.admin_site.admin_view(self.send_view),
                name="orders_sourcingquote_send",
            ),
            *super().get_urls(),
        ]

    def send_view(self, request, pk: int):
        if request.method != "POST" or not request.user.has_perm("orders.quote_sourcingrequest"):
            raise PermissionDenied
        quote = get_object_or_404(SourcingQuote, pk=pk)
        try:
            services.sourcing_quote_send(quote=quote, actor=request.user)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(request, _("Quote sent to the merchant."))
        return redirect("admin:orders_sourcingquote_change", quote.pk)
