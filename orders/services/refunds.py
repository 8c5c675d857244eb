"""Cancelling orders and giving money back: a cancelled or returned purchase order, the rest of
a charge when nothing is left to buy."""

from __future__ import annotations

import contextlib
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from orders import exceptions
from orders.models import (
    Order,
    PurchaseOrder,
)
from orders.services.status import (
    OS,
    PS,
    _lock_order,
    _po_apply,
)
from payments import exceptions as payments_exceptions
from payments import services as payments_services
from payments.money import quantize
from procurement.accounts.models import User
from procurement.core import states


def _wallet_amount(order: Order, cny: Decimal) -> Decimal:
    """CNY goods back in the wallet currency at the order's own client rate."""
    quote = order.charge.quote
    return quantize(cny / quote.client_rate, quote.from_currency)


def _refund_purchase_order(po: PurchaseOrder, *, actor: User | None) -> None:
    """Give back what the merchant paid for this purchase order: its goods and freight at the
    checkout's rate (less a price difference already refunded), and a price difference it paid.
    The last purchase order to close refunds the remainder of the charge, fee included."""
    order = po.order
    if order.charge_id is None:
        return
    if po.price_difference_id is not None and po.price_difference.quote_id is not None:
        payments_services.wallet_refund(
            charge=po.price_difference,
            idempotency_key=f"{po.reference}:refund-difference",
            actor=actor,
            memo=_("Refund of the price difference on %(po)s") % {"po": po},
        )
    others_open = (
        order.purchase_orders.exclude(pk=po.pk).exclude(status__in=PurchaseOrder.CLOSED).exists()
    )
    if not others_open:
        return  # the rest of the charge is refunded whole (_refund_when_all_closed)
    cny = po.expected_total_cny - sum(
        (line.line_total_cny for line in po.lines.filter(refund__isnull=False)), Decimal(0)
    )
    if po.price_difference_id is not None and po.price_difference.quote_id is None:
        cny -= _favourable_difference_cny(po)
    if cny <= 0:
        return
    po.refund = payments_services.wallet_refund(
        charge=order.charge,
        idempotency_key=f"{po.reference}:refund",
        amount=_wallet_amount(order, cny),
        actor=actor,
        memo=_("Refund of %(po)s") % {"po": po},
    )
    po.save(update_fields=["refund"])


def _favourable_difference_cny(po: PurchaseOrder) -> Decimal:
    expected = po.expected_total_cny
    actual = po.actual_total_cny if po.actual_total_cny is not None else expected
    return max(expected - actual, Decimal(0))


def _refund_rest(order: Order, *, actor: User | None) -> None:
    """Refund what is left of the checkout charge (the service fee included)."""
    if order.charge_id is None:
        return
    # RefundExceedsCharge: everything was given back already.
    with contextlib.suppress(payments_exceptions.RefundExceedsCharge):
        payments_services.wallet_refund(
            charge=order.charge,
            idempotency_key=f"{order.reference}:refund",
            actor=actor,
            memo=_("Refund of order %(number)s") % {"number": order.number},
        )


def _refund_when_all_closed(order: Order, *, actor: User | None) -> None:
    """A paid order (locked) whose purchase orders are all closed now gets the rest of its
    charge back, fee included. Called by the operations that close purchase orders (cancel,
    return, the merchant returning every line) just before the order follows them to refunded."""
    if order.status not in Order.PURCHASE_PHASE:
        return
    if order.purchase_orders.exclude(status__in=PurchaseOrder.CLOSED).exists():
        return
    if not order.purchase_orders.exists():
        return
    _refund_rest(order, actor=actor)


@transaction.atomic
def order_cancel(*, order: Order, actor: User, reason: str = "") -> Order:
    """Cancel an order. Before payment it is simply cancelled; after payment and before any
    purchase order was placed everything is refunded to the wallet (status refunded). Once goods
    were bought, purchase orders are cancelled one by one (purchase_order_cancel)."""
    order = _lock_order(order)
    if order.can_become(OS.CANCELLED):  # not paid yet
        states.apply(order, to=OS.CANCELLED, actor=actor, reason=reason)
        return order
    if not order.is_cancellable:
        raise exceptions.InvalidTransition(
            _(
                "Goods of this order were already bought. Ask your account manager which "
                "purchase orders can still be cancelled."
            )
        )
    pos = list(PurchaseOrder.objects.select_for_update().filter(order=order).order_by("pk"))
    for po in pos:
        if po.status in PurchaseOrder.CLOSED:
            continue
        _po_apply(po, to=PS.CANCELLED, actor=actor, reason=reason or _("Order cancelled"))
    _refund_rest(order, actor=actor)
    states.apply(order, to=OS.REFUNDED, actor=actor, reason=reason)
    return order
