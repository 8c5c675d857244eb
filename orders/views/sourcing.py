"""Sourcing requests, their quotes and messages."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from catalog import selectors as catalog_selectors
from catalog.links import link_preview
from orders import forms, selectors, services
from orders.models import (
    SourcingQuote,
    SourcingRequest,
)
from orders.views.common import _crumbs, _quantity
from payments import selectors as payments_selectors
from payments.money import quantize
from procurement.accounts.decorators import company_required
from procurement.accounts.roles import Capability, role_can
from procurement.core.exceptions import DomainError


@company_required(Capability.VIEW)
def sourcing_list(request):
    page = Paginator(selectors.sourcing_requests_of(company=request.company), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "orders/sourcing_list.html",
        {"page": page, "crumbs": _crumbs((_("Sourcing requests"), ""))},
    )


@company_required(Capability.BUY)
@require_http_methods(["GET", "POST"])
def sourcing_create(request):
    product = None
    product_id = request.POST.get("product") or request.GET.get("product")
    if product_id:
        product = catalog_selectors.products_visible().filter(pk=_quantity(product_id)).first()
    initial = {}
    if product is not None:
        initial = {"title": product.title_en, "product": product.pk, "links": product.source_url}
    elif request.GET.get("links"):
        # A link pasted into the catalog search that is not imported yet: keep it.
        initial = {"links": request.GET["links"][:2000]}
    form = forms.SourcingRequestForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        currency=request.company.wallet_currency,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sourcing = services.sourcing_request_create(
                company=request.company,
                actor=request.user,
                title=data["title"],
                description=data["description"],
                links_text=data["links"],
                target_quantity=data["target_quantity"],
                target_unit_price=data["target_unit_price"],
                photos=data["photos"],
                product=product,
            )
        except DomainError as error:
            form.add_error("links" if data.get("links") else None, error.message)
        else:
            messages.success(request, _("Request sent. Your account manager will quote it."))
            return redirect("orders:sourcing-detail", sourcing.pk)
    return render(
        request,
        "orders/sourcing_form.html",
        {
            "form": form,
            "product": product,
            "crumbs": _crumbs(
                (_("Sourcing requests"), reverse("orders:sourcing-list")), (_("New request"), "")
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


def _sourcing_or_404(request, pk: int) -> SourcingRequest:
    try:
        return selectors.sourcing_request_detail(company=request.company, pk=pk)
    except SourcingRequest.DoesNotExist:
        raise Http404 from None


@company_required(Capability.VIEW)
def sourcing_detail(request, pk: int):
    sourcing = _sourcing_or_404(request, pk)
    currency = request.company.wallet_currency
    quotes = _quotes_in_currency(list(sourcing.quotes.all()), currency)
    return render(
        request,
        "orders/sourcing_detail.html",
        {
            "sourcing": sourcing,
            # Title (in the merchant's language), first image and CNY prices of each linked
            # offer once it is imported; the bare link before.
            "link_previews": [
                (link, link_preview(link["url"], language=request.LANGUAGE_CODE))
                for link in sourcing.links
            ],
            "quotes": quotes,
            "currency": currency,
            "message_form": forms.MessageForm(),
            "decline_form": forms.ReasonForm(),
            "can_buy": role_can(request.membership.role, Capability.BUY),
            "crumbs": _crumbs(
                (_("Sourcing requests"), reverse("orders:sourcing-list")), (sourcing.title, "")
            ),
        },
    )


def _quotes_in_currency(quotes: list[SourcingQuote], currency: str) -> list[SourcingQuote]:
    """Each quote's lines with their prices in the merchant's currency beside the CNY, at
    today's mid rate (an estimate: accepting the quote locks a rate at checkout)."""
    rate = payments_selectors.fx_mid_rate(from_currency="CNY", to_currency=currency)
    for quote in quotes:
        quote.shown_lines = list(quote.lines.all())
        for line in quote.shown_lines:
            line.unit_local = quantize(line.unit_price_cny * rate, currency) if rate else None
            line.total_local = quantize(line.line_total_cny * rate, currency) if rate else None
    return quotes


def _quote_or_404(request, pk: int) -> SourcingQuote:
    try:
        return selectors.sourcing_quote_of(company=request.company, pk=pk)
    except SourcingQuote.DoesNotExist:
        raise Http404 from None


@company_required(Capability.BUY)
@require_POST
def sourcing_quote_accept(request, pk: int):
    quote = _quote_or_404(request, pk)
    try:
        order = services.sourcing_quote_accept(
            quote=quote, actor=request.user, membership=request.membership
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("orders:sourcing-detail", quote.request_id)
    messages.success(
        request, _("Quote accepted: order %(number)s was created.") % {"number": order.number}
    )
    if order.awaits_payment:
        return redirect("orders:order-pay", order.pk)
    return redirect("orders:order-detail", order.pk)


@company_required(Capability.BUY)
@require_POST
def sourcing_quote_decline(request, pk: int):
    quote = _quote_or_404(request, pk)
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tell us why, so we can find something better."))
        return redirect("orders:sourcing-detail", quote.request_id)
    try:
        services.sourcing_quote_decline(
            quote=quote,
            actor=request.user,
            membership=request.membership,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Quote declined. Your account manager will be in touch."))
    return redirect("orders:sourcing-detail", quote.request_id)


@company_required(Capability.VIEW)
@require_POST
def sourcing_message(request, pk: int):
    sourcing = _sourcing_or_404(request, pk)
    form = forms.MessageForm(request.POST)
    if form.is_valid():
        services.message_post(
            author=request.user, body=form.cleaned_data["body"], sourcing_request=sourcing
        )
        messages.success(request, _("Message sent to your account manager."))
    else:
        messages.error(request, _("Write a message."))
    return redirect(reverse("orders:sourcing-detail", args=[sourcing.pk]) + "#messages")
