"""Merchant pages: cart, quick order, checkout, paying, orders, approvals, sourcing requests.

Every view is gated by `company_required` and reads through `orders.selectors`, scoped to the
current company, so another company's objects answer 404. HTMX requests get the named partial
of the same template; every hx-* has a real href/action beside it.
"""

from __future__ import annotations

import uuid
from itertools import chain

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from catalog import selectors as catalog_selectors
from catalog.models import Product
from logistics import selectors as logistics_selectors
from orders import exceptions, forms, selectors, services
from orders.models import (
    CartLine,
    Order,
    PurchaseOrder,
    PurchaseOrderLine,
    SourcingQuote,
    SourcingRequest,
)
from payments import exceptions as payments_exceptions
from payments import selectors as payments_selectors
from procurement.accounts.decorators import company_required
from procurement.accounts.roles import Capability, role_can
from procurement.core.exceptions import DomainError

CART_CHANGED_EVENT = "cart-changed"


def _crumbs(*pairs):
    return [(_("Dashboard"), reverse("dashboard")), *pairs]


def _top_up_link(order: Order | None = None) -> str:
    return format_html(
        '<a class="alert-link" href="{}">{}</a>',
        reverse("payments:wallet"),
        _("Top up your wallet"),
    )


def _with_cart_count(request, response: HttpResponse) -> HttpResponse:
    """Tell the page the cart changed: listeners (the cart badge) refresh from the event."""
    count = selectors.cart_count(user=request.user, company=request.company)
    return trigger_client_event(response, CART_CHANGED_EVENT, {"count": count})


# --- Cart ----------------------------------------------------------------------------------------


def _quantity(raw) -> int | None:
    try:
        return int(raw or 0)
    except (TypeError, ValueError):
        return None


@company_required(Capability.BUY)
@require_POST
def cart_add(request):
    """Add the quantities chosen on a product page (fields `qty-<sku id>`, or `qty`)."""
    try:
        product = catalog_selectors.product_detail(pk=int(request.POST.get("product", "")))
    except (ValueError, Product.DoesNotExist):
        raise Http404 from None
    skus = list(product.skus.all())
    if skus:
        quantities = {sku: _quantity(request.POST.get(f"qty-{sku.pk}")) for sku in skus}
    else:
        quantities = {None: _quantity(request.POST.get("qty"))}
    if any(qty is None for qty in quantities.values()):
        change = services.CartChange(errors=[_("Enter whole numbers.")])
    else:
        change = services.cart_add(
            user=request.user, company=request.company, product=product, quantities=quantities
        )
    if request.htmx:
        response = render(
            request,
            "orders/partials/cart_add_result.html",
            {
                "change": change,
                "cart_count": selectors.cart_count(user=request.user, company=request.company),
            },
        )
        return _with_cart_count(request, response) if change.ok else response
    if change.ok:
        messages.success(request, _("Added to your cart."))
        return redirect("orders:cart")
    for error in change.errors:
        messages.error(request, error)
    return redirect("catalog:product", product.pk)


def _cart_context(request) -> dict:
    cart = selectors.cart_for(user=request.user, company=request.company)
    priced = selectors.priced_cart(cart=cart)
    cost = selectors.landed_cost(
        company=request.company,
        goods_cny=priced.goods_cny,
        supplier_count=len(priced.suppliers),
    )
    return {
        "priced": priced,
        "cost": cost,
        "currency": request.company.wallet_currency,
        "cart_count": len(priced.lines),
        "crumbs": _crumbs((_("Cart"), "")),
    }


def _render_cart(request, *, status: int = 200, changed: bool = False) -> HttpResponse:
    template = "orders/cart.html"
    if request.htmx:
        template += "#cart"
    response = render(request, template, _cart_context(request), status=status)
    return _with_cart_count(request, response) if changed else response


@company_required(Capability.BUY)
def cart(request):
    return _render_cart(request)


@company_required(Capability.BUY)
@require_POST
def cart_line_update(request, pk: int):
    form = forms.CartLineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a whole number of 0 or more."))
        return _render_cart(request) if request.htmx else redirect("orders:cart")
    try:
        services.cart_line_update(
            user=request.user,
            company=request.company,
            line_id=pk,
            quantity=form.cleaned_data["quantity"],
        )
    except CartLine.DoesNotExist:
        raise Http404 from None
    return _render_cart(request, changed=True) if request.htmx else redirect("orders:cart")


