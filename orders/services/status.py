"""What the order and purchase-order services share: the status tables and their guarded
moves, the locks (the order row first, then its purchase orders in primary-key order), the
derivation of an order's status from its purchase orders, permission checks and the supplier
scorecard sync."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import services as catalog_services
from orders import exceptions, selectors, webhooks
from orders.models import (
    Order,
    OrderEvent,
    PurchaseOrder,
    PurchaseOrderEvent,
    SourcingRequest,
)
from procurement.accounts.models import Membership, User
from procurement.accounts.outbox import outbox_enqueue
from procurement.accounts.roles import Capability, role_can

OS = Order.Status
PS = PurchaseOrder.Status
RS = SourcingRequest.Status


def _actor(user: User | None) -> User | None:
    return user if user is not None and user.is_authenticated else None


ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OS.PENDING_APPROVAL: frozenset({OS.AWAITING_PAYMENT, OS.CANCELLED}),
    OS.AWAITING_PAYMENT: frozenset({OS.PAID, OS.PENDING_APPROVAL, OS.CANCELLED}),
    OS.PAID: frozenset({OS.PARTLY_PURCHASED, OS.PURCHASING, OS.IN_WAREHOUSE, OS.REFUNDED}),
    OS.PARTLY_PURCHASED: frozenset({OS.PAID, OS.PURCHASING, OS.IN_WAREHOUSE, OS.REFUNDED}),
    OS.PURCHASING: frozenset({OS.PAID, OS.PARTLY_PURCHASED, OS.IN_WAREHOUSE, OS.REFUNDED}),
    OS.IN_WAREHOUSE: frozenset({OS.PARTLY_PURCHASED, OS.PURCHASING, OS.COMPLETED}),
    OS.COMPLETED: frozenset(),
    OS.CANCELLED: frozenset(),
    OS.REFUNDED: frozenset(),
}


# Statuses of a paid order while its goods are bought: it follows its purchase orders.
ORDER_PURCHASE_PHASE = frozenset({OS.PAID, OS.PARTLY_PURCHASED, OS.PURCHASING, OS.IN_WAREHOUSE})


def _lock_order(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def _order_event(order: Order, *, from_status: str, to_status: str, actor, reason: str) -> None:
    OrderEvent.objects.create(
        order=order,
        actor=_actor(actor),
        from_status=from_status,
        to_status=to_status,
        reason=reason,
    )


def _order_apply(
    order: Order, *, to_status: str, actor: User | None, reason: str = "", fields=()
) -> Order:
    """Check the table and save `order` (already locked by the caller) with its event."""
    if to_status not in ORDER_TRANSITIONS[order.status]:
        raise exceptions.InvalidTransition(
            _("An order cannot go from “%(from)s” to “%(to)s”.")
            % {"from": order.get_status_display(), "to": OS(to_status).label}
        )
    from_status = order.status
    order.status = to_status
    order.save(update_fields=["status", "updated_at", *fields])
    _order_event(order, from_status=from_status, to_status=to_status, actor=actor, reason=reason)
    return order


@transaction.atomic
def order_transition(
    *, order: Order, to_status: str, actor: User | None, reason: str = ""
) -> Order:
    """The guarded change of an order's status: lock, check the table, save, record."""
    return _order_apply(_lock_order(order), to_status=to_status, actor=actor, reason=reason)


def _derived_status(purchase_orders: Sequence[PurchaseOrder]) -> str | None:
    """The order status its purchase orders imply (None: no purchase order yet)."""
    if not purchase_orders:
        return None
    active = [po for po in purchase_orders if po.status not in PURCHASE_ORDER_CLOSED]
    if not active:
        return OS.REFUNDED
    if all(po.status == PS.STOCKED for po in active):
        return OS.IN_WAREHOUSE
    unbought = [po for po in active if po.status in PURCHASE_ORDER_NOT_BOUGHT]
    if len(unbought) == len(active):
        return OS.PAID
    if unbought:
        return OS.PARTLY_PURCHASED
    return OS.PURCHASING


def _order_follow_purchase_orders(order: Order, *, actor: User | None, reason: str = "") -> Order:
    """Move a paid order (locked) to the status its purchase orders imply."""
    if order.status not in ORDER_PURCHASE_PHASE:
        return order
    target = _derived_status(list(order.purchase_orders.order_by("pk")))
    if target is None or target == order.status:
        return order
    if target == OS.REFUNDED:
        from orders.services.refunds import _refund_rest

        _refund_rest(order, actor=actor)
    return _order_apply(order, to_status=target, actor=actor, reason=reason)


@transaction.atomic
def order_complete(*, order: Order, actor: User, reason: str = "") -> Order:
    if not actor.has_perm("orders.complete_order"):
        raise exceptions.PermissionRefused
    return order_transition(order=order, to_status=OS.COMPLETED, actor=actor, reason=reason)


