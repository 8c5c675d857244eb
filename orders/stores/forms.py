"""Forms of the store pages: connecting a store, its settings, mapping a variant."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from logistics.models import ShippingChannel
from orders.stores.models import Platform


class ConnectForm(forms.Form):
    platform = forms.ChoiceField(label=_("Platform"), choices=Platform.choices)
    name = forms.CharField(label=_("Name in the portal"), max_length=120, required=False)
    shop = forms.CharField(
        label=_("Shop address"),
        max_length=255,
        help_text=_("Shopify: my-shop.myshopify.com. WooCommerce: https://shop.example.com."),
    )
    access_key = forms.CharField(
        label=_("Access token or consumer key"),
        max_length=255,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Shopify: the custom app's Admin API access token. WooCommerce: the REST API "
            "consumer key (read/write)."
        ),
    )
    access_secret = forms.CharField(
        label=_("Consumer secret (WooCommerce)"),
        max_length=255,
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    client_secret = forms.CharField(
        label=_("App client secret (Shopify)"),
        max_length=255,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Shopify signs its webhooks with it."),
    )
    shipping_channel = forms.ModelChoiceField(
        label=_("Shipping channel"), queryset=ShippingChannel.objects.none(), required=False
    )
    auto_pay = forms.BooleanField(label=_("Pay store orders automatically"), required=False)
    auto_pay_limit = forms.DecimalField(
        label=_("Auto-pay limit"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    notify_customer = forms.BooleanField(
        label=_("Let the store notify the customer of the tracking number"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, channels=None, **kwargs):
        super().__init__(*args, **kwargs)
        if channels is not None:
            self.fields["shipping_channel"].queryset = channels


class SettingsForm(forms.Form):
    shipping_channel = forms.ModelChoiceField(
        label=_("Default shipping channel"), queryset=ShippingChannel.objects.none(), required=False
    )
    auto_pay = forms.BooleanField(label=_("Pay store orders automatically"), required=False)
    auto_pay_limit = forms.DecimalField(
        label=_("Auto-pay limit"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    notify_customer = forms.BooleanField(
        label=_("Let the store notify the customer of the tracking number"), required=False
    )
    markup_percent = forms.DecimalField(
        label=_("Markup (%)"), max_digits=6, decimal_places=2, min_value=0
    )
    brand_name = forms.CharField(
        label=_("Brand name on the packing slip"), max_length=80, required=False
    )

    def __init__(self, *args, channels=None, **kwargs):
        super().__init__(*args, **kwargs)
        if channels is not None:
            self.fields["shipping_channel"].queryset = channels


class MapForm(forms.Form):
    sku_code = forms.CharField(label=_("Portal SKU code"), max_length=90, required=False)


class CredentialsForm(forms.Form):
    access_key = forms.CharField(
        label=_("Access token or consumer key"),
        max_length=255,
        widget=forms.PasswordInput(render_value=False),
    )
    access_secret = forms.CharField(
        label=_("Consumer secret (WooCommerce)"),
        max_length=255,
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    client_secret = forms.CharField(
        label=_("App client secret (Shopify)"),
        max_length=255,
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )


class ChannelRuleForm(forms.Form):
    country = forms.ChoiceField(label=_("Destination country"), choices=())
    channel = forms.ModelChoiceField(
        label=_("Shipping channel"), queryset=ShippingChannel.objects.none()
    )

    def __init__(self, *args, channels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "---------"), *countries]
        if channels is not None:
            self.fields["channel"].queryset = channels
