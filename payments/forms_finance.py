from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procurement.accounts.models import Company

DATE_INPUT = forms.DateInput(attrs={"type": "date", "class": "form-control"})


def this_month() -> tuple[date, date]:
    """The current month so far: the first view of a report shows what is happening now."""
    today = timezone.localdate()
    return today.replace(day=1), today


class PeriodForm(forms.Form):
    """A date range, inclusive; defaults to the current month. Invalid input falls back to it."""

    date_from = forms.DateField(label=_("From"), widget=DATE_INPUT)
    date_to = forms.DateField(label=_("To (inclusive)"), widget=DATE_INPUT)

    MAX_DAYS = 3660

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and not any(data.get(k) for k in ("date_from", "date_to")):
            data = None
        super().__init__(data, *args, **kwargs)
        start, end = this_month()
        self.fields["date_from"].initial = start
        self.fields["date_to"].initial = end

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The start date must not be after the end date."))
            if (end - start).days > self.MAX_DAYS:
                raise forms.ValidationError(_("Choose a period of at most ten years."))
        return cleaned

    def period(self) -> tuple[date, date]:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["date_from"], self.cleaned_data["date_to"]
        return this_month()


class PayoutBatchForm(forms.Form):
    """Build a batch for one supplier (picked by name among those with open payables) or all."""

    supplier_reference = forms.ChoiceField(
        label=_("Supplier"),
        required=False,
        help_text=_("Suppliers with open payables; leave on all suppliers for every one."),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, suppliers: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier_reference"].choices = [("", _("All suppliers")), *suppliers]

    placed_from = forms.DateField(label=_("Placed from"), required=False, widget=DATE_INPUT)
    placed_to = forms.DateField(label=_("Placed to (inclusive)"), required=False, widget=DATE_INPUT)
    field_order = ["supplier_reference", "placed_from", "placed_to"]


class MarkPaidForm(forms.Form):
    bank_reference = forms.CharField(
        label=_("Bank reference"),
        max_length=64,
        help_text=_("The bank's reference for the executed transfers."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class StatementChoiceForm(forms.Form):
    company = forms.ModelChoiceField(
        label=_("Company"),
        queryset=Company.objects.order_by("legal_name"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    month = forms.CharField(
        label=_("Month"),
        widget=forms.DateInput(attrs={"type": "month", "class": "form-control"}),
    )

    def clean_month(self):
        value = self.cleaned_data["month"]
        try:
            year, month = (int(part) for part in value.split("-", 1))
            date(year, month, 1)
        except ValueError as error:
            raise forms.ValidationError(_("Enter a month as YYYY-MM.")) from error
        return year, month


class RateDayForm(forms.Form):
    """The day whose FX rates finance wants to see; defaults to today, never the future."""

    day = forms.DateField(label=_("Day"), widget=DATE_INPUT)

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and not data.get("day"):
            data = None
        super().__init__(data, *args, **kwargs)
        self.fields["day"].initial = timezone.localdate()

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("Choose today or a past day."))
        return day

    def chosen_day(self) -> date:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["day"]
        return timezone.localdate()