PURCHASE_ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    PS.PENDING: frozenset({PS.PLACED, PS.PRICE_CHANGED, PS.OUT_OF_STOCK, PS.CANCELLED}),
    PS.OUT_OF_STOCK: frozenset({PS.PENDING, PS.CANCELLED}),
    PS.PRICE_CHANGED: frozenset({PS.PLACED, PS.CANCELLED}),
    PS.PLACED: frozenset({PS.SHIPPED, PS.OUT_OF_STOCK, PS.CANCELLED}),
    PS.SHIPPED: frozenset({PS.RECEIVED}),
    PS.RECEIVED: frozenset({PS.INSPECTED, PS.RETURNED}),
    # Back to placed: the merchant asked for replacements of failed lines.
    PS.INSPECTED: frozenset({PS.STOCKED, PS.RETURNED, PS.PLACED}),
    PS.STOCKED: frozenset(),
    PS.CANCELLED: frozenset(),
    PS.RETURNED: frozenset(),
}


PURCHASE_ORDER_CLOSED = frozenset({PS.CANCELLED, PS.RETURNED})


PURCHASE_ORDER_NOT_BOUGHT = frozenset({PS.PENDING, PS.OUT_OF_STOCK, PS.PRICE_CHANGED})


# Exceptions the merchant is told about by mail.
PURCHASE_ORDER_MERCHANT_EXCEPTIONS = frozenset({PS.OUT_OF_STOCK, PS.PRICE_CHANGED})


def _lock_po(po: PurchaseOrder) -> tuple[Order, PurchaseOrder]:
    """Lock the order, then the purchase order (the fixed order)."""
    order = Order.objects.select_for_update().get(pk=po.order_id)
    po = PurchaseOrder.objects.select_for_update().get(pk=po.pk)
    po.order = order
    return order, po


def _po_event(po: PurchaseOrder, *, from_status: str, to_status: str, actor, reason: str) -> None:
    PurchaseOrderEvent.objects.create(
        purchase_order=po,
        actor=_actor(actor),
        from_status=from_status,
        to_status=to_status,
        reason=reason,
    )


def _po_apply(
    po: PurchaseOrder, *, to_status: str, actor: User | None, reason: str = "", fields=()
) -> PurchaseOrder:
    if to_status not in PURCHASE_ORDER_TRANSITIONS[po.status]:
        raise exceptions.InvalidTransition(
            _("A purchase order cannot go from “%(from)s” to “%(to)s”.")
            % {"from": po.get_status_display(), "to": PS(to_status).label}
        )
    from_status = po.status
    po.status = to_status
    po.status_changed_at = timezone.now()
    po.save(update_fields=["status", "status_changed_at", "updated_at", *fields])
    _po_event(po, from_status=from_status, to_status=to_status, actor=actor, reason=reason)
    if to_status in PURCHASE_ORDER_MERCHANT_EXCEPTIONS:
        outbox_enqueue(task="orders.tasks.purchase_order_exception", args=[po.pk])
        webhooks.purchase_order_exception(po)
    return po


@transaction.atomic
def purchase_order_transition(
    *, po: PurchaseOrder, to_status: str, actor: User | None, reason: str = ""
) -> PurchaseOrder:
    """The guarded change of a purchase order's status; the order follows."""
    order, po = _lock_po(po)
    _po_apply(po, to_status=to_status, actor=actor, reason=reason)
    _order_follow_purchase_orders(order, actor=actor)
    return po


def _require(actor: User, perm: str) -> None:
    if not actor.has_perm(f"orders.{perm}"):
        raise exceptions.PermissionRefused


def _require_merchant(po: PurchaseOrder, membership: Membership | None) -> None:
    if (
        membership is None
        or membership.company_id != po.order.company_id
        or not role_can(membership.role, Capability.BUY)
    ):
        raise exceptions.PermissionRefused


PURCHASE_ORDER_BOUGHT = frozenset({PS.PLACED, PS.SHIPPED, PS.RECEIVED, PS.INSPECTED, PS.STOCKED})


def _supplier_performance_sync(po: PurchaseOrder) -> None:
    """Copy what this purchase order shows about its supplier to the catalog's scorecard.
    Only purchase orders placed with the supplier count."""
    if po.placed_at is None:
        return
    perf = selectors.purchase_order_performance(po)
    catalog_services.supplier_performance_record(
        supplier=po.supplier,
        reference=po.reference,
        placed_at=po.placed_at,
        dispatched_on_time=perf.dispatched_on_time,
        cancelled=perf.cancelled,
        units_inspected=perf.units_inspected,
        units_defective=perf.units_defective,
        response_minutes=None,
    )
