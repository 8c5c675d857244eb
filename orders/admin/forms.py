"""The forms of the purchase-order admin's actions: routing, placing (by hand or on 1688),
receiving and inspecting."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Supplier
from logistics.models import Warehouse
from orders import services
from orders.models import (
    CHECKLIST,
    PurchaseOrder,
    PurchaseOrderLine,
)


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
