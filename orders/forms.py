from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from catalog.models import IMAGE_EXTENSIONS, IMAGE_MAX_BYTES, UploadCheck
from logistics.models import Address, ShippingChannel
from orders import conf
from orders.models import Order


class CartLineForm(forms.Form):
    quantity = forms.IntegerField(label=_("Quantity"), min_value=0, max_value=10_000_000)


class QuickOrderForm(forms.Form):
    rows = forms.CharField(
        label=_("Paste rows: SKU code, quantity"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=_("One row per line, for example: SKU-000123,50"),
    )
    file = forms.FileField(
        label=_("Or upload a CSV file"),
        required=False,
        help_text=_("Two columns: SKU code and quantity. A header row is allowed."),
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None:
            return None
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError(_("Upload a .csv file."), code="file_type")
        if upload.size > conf.quick_order_max_bytes():
            raise forms.ValidationError(_("The file is too large."), code="file_size")
        raw = upload.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise forms.ValidationError(_("Save the file as UTF-8 CSV."), code="encoding")

    def clean(self):
        data = super().clean()
        text = "\n".join(filter(None, [data.get("rows", ""), data.get("file") or ""]))
        if not text.strip() and not self.errors:
            raise forms.ValidationError(_("Paste rows or choose a file."))
        data["text"] = text
        return data


class ShippingChoiceForm(forms.Form):
    """Destination and channel for the international freight estimate (optional).

    The choices are the company's own addresses and the channels offered to it; any other id
    is a form error, never silently "no destination"."""

    destination = forms.ModelChoiceField(
        label=_("Ship to"),
        queryset=Address.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Choose one of your company's addresses.")},
    )
    channel = forms.ModelChoiceField(
        label=_("Shipping channel"),
        queryset=ShippingChannel.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Choose one of the shipping channels offered.")},
    )

    def __init__(self, *args, destinations, channels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["destination"].queryset = destinations
        self.fields["channel"].queryset = channels
        self.fields["destination"].empty_label = _("Choose later")
        self.fields["channel"].empty_label = _("Choose later")


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Order.Status.choices],
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(label=_("Order number"), required=False, max_length=40)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.ImageField):
    """Several photos, each checked: a real image (Pillow), an allowed type, a size limit."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        kwargs.setdefault("validators", [UploadCheck(IMAGE_EXTENSIONS, IMAGE_MAX_BYTES)])
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class SourcingRequestForm(forms.Form):
    title = forms.CharField(label=_("What are you looking for?"), max_length=200)
    links = forms.CharField(
        label=_("Product links (1688, Taobao, Tmall)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_("One link per line."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Material, size, colours, packaging, certificates you need."),
    )
    photos = MultipleImageField(
        label=_("Photos"),
        required=False,
        help_text=_("JPEG, PNG or WebP, at most 8 MB each."),
    )
    target_quantity = forms.IntegerField(
        label=_("Target quantity"), required=False, min_value=1, max_value=100_000_000
    )
    target_unit_price = forms.DecimalField(
        label=_("Target unit price"),
        required=False,
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    product = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, currency: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if currency:
            self.fields["target_unit_price"].label = _("Target unit price (%(currency)s)") % {
                "currency": currency
            }

    def clean_photos(self):
        photos = self.cleaned_data.get("photos") or []
        if len(photos) > conf.sourcing_max_photos():
            raise forms.ValidationError(
                _("Add at most %(n)s photos.") % {"n": conf.sourcing_max_photos()}
            )
        return photos

    def clean(self):
        data = super().clean()
        if not self.errors and not (
            data.get("links", "").strip()
            or data.get("description", "").strip()
            or data.get("photos")
            or data.get("product")
        ):
            raise forms.ValidationError(_("Paste a product link, or describe the product."))
        return data
