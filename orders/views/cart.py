"""The cart: adding (HTMX), changing and removing lines, quick order by SKU code."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from catalog import selectors as catalog_selectors
from catalog.models import Product, Sku
from orders import forms, selectors, services
from orders.models import (
    CartLine,
)
from orders.views.common import CART_CHANGED_EVENT, _crumbs, _quantity, _with_cart_count
from procurement.accounts.decorators import company_required
from procurement.accounts.roles import Capability


@company_required(Capability.BUY)
@require_POST
def cart_add(request):
    """Add the quantities chosen on a product page (fields `qty-<sku id>`, or `qty`)."""
    try:
        # Only what adding needs: the product, its SKUs and its tiers (the page's images,
        # category path and supplier count are not read again for a fragment).
        product = (
            catalog_selectors.products_visible()
            .prefetch_related(
                Prefetch("skus", queryset=Sku.objects.order_by("position", "pk")), "tiers"
            )
            .get(pk=int(request.POST.get("product", "")))
        )
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
        count = selectors.cart_count(user=request.user, company=request.company)
        response = render(
            request,
            "orders/partials/cart_add_result.html",
            {"change": change, "cart_count": count},
        )
        if not change.ok:
            return response
        # The count just read, not a second read of it.
        return trigger_client_event(response, CART_CHANGED_EVENT, {"count": count})
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
