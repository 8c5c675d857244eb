from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from procurement.accounts.currencies import WALLET_CURRENCIES
from procurement.accounts.models import Role
from procurement.accounts.time_zones import zone_choices


def _country_choices() -> list[tuple[str, str]]:
    # A callable, so country names follow the language of each request.
    return [("", _("Choose a country")), *countries]


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


class CompanyCreateForm(CompanyServicesMixin):
    legal_name = forms.CharField(label=_("Legal name"), max_length=200)
    country = forms.ChoiceField(label=_("Country"), choices=_country_choices)
    wallet_currency = forms.ChoiceField(
        label=_("Wallet currency"),
        choices=WALLET_CURRENCIES,
        help_text=_("You top up and pay in this currency. It cannot be changed later."),
    )
    field_order = ["legal_name", "country", "wallet_currency", "uses_sourcing", "uses_forwarding"]


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
