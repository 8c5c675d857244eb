"""The owner's integrations page: API keys and webhook endpoints with their deliveries."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from procurement.accounts import integrations
from procurement.accounts.decorators import company_required
from procurement.accounts.roles import Capability
from procurement.core.exceptions import DomainError
from procurement.core.models import ApiKey, ApiScope, WebhookDelivery, WebhookEndpoint, WebhookEvent

RECENT_DELIVERIES = 50


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"), choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple
    )


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(label=gettext_lazy("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
    )


def _page(request, *, key_form=None, endpoint_form=None, issued_token=None, issued_secret=None):
    company = request.company
    deliveries = (
        WebhookDelivery.objects.filter(company=company)
        .select_related("endpoint")
        .prefetch_related("attempts")
        .order_by("-created_at", "-pk")[:RECENT_DELIVERIES]
    )
    return render(
        request,
        "accounts/integrations/index.html",
        {
            "keys": ApiKey.objects.filter(company=company).select_related("created_by"),
            "endpoints": WebhookEndpoint.objects.filter(company=company),
            "deliveries": deliveries,
            "key_form": key_form or ApiKeyForm(),
            "endpoint_form": endpoint_form or WebhookEndpointForm(),
            "issued_token": issued_token,
            "issued_secret": issued_secret,
        },
    )


@company_required(Capability.MANAGE_MEMBERS)
def integrations_index(request):
    return _page(request)


@company_required(Capability.MANAGE_MEMBERS)
@require_POST
def api_key_create(request):
    form = ApiKeyForm(request.POST)
    if form.is_valid():
        try:
            issued = integrations.api_key_create(
                company=request.company, actor=request.user, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return _page(request, issued_token=issued.token)
    return _page(request, key_form=form)


@company_required(Capability.MANAGE_MEMBERS)
@require_POST
def api_key_revoke(request, pk: int):
    key = get_object_or_404(ApiKey, pk=pk, company=request.company)
    integrations.api_key_revoke(key=key, actor=request.user)
    messages.success(request, _("The key was revoked; calls with it are now refused."))
    return redirect("accounts:integrations")


@company_required(Capability.MANAGE_MEMBERS)
@require_POST
def webhook_endpoint_create(request):
    form = WebhookEndpointForm(request.POST)
    if form.is_valid():
        try:
            issued = integrations.webhook_endpoint_create(
                company=request.company, actor=request.user, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error("url", error.message)
        else:
            return _page(request, issued_secret=issued.secret)
    return _page(request, endpoint_form=form)


@company_required(Capability.MANAGE_MEMBERS)
@require_POST
def webhook_endpoint_toggle(request, pk: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk, company=request.company)
    integrations.webhook_endpoint_set_active(
        endpoint=endpoint, actor=request.user, active=not endpoint.is_active
    )
    return redirect("accounts:integrations")


@company_required(Capability.MANAGE_MEMBERS)
@require_POST
def webhook_endpoint_test(request, pk: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk, company=request.company)
    integrations.webhook_endpoint_test(endpoint=endpoint, actor=request.user)
    messages.success(request, _("A test event is on its way; its result appears below."))
    return redirect("accounts:integrations")
