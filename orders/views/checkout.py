"""Checkout with the landed cost, paying at the locked quote, cancelling before purchase."""

from __future__ import annotations

import re
import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from logistics import selectors as logistics_selectors
from orders import exceptions, forms, selectors, services
from orders.models import (
    Order,
)
from orders.views.common import (
    _crumbs,
    _order_or_404,
    _top_up_link,
    _with_cart_count,
    top_up_url,
)
from payments import exceptions as payments_exceptions
from payments import selectors as payments_selectors
from payments import services as payments_services
from procurement.accounts.decorators import company_required
from procurement.accounts.roles import Capability
from procurement.core.exceptions import DomainError


def _channels_serving(channels, destinations, data):
    """The channels offered, narrowed to those with a rate zone for the chosen destination's
    country: the dropdown lists only channels that can carry the goods there."""
    raw = (data or {}).get("destination")
    if not raw or not str(raw).isdigit():
        return channels
    destination = destinations.filter(pk=int(raw)).first()
    if destination is None:
        return channels
    code = re.escape(destination.country.code)
    return channels.filter(zones__countries__regex=rf"(^|,){code}(,|$)").distinct()


def _checkout_context(request, data) -> dict:
    company = request.company
    destinations = logistics_selectors.destinations_for_company(company=company)
    shipping = forms.ShippingChoiceForm(
        data,
        destinations=destinations,
        channels=_channels_serving(
            logistics_selectors.channels_for_company(company=company), destinations, data
        ),
    )
    destination = channel = None
    if shipping.is_valid():
        destination = shipping.cleaned_data["destination"]
        channel = shipping.cleaned_data["channel"]
    cart_obj = selectors.cart_for(user=request.user, company=company)
    priced = selectors.priced_cart(cart=cart_obj)
    freight = selectors.freight_estimate(
        items=[(group.product, group.total_quantity) for group in priced.groups],
        destination=destination,
        channel=channel,
        currency=company.wallet_currency,
    )
    cost = selectors.landed_cost(
        company=company,
        goods_cny=priced.goods_cny,
        supplier_count=len(priced.suppliers),
        freight=freight,
    )
    return {
        "priced": priced,
        "cost": cost,
        # Said before placing, by the rule placing applies.
        "needs_approval": services.order_needs_approval(request.membership, cost.total_local),
        "spending_limit": request.membership.spending_limit,
        "lock_minutes": int(payments_services.fx_quote_ttl().total_seconds() // 60),
        "currency": company.wallet_currency,
        "shipping_form": shipping,
        "destination": destination,
        "channel": channel,
        "signature": priced.signature(destination and destination.pk, channel and channel.pk),
        "checkout_key": (data or {}).get("checkout_key") or uuid.uuid4().hex,
        "crumbs": _crumbs((_("Cart"), reverse("orders:cart")), (_("Checkout"), "")),
    }


@company_required(Capability.BUY)
@require_http_methods(["GET", "POST"])
# The landed cost shown and the order placed from it price the same amounts: one read of the
# rates and the fee schedule serves both.
@payments_selectors.payments_read_once()
def checkout(request):
    if request.method == "GET":
        context = _checkout_context(request, request.GET or None)
        template = "orders/checkout.html"
        if request.htmx and request.htmx.target == "landed-cost":
            # The channel list follows the destination: it is swapped in beside the cost.
            cost = render_to_string(f"{template}#landed-cost", context, request)
            channels = render_to_string(
                f"{template}#channel-field", {**context, "swap_oob": True}, request
            )
            return HttpResponse(cost + channels)
        return render(request, template, context)

    context = _checkout_context(request, request.POST)
    if not context["shipping_form"].is_valid():
        # An id that is not the company's (a stale or tampered form) is refused where it was
        # chosen; placing the order without it would ship to nowhere the buyer expects.
        return render(request, "orders/checkout.html", context, status=400)
    if context["priced"].changed_lines and not request.POST.get("accept_new_prices"):
        messages.error(request, _("Prices changed since you added these goods: confirm them."))
        return render(request, "orders/checkout.html", context, status=409)
    try:
        order = services.order_place_from_cart(
            user=request.user,
            company=request.company,
            membership=request.membership,
            checkout_key=request.POST.get("checkout_key", "")[:64] or uuid.uuid4().hex,
            signature=request.POST.get("signature", ""),
            destination=context["destination"],
            channel=context["channel"],
            # Priced once for the landed cost above; placing checks the lines under its lock.
            priced=context["priced"],
        )
    except exceptions.CartEmpty:
        messages.info(request, _("Your cart is empty; your orders are listed here."))
        return redirect("orders:order-list")
    except DomainError as error:
        messages.error(request, error.message)
        data = request.POST.copy()
        data["checkout_key"] = ""  # a new form: the refused one must not be replayed
        context = _checkout_context(request, data)
        return render(request, "orders/checkout.html", context, status=409)
    if order.status == Order.Status.PENDING_APPROVAL:
        messages.info(
            request,
            _(
                "Order %(number)s is above your spending limit and waits for an approver. "
                "You can pay it once it is approved."
            )
            % {"number": order.number},
        )
        return redirect("orders:order-detail", order.pk)
    return _with_cart_count(request, redirect("orders:order-pay", order.pk))


# --- Paying --------------------------------------------------------------------------------------


@company_required(Capability.BUY)
@require_http_methods(["GET", "POST"])
def order_pay(request, pk: int):
    # The order row with what the pay page shows: paying and the pay page show neither its lines,
    # purchase orders, timeline nor messages, so the order page's read is not made here.
    order = (
        selectors.orders_of(company=request.company)
        .select_related("company", "quote", "destination", "shipping_channel")
        .filter(pk=pk)
        .first()
    )
    if order is None:
        raise Http404
    if request.method == "POST":
        try:
            quote_id = int(request.POST.get("quote", ""))
        except ValueError:
            quote_id = None
        try:
            order = services.order_pay(
                order=order, actor=request.user, membership=request.membership, quote_id=quote_id
            )
        except payments_exceptions.InsufficientBalance as error:
            messages.error(request, format_html("{} {}", error.message, _top_up_link(order)))
        except DomainError as error:
            messages.error(request, error.message)
        else:
            if order.status == Order.Status.PENDING_APPROVAL:
                messages.info(request, _("This order now waits for an approver."))
            else:
                messages.success(request, _("Order %(number)s is paid.") % {"number": order.number})
            return redirect("orders:order-detail", order.pk)
        return redirect("orders:order-pay", order.pk)

    if not order.awaits_payment:
        return redirect("orders:order-detail", order.pk)
    quote = order.quote
    balance = payments_selectors.wallet_balance(company=request.company, currency=order.currency)
    fee = None
    if quote is not None:
        fee = payments_selectors.fee_quote(company=request.company, amount_usd=quote.amount_usd)
    shortfall = (quote.total_charge - balance) if quote else None
    return render(
        request,
        "orders/order_pay.html",
        {
            "order": order,
            "quote": quote,
            "fee": fee,
            "balance": balance,
            "shortfall": shortfall,
            "top_up_url": top_up_url(order, shortfall),
            "crumbs": _crumbs(
                (_("Orders"), reverse("orders:order-list")),
                (order.number, reverse("orders:order-detail", args=[order.pk])),
                (_("Pay"), ""),
            ),
        },
    )


@company_required(Capability.BUY)
@require_POST
def order_quote_refresh(request, pk: int):
    order = _order_or_404(request, pk)
    try:
        services.order_quote_refresh(order=order, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The exchange rate is locked again."))
    return redirect("orders:order-pay", order.pk)


@company_required(Capability.BUY)
@require_POST
def order_cancel(request, pk: int):
    order = _order_or_404(request, pk)
    form = forms.OptionalReasonForm(request.POST)
    form.is_valid()
    try:
        order = services.order_cancel(
            order=order, actor=request.user, reason=form.cleaned_data.get("reason", "")
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if order.status == Order.Status.REFUNDED:
            messages.success(request, _("Order cancelled and refunded to your wallet."))
        else:
            messages.success(request, _("Order cancelled."))
    return redirect("orders:order-detail", order.pk)
