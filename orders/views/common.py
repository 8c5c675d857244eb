"""What the merchant's order pages share."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django_htmx.http import trigger_client_event

from orders import selectors
from orders.models import (
    Order,
)

CART_CHANGED_EVENT = "cart-changed"


def _crumbs(*pairs):
    return [(_("Dashboard"), reverse("dashboard")), *pairs]


def top_up_url(order: Order | None = None, shortfall: Decimal | None = None) -> str:
    """The top-up form, prefilled with the shortfall and coming back to pay `order` after."""
    url = reverse("payments:top-up-create")
    if order is None:
        return url
    query = {"next": reverse("orders:order-pay", args=[order.pk])}
    if shortfall is not None and shortfall > 0:
        query["amount"] = format(shortfall, "f")
    return f"{url}?{urlencode(query)}"


def _top_up_link(order: Order | None = None, shortfall: Decimal | None = None) -> str:
    return format_html(
        '<a class="alert-link" href="{}">{}</a>',
        top_up_url(order, shortfall),
        _("Top up your wallet"),
    )


def _with_cart_count(request, response: HttpResponse) -> HttpResponse:
    """Tell the page the cart changed: listeners (the cart badge) refresh from the event."""
    count = selectors.cart_count(user=request.user, company=request.company)
    return trigger_client_event(response, CART_CHANGED_EVENT, {"count": count})


def _order_or_404(request, pk: int) -> Order:
    try:
        return selectors.order_detail(company=request.company, pk=pk)
    except Order.DoesNotExist:
        raise Http404 from None


def _quantity(raw) -> int | None:
    try:
        return int(raw or 0)
    except (TypeError, ValueError):
        return None
