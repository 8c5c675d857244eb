"""What the merchant's order pages share."""

from __future__ import annotations

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