@company_required(Capability.BUY)
@require_POST
def cart_line_remove(request, pk: int):
    try:
        services.cart_line_remove(user=request.user, company=request.company, line_id=pk)
    except CartLine.DoesNotExist:
        raise Http404 from None
    return _render_cart(request, changed=True) if request.htmx else redirect("orders:cart")


def cart_count(request):
    """The cart badge alone, for the navbar: it loads itself and refreshes on `cart-changed`.

    Included on every page, so it never redirects: a visitor who is not signed in, or has no
    company, gets 204 (htmx leaves the plain link as it is).
    """
    if not request.user.is_authenticated or not getattr(request, "membership", None):
        return HttpResponse(status=204)
    count = selectors.cart_count(user=request.user, company=request.company)
    return render(
        request,
        "orders/partials/cart_badge.html",
        {"cart_count": count, "cart_badge_loaded": True},
    )


@company_required(Capability.BUY)
@require_http_methods(["GET", "POST"])
def quick_order(request):
    form = forms.QuickOrderForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = services.cart_quick_order(
            user=request.user, company=request.company, text=form.cleaned_data["text"]
        )
        if result.added:
            messages.success(
                request,
                _("%(n)s row(s) added to your cart.") % {"n": result.added},
            )
        if not result.rows:
            return redirect("orders:cart")
    response = render(
        request,
        "orders/quick_order.html",
        {
            "form": form,
            "result": result,
            "crumbs": _crumbs((_("Cart"), reverse("orders:cart")), (_("Quick order"), "")),
        },
        status=400 if request.method == "POST" and not form.is_valid() else 200,
    )
    return _with_cart_count(request, response) if result and result.added else response


# --- Checkout ------------------------------------------------------------------------------------


def _checkout_context(request, data) -> dict:
    company = request.company
    shipping = forms.ShippingChoiceForm(
        data,
        destinations=logistics_selectors.destinations_for_company(company=company),
        channels=logistics_selectors.channels_for_company(company=company),
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
def checkout(request):
    if request.method == "GET":
        context = _checkout_context(request, request.GET or None)
        template = "orders/checkout.html"
        if request.htmx and request.htmx.target == "landed-cost":
            template += "#landed-cost"
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


def _order_or_404(request, pk: int) -> Order:
    try:
        return selectors.order_detail(company=request.company, pk=pk)
    except Order.DoesNotExist:
        raise Http404 from None


@company_required(Capability.BUY)
@require_http_methods(["GET", "POST"])
def order_pay(request, pk: int):
    order = _order_or_404(request, pk)
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
    return render(
        request,
        "orders/order_pay.html",
        {
            "order": order,
            "quote": quote,
            "fee": fee,
            "balance": balance,
            "shortfall": (quote.total_charge - balance) if quote else None,
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


# --- Orders --------------------------------------------------------------------------------------


@company_required(Capability.VIEW)
def order_list(request):
    form = forms.OrderFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.order_list(
        company=request.company,
        status=filters.get("status", ""),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        search=filters.get("q", ""),
    )
    page = Paginator(qs, selectors.ORDERS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "orders/order_list.html"
    if request.htmx and request.htmx.target == "order-results":
        template += "#order-results"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "crumbs": _crumbs((_("Orders"), "")),
        },
    )


def _timeline(order: Order) -> list:
    po_events = selectors.order_purchase_order_events(order=order)
    return sorted(
        chain(order.events.all(), po_events), key=lambda event: (event.created_at, event.pk)
    )


@company_required(Capability.VIEW)
def order_detail(request, pk: int):
    order = _order_or_404(request, pk)
    role = request.membership.role
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "timeline": _timeline(order),
            "message_form": forms.MessageForm(),
            "can_buy": role_can(role, Capability.BUY),
            "can_approve": role_can(role, Capability.APPROVE),
            "cancellable": order.is_cancellable,
            "crumbs": _crumbs((_("Orders"), reverse("orders:order-list")), (order.number, "")),
        },
    )


@company_required(Capability.VIEW)
def order_confirmation(request, pk: int):
    order = _order_or_404(request, pk)
    if order.status in (Order.Status.PENDING_APPROVAL, Order.Status.AWAITING_PAYMENT):
        raise Http404
    return render(
        request,
        "orders/order_confirmation.html",
        {
            "order": order,
            "company": request.company,
            "crumbs": _crumbs(
                (_("Orders"), reverse("orders:order-list")),
                (order.number, reverse("orders:order-detail", args=[order.pk])),
                (_("Confirmation"), ""),
            ),
        },
    )


