"""The forms of the purchase-order admin's actions: routing, placing (by hand or on 1688),
receiving and inspecting."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Supplier
from logistics.forms import BinLocationField
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

    bin_location = BinLocationField(
        help_text=gettext_lazy(
            "Optional. Where the goods are put, for example A-03-2: packing picks there."
        )
    )

    def __init__(self, *args, po: PurchaseOrder, **kwargs):
        super().__init__(*args, **kwargs)
        if po.warehouse_id:
            self.fields["warehouse"].initial = po.warehouse_id
        self.fields["bin_location"].initial = po.bin_location
        self.lines = list(po.lines.filter(status__in=PurchaseOrderLine.TO_RECEIVE).order_by("pk"))
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


MEASURE_FIELDS = (
    ("weight_kg", gettext_lazy("Weight of the line's goods (kg)"), "0.001"),
    ("length_cm", gettext_lazy("Length (cm)"), "0.1"),
    ("width_cm", gettext_lazy("Width (cm)"), "0.1"),
    ("height_cm", gettext_lazy("Height (cm)"), "0.1"),
)


class LineInspectionForm(forms.Form):
    """One line against the checklist: it passes only when every box is ticked and the count
    matches the order."""

    inspect = forms.BooleanField(label=gettext_lazy("Inspect now"), required=False, initial=True)

    def __init__(self, *args, line: PurchaseOrderLine, **kwargs):
        kwargs.setdefault("prefix", f"line-{line.pk}")
        super().__init__(*args, **kwargs)
        self.line = line
        self.fields["received_quantity"] = forms.IntegerField(
            label=gettext_lazy("Received"),
            min_value=0,
            max_value=line.quantity,
            initial=line.received_quantity,
            required=False,
            help_text=_("Ordered %(n)s; change it to correct the count.") % {"n": line.quantity},
        )
        for key, label in CHECKLIST.items():
            self.fields[f"check_{key}"] = forms.BooleanField(label=label, required=False)
        self.fields["note"] = forms.CharField(
            label=gettext_lazy("Note"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
        )
        self.fields["photos"] = MultipleImageField(
            label=gettext_lazy("Photos"),
            required=False,
            help_text=gettext_lazy(
                "JPEG, PNG or WebP. A failed line needs at least one; photos of good goods are "
                "shown to the merchant too."
            ),
        )
        for name, label, minimum in MEASURE_FIELDS:
            self.fields[name] = forms.DecimalField(
                label=label,
                min_value=Decimal(minimum),
                max_digits=10,
                decimal_places=3,
                required=False,
                initial=getattr(line, name),
            )

    @property
    def title(self) -> str:
        return _("%(description)s: %(received)s of %(n)s counted") % {
            "description": self.line.description,
            "received": self.line.received_quantity,
            "n": self.line.quantity,
        }

    @property
    def selected(self) -> bool:
        """Ticked "Inspect now" (read from the submitted data, valid or not)."""
        return self.fields["inspect"].widget.value_from_datadict(
            self.data, self.files, self.add_prefix("inspect")
        )

    def inspection(self) -> services.LineInspection:
        data = self.cleaned_data
        return services.LineInspection(
            line_id=self.line.pk,
            received_quantity=data["received_quantity"],
            checklist={key: data[f"check_{key}"] for key in CHECKLIST},
            note=data["note"],
            photos=data["photos"],
            **{name: data[name] for name, _label, _minimum in MEASURE_FIELDS},
        )


class InspectLinesForm:
    """Every line of a purchase order waiting for inspection, one `LineInspectionForm` each;
    staff untick the lines they do not inspect now. Valid when every ticked line is."""

    def __init__(self, data=None, files=None, *, po: PurchaseOrder):
        self.is_bound = data is not None
        self.lines = list(po.lines.filter(status=PurchaseOrderLine.Status.PENDING).order_by("pk"))
        self.forms = [LineInspectionForm(data, files, line=line) for line in self.lines]
        self._errors: list[str] = []

    def __iter__(self):
        return iter(self.forms)

    @property
    def chosen(self) -> list[LineInspectionForm]:
        return [form for form in self.forms if form.selected]

    def is_valid(self) -> bool:
        if not self.is_bound:
            return False
        chosen = self.chosen
        if not chosen:
            self._errors.append(_("Choose at least one line to inspect."))
            return False
        return all([form.is_valid() for form in chosen])

    def non_form_errors(self) -> list[str]:
        return self._errors

    def add_error(self, error) -> None:
        """A refusal of the service: each line's own message by its line, the rest on top."""
        by_line = getattr(error, "errors", {})
        for form in self.forms:
            if form.line.pk in by_line:
                form.add_error(None, by_line[form.line.pk])
        if not by_line:
            self._errors.append(str(error.message))

    def inspections(self) -> list[services.LineInspection]:
        return [form.inspection() for form in self.chosen]
