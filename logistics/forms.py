from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from logistics.addressing import normalize_phone, normalize_postcode
from logistics.models import Address, CustomsProfile, DeclarationLine
from logistics.models.stock import BIN_LOCATION_LENGTH, bin_location_clean
from procurement.core.hazards import HazardFormField, hazard_labels
from procurement.core.numbers import plain


class StyledFormMixin:
    """Bootstrap classes on every widget, so templates render fields with one include."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


DIMENSION = {"max_digits": 7, "decimal_places": 1, "min_value": Decimal("0.1")}
WEIGHT = {"max_digits": 9, "decimal_places": 3, "min_value": Decimal("0.001")}


class AddressForm(StyledFormMixin, forms.ModelForm):
    """Checks phone and postcode for the chosen country, with the country's own messages."""

    class Meta:
        model = Address
        fields = [
            "kind",
            "name",
            "company_name",
            "phone",
            "line1",
            "line2",
            "city",
            "region",
            "postcode",
            "country",
        ]
        help_texts = {
            "phone": _("With the country code, for example +44 20 7946 0958."),
            "postcode": _("Leave empty where the country has no postcodes (Hong Kong)."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})
        self.fields["postcode"].widget.attrs["autocomplete"] = "postal-code"
        self.fields["line1"].widget.attrs["autocomplete"] = "address-line1"
        self.fields["line2"].widget.attrs["autocomplete"] = "address-line2"
        self.fields["city"].widget.attrs["autocomplete"] = "address-level2"
        self.fields["region"].widget.attrs["autocomplete"] = "address-level1"
        self.fields["country"].widget.attrs["autocomplete"] = "country"
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["company_name"].widget.attrs["autocomplete"] = "organization"

    def clean(self):
        cleaned = super().clean()
        country = str(cleaned.get("country") or "")
        if not country:
            return cleaned
        if cleaned.get("kind") in Address.CHINA_KINDS and country != "CN":
            self.add_error("country", _("A forwarder or domestic warehouse must be in China."))
        for field, normalize in (("phone", normalize_phone), ("postcode", normalize_postcode)):
            if field in self.errors:
                continue
            try:
                cleaned[field] = normalize(cleaned.get(field) or "", country)
            except ValidationError as error:
                self.add_error(field, error)
        return cleaned

    def _post_clean(self):
        # The model's clean() repeats these checks for callers other than this form; errors
        # were already reported field by field above.
        pass


class ChannelCompareForm(StyledFormMixin, forms.Form):
    destination = LazyTypedChoiceField(label=_("Destination country"), choices=countries)
    weight_kg = forms.DecimalField(label=_("Weight (kg)"), **WEIGHT)
    length_cm = forms.DecimalField(label=_("Length (cm)"), **DIMENSION)
    width_cm = forms.DecimalField(label=_("Width (cm)"), **DIMENSION)
    height_cm = forms.DecimalField(label=_("Height (cm)"), **DIMENSION)
    restricted = HazardFormField(label=_("The parcel contains"))


