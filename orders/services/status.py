"""What the order and purchase-order services share: the locks (the order row first, then its
purchase orders in primary-key order), the purchase-order move with its merchant notice, the
first and the note rows of the timelines, the derivation of an order's status from its purchase
orders, permission checks and the supplier scorecard sync.

The tables of allowed moves are on the models (`Order.TRANSITIONS`, `PurchaseOrder.TRANSITIONS`)
and every move goes through `procurement.core.states`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from catalog import services as catalog_services
from orders import exceptions, selectors, webhooks
from orders.models import (
    Order,
    OrderEvent,
    PurchaseOrder,
    PurchaseOrderEvent,
)
from procurement.accounts.models import Membership, User
from procurement.accounts.roles import Capability, role_can
from procurement.core import states
from procurement.core.outbox import outbox_enqueue

OS = Order.Status
PS = PurchaseOrder.Status


def _actor(user: User | None) -> User | None:
    """Only a signed-in person is recorded on a timeline; tasks and API keys record None."""
    return user if user is not None and user.is_authenticated else None


# --- Orders --------------------------------------------------------------------------------------


def _lock_order(order: Order) -> Order:
    return states.lock(order)


def _order_created(order: Order, *, actor: User | None, reason: str = "") -> None:
    """The first row of a new order's timeline: from nothing to the status it was created in."""
    OrderEvent.objects.create(
        order=order, actor=_actor(actor), from_status="", to_status=order.status, reason=reason
    )


def _derived_status(purchase_orders: Sequence[PurchaseOrder]) -> str | None:
    """The order status its purchase orders imply (None: no purchase order yet)."""
    if not purchase_orders:
        return None
    active = [po for po in purchase_orders if po.status not in PurchaseOrder.CLOSED]
    if not active:
        return OS.REFUNDED
    if all(po.status == PS.STOCKED for po in active):
        return OS.IN_WAREHOUSE
    unbought = [po for po in active if po.status in PurchaseOrder.NOT_BOUGHT]
    if len(unbought) == len(active):
        return OS.PAID
    if unbought:
        return OS.PARTLY_PURCHASED
    return OS.PURCHASING


def _order_follow_purchase_orders(order: Order, *, actor: User | None, reason: str = "") -> Order:
    """Move a paid order (locked) to the status its purchase orders imply. Only the status
    moves: an operation that closes the last purchase order refunds the rest of the charge
    itself (`refunds._refund_when_all_closed`) before the order follows."""
    if order.status not in Order.PURCHASE_PHASE:
        return order
    target = _derived_status(list(order.purchase_orders.order_by("pk")))
    if target is None or target == order.status:
        return order
    states.apply(order, to=target, actor=actor, reason=reason)
    return order


@transaction.atomic
def order_complete(*, order: Order, actor: User, reason: str = "") -> Order:
    if not actor.has_perm("orders.complete_order"):
        raise exceptions.PermissionRefused
    return states.transition(order, to=OS.COMPLETED, actor=actor, reason=reason)


# --- Purchase orders -----------------------------------------------------------------------------


def _lock_po(po: PurchaseOrder) -> tuple[Order, PurchaseOrder]:
    """Lock the order, then the purchase order (the fixed order)."""
    order = Order.objects.select_for_update().get(pk=po.order_id)
    po = PurchaseOrder.objects.select_for_update().get(pk=po.pk)
    po.order = order
    return order, po


def _po_apply(
    po: PurchaseOrder,
    *,
    to: str,
    actor: User | None,
    reason: str = "",
    changes: Mapping[str, Any] | None = None,
) -> PurchaseOrder:
    """Move a purchase order (locked) with `states.apply`; a move to a status that waits for the
    merchant also tells the merchant (mail and webhook, on commit)."""
    states.apply(po, to=to, actor=actor, reason=reason, changes=changes)
    if to in PurchaseOrder.MERCHANT_EXCEPTIONS:
        outbox_enqueue(task="orders.tasks.purchase_order_exception", args=[po.pk])
        webhooks.purchase_order_exception(po)
    return po


def _po_created(po: PurchaseOrder, *, actor: User | None, reason: str) -> None:
    """The first row of a new purchase order's timeline."""
    PurchaseOrderEvent.objects.create(
        purchase_order=po, actor=_actor(actor), from_status="", to_status=po.status, reason=reason
    )


def _pos_created(pos: Sequence[PurchaseOrder], *, actor: User | None, reason: str) -> None:
    """The first row of each new purchase order's timeline, written in one statement: an order
    splitting into ten purchase orders writes ten rows, not ten round trips."""
    PurchaseOrderEvent.objects.bulk_create(
        PurchaseOrderEvent(
            purchase_order=po,
            actor=_actor(actor),
            from_status="",
            to_status=po.status,
            reason=reason,
        )
        for po in pos
    )


def _po_note(po: PurchaseOrder, *, actor: User | None, reason: str) -> None:
    """A line on the purchase order's timeline that is not a move (routing, one line inspected,
    a payable Finance must settle): from and to are its current status."""
    PurchaseOrderEvent.objects.create(
        purchase_order=po,
        actor=_actor(actor),
        from_status=po.status,
        to_status=po.status,
        reason=reason,
    )


# --- Who may act ---------------------------------------------------------------------------------


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


# --- Supplier scorecard (catalog.SupplierPerformance) --------------------------------------------


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
