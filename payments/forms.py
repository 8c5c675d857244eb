from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payments.models import LedgerTransaction
from payments.money import minor_unit
from procurement.accounts.currencies import WALLET_CURRENCIES


class TopUpForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"),
        min_value=0,
        max_digits=14,
        help_text=_("Paid through our payment gateway's secure page."),
    )
    # Where to go back to once the top-up has succeeded (the order being paid); checked
    # against this site before use.
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=500)

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        places = minor_unit(currency)
        field = self.fields["amount"]
        field.decimal_places = places
        field.label = _("Amount (%(currency)s)") % {"currency": currency}
        field.widget.attrs.update(
            {"step": "1" if places == 0 else f"0.{'0' * (places - 1)}1", "inputmode": "decimal"}
        )


class StatementFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("All types")), *LedgerTransaction.Kind.choices],
    )
    currency = forms.ChoiceField(
        label=_("Currency"), required=False, choices=[("", _("All currencies")), *WALLET_CURRENCIES]
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return cleaned

    def filters(self) -> dict:
        """Selector arguments: whole days in the site's time zone, `date_to` inclusive."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        result = {"kind": data.get("kind") or None, "currency": data.get("currency") or None}
        if data.get("date_from"):
            result["date_from"] = datetime.combine(data["date_from"], time.min, tzinfo=tz)
        if data.get("date_to"):
            result["date_to"] = datetime.combine(data["date_to"], time.min, tzinfo=tz) + timedelta(
                days=1
            )
        return result


class SandboxActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("pay", _("Pay")), ("cancel", _("Cancel")), ("fail", _("Fail"))]
    )