@company_required(Capability.VIEW)
@require_POST
def order_message(request, pk: int):
    order = _order_or_404(request, pk)
    form = forms.MessageForm(request.POST)
    if form.is_valid():
        services.message_post(author=request.user, body=form.cleaned_data["body"], order=order)
        messages.success(request, _("Message sent to your account manager."))
    else:
        messages.error(request, _("Write a message."))
    return redirect(reverse("orders:order-detail", args=[order.pk]) + "#messages")


def _po_or_404(request, pk: int) -> PurchaseOrder:
    try:
        return selectors.purchase_order_of(company=request.company, pk=pk)
    except PurchaseOrder.DoesNotExist:
        raise Http404 from None


@company_required(Capability.BUY)
@require_POST
def purchase_order_accept_price(request, pk: int):
    po = _po_or_404(request, pk)
    try:
        services.purchase_order_price_accept(
            po=po, actor=request.user, membership=request.membership
        )
    except payments_exceptions.InsufficientBalance as error:
        messages.error(request, format_html("{} {}", error.message, _top_up_link()))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("New price accepted."))
    return redirect("orders:order-detail", po.order_id)


@company_required(Capability.BUY)
@require_POST
def purchase_order_cancel(request, pk: int):
    po = _po_or_404(request, pk)
    form = forms.OptionalReasonForm(request.POST)
    form.is_valid()
    try:
        services.purchase_order_cancel(
            po=po,
            actor=request.user,
            reason=form.cleaned_data.get("reason", ""),
            membership=request.membership,
            as_merchant=True,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Purchase order cancelled; the refund is in your wallet."))
    return redirect("orders:order-detail", po.order_id)


LINE_DECISIONS = {
    "accept": (
        services.purchase_order_line_accept,
        gettext_lazy("Accepted as is: the goods are in your stock."),
    ),
    "replace": (
        services.purchase_order_line_replace,
        gettext_lazy("We will ask the supplier for a replacement."),
    ),
    "return": (
        services.purchase_order_line_return,
        gettext_lazy(
            "The line goes back to the supplier; it is refunded once every line is decided."
        ),
    ),
}


@company_required(Capability.BUY)
@require_POST
def purchase_order_line_decide(request, pk: int, decision: str):
    """The merchant's decision on a line that failed inspection."""
    if decision not in LINE_DECISIONS:
        raise Http404
    try:
        line = selectors.purchase_order_line_of(company=request.company, pk=pk)
    except PurchaseOrderLine.DoesNotExist:
        raise Http404 from None
    service, done = LINE_DECISIONS[decision]
    try:
        service(line=line, actor=request.user, membership=request.membership)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("orders:order-detail", line.purchase_order.order_id)


# --- Approvals -----------------------------------------------------------------------------------


@company_required(Capability.APPROVE)
def approval_list(request):
    return render(
        request,
        "orders/approval_list.html",
        {
            "orders": selectors.approvals_pending(company=request.company),
            "form": forms.DecisionForm(),
            "crumbs": _crumbs((_("Approvals"), "")),
        },
    )


@company_required(Capability.APPROVE)
@require_POST
def order_decide(request, pk: int, decision: str):
    order = _order_or_404(request, pk)
    form = forms.DecisionForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    service = services.order_approve if decision == "approve" else services.order_reject
    try:
        service(order=order, actor=request.user, membership=request.membership, comment=comment)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            (
                _("Order %(number)s approved.")
                if decision == "approve"
                else _("Order %(number)s rejected.")
            )
            % {"number": order.number},
        )
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("orders:approval-list")


# --- Sourcing ------------------------------------------------------------------------------------


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
    return render(
        request,
        "orders/sourcing_detail.html",
        {
            "sourcing": sourcing,
            "quotes": list(sourcing.quotes.all()),
            "message_form": forms.MessageForm(),
            "decline_form": forms.ReasonForm(),
            "can_buy": role_can(request.membership.role, Capability.BUY),
            "crumbs": _crumbs(
                (_("Sourcing requests"), reverse("orders:sourcing-list")), (sourcing.title, "")
            ),
        },
    )


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