class ParcelForm(StyledFormMixin, forms.Form):
    items = forms.ModelMultipleChoiceField(
        label=_("Stock items"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one stock item.")},
    )
    destination = forms.ModelChoiceField(label=_("Destination"), queryset=None)
    channel = forms.ModelChoiceField(label=_("Shipping channel"), queryset=None)
    insured_value = forms.DecimalField(
        label=_("Insure for"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("Optional. Leave empty for no insurance."),
    )

    def __init__(self, *args, items, destinations, channels, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = items
        self.fields["items"].label_from_instance = lambda item: (
            _("#%(pk)s %(description)s · quantity %(quantity)s · %(weight)s kg")
            % {
                "pk": item.pk,
                "description": item.description,
                "quantity": item.quantity,
                "weight": plain(item.weight_kg),
            }
        )
        self.fields["destination"].queryset = destinations
        self.fields["channel"].queryset = channels
        self.fields["insured_value"].label = _("Insure for (%(currency)s)") % {"currency": currency}
        hazardous = [item for item in items if item.restricted_goods]
        self.fields["channel"].label_from_instance = lambda channel: _channel_label(
            channel, hazardous
        )

    def clean(self):
        data = super().clean()
        channel, items = data.get("channel"), data.get("items")
        if channel and items:
            refused = [
                _("#%(pk)s %(description)s: %(goods)s")
                % {
                    "pk": item.pk,
                    "description": item.description,
                    "goods": hazard_labels(channel.refused_hazards(item.restricted_goods)).lower(),
                }
                for item in items
                if channel.refused_hazards(item.restricted_goods)
            ]
            if refused:
                self.add_error(
                    "channel",
                    _("%(channel)s does not carry: %(items)s.")
                    % {"channel": channel, "items": "; ".join(refused)},
                )
        return data


def _channel_label(channel, hazardous_items) -> str:
    """The channel as the choice list shows it: with the stock items it would refuse and why,
    so the merchant sees before choosing (the rule is the channel's `refused_hazards`)."""
    refused = {}
    for item in hazardous_items:
        for hazard in channel.refused_hazards(item.restricted_goods):
            refused.setdefault(hazard, []).append(f"#{item.pk}")
    if not refused:
        return str(channel)
    reasons = "; ".join(
        _("%(goods)s (items %(items)s)")
        % {"goods": hazard_labels([hazard]).lower(), "items": ", ".join(pks)}
        for hazard, pks in sorted(refused.items())
    )
    return _("%(channel)s · does not carry %(reasons)s") % {"channel": channel, "reasons": reasons}


class InboundDeclareForm(StyledFormMixin, forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Sent to warehouse"), queryset=None)
    carrier = forms.CharField(label=_("Carrier"), max_length=80)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=64)
    contents = forms.CharField(label=_("Contents"), max_length=300)
    declared_value = forms.DecimalField(
        label=_("Declared value"), min_value=0, max_digits=14, decimal_places=2
    )

    def __init__(self, *args, warehouses, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses
        self.fields["declared_value"].label = _("Declared value (%(currency)s)") % {
            "currency": currency
        }


class MeasureForm(StyledFormMixin, forms.Form):
    """Staff measure a box (packing a parcel, receiving an inbound parcel)."""

    weight_kg = forms.DecimalField(label=_("Weight (kg)"), **WEIGHT)
    length_cm = forms.DecimalField(label=_("Length (cm)"), **DIMENSION)
    width_cm = forms.DecimalField(label=_("Width (cm)"), **DIMENSION)
    height_cm = forms.DecimalField(label=_("Height (cm)"), **DIMENSION)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class BinLocationField(forms.CharField):
    """Where staff put the goods; written one way (`bin_location_clean`) before it is checked."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Storage location (bin)"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Optional. For example A-03-2."))
        # Room for spaces typed between groups; the cleaned value is checked for its length.
        kwargs.setdefault("max_length", BIN_LOCATION_LENGTH * 2)
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocapitalize": "characters", "spellcheck": "false"})

    def clean(self, value):
        return bin_location_clean(super().clean(value))


class InboundReceiveForm(MeasureForm):
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, initial=1)
    bin_location = BinLocationField()
    inspection_summary = forms.CharField(
        label=_("Inspection result"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    restricted_goods = HazardFormField(label=_("Restricted goods found"))
    photos = MultiplePhotoField(label=_("Photos"))


class ShipForm(StyledFormMixin, forms.Form):
    tracking_number = forms.CharField(label=_("Carrier tracking number"), max_length=64)


class BoxForm(MeasureForm):
    """One box of a parcel on the pack page; empty extra rows are skipped."""


BoxFormSet = forms.formset_factory(BoxForm, extra=3, min_num=1, validate_min=True)


class DeclarationLineForm(forms.ModelForm):
    """A declaration line as staff correct it before packing (`declaration_lines_update`
    checks it and records a lowered value with its reason)."""

    class Meta:
        model = DeclarationLine
        fields = [
            "description_en",
            "description_zh",
            "hs_code",
            "origin_country",
            "quantity",
            "unit",
            "declared_value",
            "value_reason",
            "net_weight_kg",
            "gross_weight_kg",
        ]
        widgets = {
            "description_en": forms.TextInput(attrs={"size": 28}),
            "description_zh": forms.TextInput(attrs={"size": 18}),
            "hs_code": forms.TextInput(attrs={"size": 10, "inputmode": "numeric"}),
            "unit": forms.TextInput(attrs={"size": 6}),
            "value_reason": forms.TextInput(attrs={"size": 20}),
        }


class BaseDeclarationFormSet(forms.BaseModelFormSet):
    """The lines of one parcel's declaration, edited in place: a row naming a line of another
    parcel (or no line) is refused rather than taken for a new line."""

    def clean(self):
        super().clean()
        if any(form.instance.pk is None for form in self.forms):
            raise ValidationError(
                _("Only lines of this parcel's declaration can be changed."), code="foreign_line"
            )


DeclarationFormSet = forms.modelformset_factory(
    DeclarationLine,
    form=DeclarationLineForm,
    formset=BaseDeclarationFormSet,
    extra=0,
    can_delete=False,
    edit_only=True,
)


class MerchantDeclarationLineForm(StyledFormMixin, forms.ModelForm):
    """What a merchant corrects on a line of its parcel's declaration before packing; the
    quantities and weights are the warehouse's."""

    class Meta:
        model = DeclarationLine
        fields = [
            "description_en",
            "description_zh",
            "hs_code",
            "origin_country",
            "declared_value",
            "value_reason",
        ]
        widgets = {
            "description_zh": forms.TextInput(attrs={"lang": "zh-Hans"}),
            "hs_code": forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9. ]*"}),
            "value_reason": forms.TextInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["declared_value"].required = True
        self.fields["hs_code"].help_text = _("6 to 12 digits.")
        self.fields["value_reason"].help_text = _(
            "Needed only when you declare less than was paid."
        )

    def _post_clean(self):
        # `declaration_lines_update` checks the line as a whole (one rule for staff and
        # merchants) and reports each fault on its field.
        pass


MerchantDeclarationFormSet = forms.modelformset_factory(
    DeclarationLine,
    form=MerchantDeclarationLineForm,
    formset=BaseDeclarationFormSet,
    extra=0,
    can_delete=False,
    edit_only=True,
)


class CustomsProfileForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = CustomsProfile
        fields = [
            "ioss_number",
            "eori_number",
            "vat_number",
            "importer_name",
            "importer_address",
            "brand_name",
        ]
        widgets = {"importer_address": forms.Textarea(attrs={"rows": 3})}


class DeclarationCurrencyForm(StyledFormMixin, forms.Form):
    currency = forms.ChoiceField(label=_("Declare values in"))

    def __init__(self, *args, currencies: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(code, code) for code in currencies]
