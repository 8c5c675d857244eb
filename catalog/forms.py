"""The merchant's filter form: a plain GET form, so links are shareable and it works without JS."""

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import Province
from catalog.selectors import ProductFilters, Sort

SORT_CHOICES = [
    (Sort.RELEVANCE, _("Best match")),
    (Sort.NEWEST, _("Newest")),
    (Sort.PRICE_ASC, _("Price: low to high")),
    (Sort.PRICE_DESC, _("Price: high to low")),
    (Sort.MOQ, _("Lowest minimum order")),
]
RATING_CHOICES = [
    ("", _("Any rating")),
    ("3", _("3 or more")),
    ("4", _("4 or more")),
    ("4.5", _("4.5 or more")),
]


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    min_price = forms.DecimalField(
        label=_("Minimum price"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    max_price = forms.DecimalField(
        label=_("Maximum price"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    max_moq = forms.IntegerField(
        label=_("Minimum order at most"), required=False, min_value=1, max_value=10_000_000
    )
    min_rating = forms.ChoiceField(
        label=_("Supplier rating"), required=False, choices=RATING_CHOICES
    )
    province = forms.ChoiceField(
        label=_("Supplier province"),
        required=False,
        choices=[("", _("Any province")), *Province.choices],
    )
    in_stock = forms.BooleanField(label=_("In stock only"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)
    after = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)

    def __init__(self, *args, currency: str, has_query_field: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["min_price"].label = _("Minimum price (%(currency)s)") % {"currency": currency}
        self.fields["max_price"].label = _("Maximum price (%(currency)s)") % {"currency": currency}
        for name, field in self.fields.items():
            css = "form-check-input" if name == "in_stock" else "form-control"
            if isinstance(field.widget, forms.Select):
                css = "form-select"
            field.widget.attrs.setdefault("class", css)
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})
        if not has_query_field:
            del self.fields["q"]

    def clean(self):
        data = super().clean()
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", _("The maximum is below the minimum."))
        return data

    def filters(
        self, *, rate: Decimal | None, category_ids: list[int] | None = None, categories=None
    ) -> ProductFilters:
        """Filters in CNY. Prices typed in the merchant's currency convert at the shown rate,
        widened to whole fen so a product shown at exactly the bound is included."""
        # Invalid fields are left out; the valid ones still filter.
        data = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
        query = (data.get("q") or "").strip()
        sort = data.get("sort") or (Sort.RELEVANCE if query else Sort.NEWEST)
        if sort == Sort.RELEVANCE and not query:
            sort = Sort.NEWEST
        min_cny = max_cny = None
        if rate:
            if data.get("min_price") is not None:
                min_cny = (data["min_price"] / rate).quantize(Decimal("0.01"), ROUND_FLOOR)
            if data.get("max_price") is not None:
                max_cny = (data["max_price"] / rate).quantize(Decimal("0.01"), ROUND_CEILING)
        return ProductFilters(
            query=query,
            category_ids=category_ids,
            min_price_cny=min_cny,
            max_price_cny=max_cny,
            max_moq=data.get("max_moq"),
            min_rating=Decimal(data["min_rating"]) if data.get("min_rating") else None,
            province=data.get("province") or "",
            in_stock=bool(data.get("in_stock")),
            sort=sort,
            categories=categories,
        )

    @property
    def cursor(self) -> str:
        if not self.is_bound:
            return ""
        self.is_valid()
        return self.cleaned_data.get("after") or ""

    def rendered_fields(self) -> list[dict]:
        """Plain data for the template to write the inputs itself: Django's widget templates
        cost more than the rest of a results page together."""
        data = self.data if self.is_bound else {}
        errors = self.errors if self.is_bound else {}
        out = []
        for name, field in self.fields.items():
            if name == "after":
                continue
            value = data.get(name, "")
            entry = {
                "name": name,
                "id": f"id_{name}",
                "label": field.label,
                "value": value,
                "errors": errors.get(name, []),
                "kind": "text",
            }
            if isinstance(field, forms.ChoiceField):
                entry["kind"] = "select"
                entry["options"] = [(str(v), label, str(v) == value) for v, label in field.choices]
            elif isinstance(field, forms.BooleanField):
                entry["kind"] = "checkbox"
                entry["checked"] = value not in ("", "false", "0", "off", None)
            elif isinstance(field, (forms.DecimalField, forms.IntegerField)):
                entry["kind"] = "number"
                entry["step"] = "0.01" if isinstance(field, forms.DecimalField) else "1"
            elif name == "q":
                entry["kind"] = "search"
            out.append(entry)
        return out
