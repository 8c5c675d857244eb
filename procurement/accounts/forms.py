from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from procurement.accounts.currencies import WALLET_CURRENCIES, currency_for_country
from procurement.accounts.models import Role
from procurement.accounts.time_zones import zone_choices


def _country_choices() -> list[tuple[str, str]]:
    # A callable, so country names follow the language of each request.
    return [("", _("Choose a country")), *countries]


class SignupDetailsForm(forms.Form):
    """What allauth's sign-up form asks beyond email and password (ACCOUNT_SIGNUP_FORM_CLASS)."""

    full_name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name", "placeholder": _("Your name")}),
        help_text=_("Shown to your colleagues and to your account manager."),
    )

    field_order = ["full_name", "email", "password1", "password2"]

    def clean_full_name(self) -> str:
        return " ".join(self.cleaned_data["full_name"].split())

    def signup(self, request, user) -> None:
        user.full_name = self.cleaned_data["full_name"]
        user.save(update_fields=["full_name"])


class CompanyServicesMixin(forms.Form):
    uses_sourcing = forms.BooleanField(
        label=_("Sourcing and purchasing"),
        required=False,
        help_text=_("We find suppliers, buy on 1688 and from factories, and inspect the goods."),
    )
    uses_forwarding = forms.BooleanField(
        label=_("Logistics forwarding"),
        required=False,
        help_text=_("We receive, store and ship goods, including parcels you send us yourself."),
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("uses_sourcing") and not cleaned.get("uses_forwarding"):
            raise forms.ValidationError(_("Choose at least one service."))
        return cleaned


# The wallet currency's first choice: whatever the chosen country pays in.
FOLLOW_COUNTRY = "country"
FALLBACK_CURRENCY = "USD"


class CompanyCreateForm(CompanyServicesMixin):
    legal_name = forms.CharField(label=_("Legal name"), max_length=200)
    country = forms.ChoiceField(label=_("Country"), choices=_country_choices)
    wallet_currency = forms.ChoiceField(
        label=_("Wallet currency"),
        choices=WALLET_CURRENCIES,
        initial=FOLLOW_COUNTRY,
        help_text=_("You top up and pay in this currency. It cannot be changed later."),
    )
    field_order = ["legal_name", "country", "wallet_currency", "uses_sourcing", "uses_forwarding"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        country = self.data.get("country") if self.is_bound else self.initial.get("country")
        follows = currency_for_country(country or "")
        if follows:
            label = _("The country's currency (%(currency)s)") % {"currency": follows}
        elif country:
            label = _("The country's currency, else US dollar (USD)")
        else:
            label = _("The country's currency")
        self.fields["wallet_currency"].choices = [(FOLLOW_COUNTRY, label), *WALLET_CURRENCIES]
        # Choosing a country renders the currency field again, naming that country's
        # currency (the page works the same without JavaScript: `clean` resolves it).
        self.fields["country"].widget.attrs.update(
            {
                "hx-get": reverse("accounts:company-create"),
                "hx-target": "#wallet-currency-field",
                "hx-swap": "outerHTML",
                "hx-include": "closest form",
            }
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("wallet_currency") == FOLLOW_COUNTRY:
            follows = currency_for_country(cleaned.get("country") or "")
            cleaned["wallet_currency"] = follows or FALLBACK_CURRENCY
        return cleaned


class CompanyUpdateForm(CompanyServicesMixin):
    legal_name = forms.CharField(label=_("Legal name"), max_length=200)
    country = forms.ChoiceField(label=_("Country"), choices=_country_choices)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=zone_choices,
        help_text=_("Dates and times on every page are shown in this zone."),
    )
    field_order = ["legal_name", "country", "time_zone", "uses_sourcing", "uses_forwarding"]


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.BUYER)


class MembershipForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    spending_limit = forms.DecimalField(
        label=_("Spending limit"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("Orders above this amount need an approver. Leave empty for no limit."),
    )
