"""Routing and buying purchase orders: change supplier, split, place on 1688 with the actual
price (a difference charged, refunded or put to the merchant), out of stock, cancel, ship."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Supplier
from orders import exceptions
from orders.models import (
    Order,
    PurchaseOrder,
    PurchaseOrderLine,
)
from orders.services.payables import _payable_cancel, _payable_record
from orders.services.refunds import _refund_purchase_order, _refund_when_all_closed
from orders.services.status import (
    PS,
    _lock_po,
    _order_follow_purchase_orders,
    _po_apply,
    _po_created,
    _po_note,
    _require,
    _require_merchant,
    _supplier_performance_sync,
)
from payments import services as payments_services
from payments.models import LedgerTransaction
from payments.money import quantize
from procurement.accounts.currencies import SETTLEMENT_CURRENCY
from procurement.accounts.models import Membership, User
from procurement.core.phrases import phrase


@transaction.atomic
def purchase_order_change_supplier(
    *, po: PurchaseOrder, supplier: Supplier, actor: User, reason: str = ""
) -> PurchaseOrder:
    """Route a purchase order not yet placed to another supplier (out of stock goes back to
    pending). The merchant's prices do not change."""
    _require(actor, "route_purchaseorder")
    order, po = _lock_po(po)
    if not po.is_routable:
        raise exceptions.InvalidTransition(_("Only a purchase order not yet placed is rerouted."))
    if supplier.status != Supplier.Status.APPROVED:
        raise exceptions.OrdersError(_("Choose an approved supplier."))
    note = phrase("Supplier changed from %(old)s to %(new)s.", old=po.supplier, new=supplier)
    note = f"{note} {reason}".strip()
    if po.status == PS.OUT_OF_STOCK:
        _po_apply(po, to=PS.PENDING, actor=actor, reason=note, changes={"supplier": supplier})
    else:
        po.supplier = supplier
        po.save(update_fields=["supplier", "updated_at"])
        _po_note(po, actor=actor, reason=note)
    _order_follow_purchase_orders(order, actor=actor)
    return po


@transaction.atomic
def purchase_order_split(
    *,
    po: PurchaseOrder,
    line_ids: Sequence[int],
    supplier: Supplier,
    actor: User,
    reason: str = "",
) -> PurchaseOrder:
    """Move some lines of a purchase order not yet placed to a new purchase order with another
    supplier. The merchant paid domestic freight once per original supplier; the new purchase
    order carries none (the platform bears it). Returns the new purchase order."""
    _require(actor, "route_purchaseorder")
    order, po = _lock_po(po)
    if not po.is_routable:
        raise exceptions.InvalidTransition(_("Only a purchase order not yet placed is split."))
    if supplier.status != Supplier.Status.APPROVED:
        raise exceptions.OrdersError(_("Choose an approved supplier."))
    all_ids = set(po.lines.values_list("pk", flat=True))
    moving = set(line_ids)
    if not moving or not moving <= all_ids:
        raise exceptions.OrdersError(_("Choose lines of this purchase order to move."))
    if moving == all_ids:
        raise exceptions.OrdersError(
            _("To move every line, change the supplier of the purchase order instead.")
        )
    new = PurchaseOrder.objects.create(order=order, supplier=supplier)
    PurchaseOrderLine.objects.filter(pk__in=moving).update(purchase_order=new)
    note = phrase(
        "%(n)s line(s) moved from %(old)s to %(new)s with %(supplier)s.",
        n=len(moving),
        old=po,
        new=new,
        supplier=supplier,
    ) + (f" {reason}" if reason else "")
    _po_note(po, actor=actor, reason=note)
    _po_created(new, actor=actor, reason=note)
    _order_follow_purchase_orders(order, actor=actor)
    return new


class DifferenceHandling:
    CHARGE = "charge"  # charge or refund the difference through the ledger now
    ASK = "ask"  # a higher price is put to the merchant to accept or cancel


def _price_difference(order: Order, po: PurchaseOrder, cny: Decimal, actor) -> LedgerTransaction:
    return payments_services.price_difference_adjust(
        charge=order.charge,
        difference=cny,
        idempotency_key=f"{po.reference}:difference",
        actor=actor,
        memo=_("Price difference on %(po)s (%(number)s)") % {"po": po, "number": order.number},
    )


@transaction.atomic
def purchase_order_place(
    *,
    po: PurchaseOrder,
    actor: User,
    supplier_order_no: str,
    actual_total_cny: Decimal,
    handling: str = DifferenceHandling.CHARGE,
) -> PurchaseOrder:
    """Record the 1688 order number and the actual price (goods and domestic freight).

    A lower price is refunded to the wallet at the checkout's rate. A higher price is charged
    to the wallet at today's rate (handling "charge"; refused with nothing written when the
    wallet is short) or put to the merchant to accept or cancel (handling "ask").
    """
    _require(actor, "place_purchaseorder")
    order, po = _lock_po(po)
    actual = quantize(Decimal(actual_total_cny), SETTLEMENT_CURRENCY)
    if actual <= 0:
        raise exceptions.OrdersError(_("Enter the price actually paid."))
    supplier_order_no = supplier_order_no.strip()
    difference = actual - po.expected_total_cny
    if difference > 0 and handling == DifferenceHandling.ASK:
        return _po_apply(
            po,
            to=PS.PRICE_CHANGED,
            actor=actor,
            reason=phrase(
                "The supplier asks ¥%(actual)s instead of ¥%(expected)s.",
                actual=actual,
                expected=po.expected_total_cny,
            ),
            changes={"supplier_order_no": supplier_order_no, "proposed_total_cny": actual},
        )
    if not supplier_order_no:
        raise exceptions.OrdersError(_("Enter the supplier's order number."))
    changes = {
        "supplier_order_no": supplier_order_no,
        "actual_total_cny": actual,
        "placed_at": timezone.now(),
    }
    if difference:
        changes["price_difference"] = _price_difference(order, po, difference, actor)
    reason = phrase("1688 order %(no)s, ¥%(actual)s", no=supplier_order_no, actual=actual)
    if difference:
        reason += " " + _("(difference ¥%(d)s settled with the wallet)") % {"d": difference}
    _po_apply(po, to=PS.PLACED, actor=actor, reason=reason, changes=changes)
    _payable_record(po, actor=actor)
    _supplier_performance_sync(po)
    _order_follow_purchase_orders(order, actor=actor)
    return po


@transaction.atomic
def purchase_order_price_accept(
    *, po: PurchaseOrder, actor: User, membership: Membership | None
) -> PurchaseOrder:
    """The merchant accepts the supplier's higher price: the difference is charged now."""
    order, po = _lock_po(po)
    _require_merchant(po, membership)
    if not po.awaits_price_decision:
        raise exceptions.InvalidTransition
    difference = po.proposed_total_cny - po.expected_total_cny
    _po_apply(
        po,
        to=PS.PLACED,
        actor=actor,
        reason=phrase("New price accepted; ¥%(d)s charged.", d=difference),
        changes={
            "actual_total_cny": po.proposed_total_cny,
            "placed_at": timezone.now(),
            "price_difference": _price_difference(order, po, difference, actor),
        },
    )
    _payable_record(po, actor=actor)
    _supplier_performance_sync(po)
    _order_follow_purchase_orders(order, actor=actor)
    return po


@transaction.atomic
def purchase_order_cancel(
    *,
    po: PurchaseOrder,
    actor: User,
    reason: str = "",
    membership: Membership | None = None,
    as_merchant: bool = False,
) -> PurchaseOrder:
    """Cancel a purchase order and refund what was paid for it. Staff (cancel permission) may
    cancel it until the supplier ships; the merchant may cancel it when it waits for them
    (price changed) or its goods are out of stock."""
    order, po = _lock_po(po)
    if as_merchant:
        _require_merchant(po, membership)
        if not po.merchant_may_cancel:
            raise exceptions.InvalidTransition(
                _("Ask your account manager to cancel this purchase order.")
            )
    else:
        _require(actor, "cancel_purchaseorder")
    return _cancel(order, po, actor=actor, reason=reason)


def _cancel(order: Order, po: PurchaseOrder, *, actor: User | None, reason: str) -> PurchaseOrder:
    """Cancel a locked purchase order and refund it; the caller checked who may."""
    _po_apply(po, to=PS.CANCELLED, actor=actor, reason=reason)
    _refund_purchase_order(po, actor=actor)
    _payable_cancel(po, actor=actor, reason=reason or _("Purchase order cancelled"))
    _supplier_performance_sync(po)
    _refund_when_all_closed(order, actor=actor)
    _order_follow_purchase_orders(order, actor=actor)
    return po


@transaction.atomic
def purchase_order_out_of_stock(
    *, po: PurchaseOrder, actor: User, reason: str = ""
) -> PurchaseOrder:
    _require(actor, "place_purchaseorder")
    order, po = _lock_po(po)
    _po_apply(po, to=PS.OUT_OF_STOCK, actor=actor, reason=reason)
    _order_follow_purchase_orders(order, actor=actor)
    return po


@transaction.atomic
def purchase_order_ship(*, po: PurchaseOrder, actor: User, tracking_number: str) -> PurchaseOrder:
    """Record the supplier's shipment to our warehouse with its domestic tracking number."""
    _require(actor, "ship_purchaseorder")
    order, po = _lock_po(po)
    return _ship(order, po, actor=actor, tracking_number=tracking_number)


def _ship(
    order: Order, po: PurchaseOrder, *, actor: User | None, tracking_number: str, reason: str = ""
) -> PurchaseOrder:
    """Record the shipment of a locked purchase order; the caller checked who may."""
    tracking_number = tracking_number.strip()
    if not tracking_number:
        raise exceptions.OrdersError(_("Enter the domestic tracking number."))
    _po_apply(
        po,
        to=PS.SHIPPED,
        actor=actor,
        reason=reason or _("Tracking %(no)s") % {"no": tracking_number},
        changes={
            "tracking_number": tracking_number,
            # The first shipment is what the supplier's dispatch time is judged by; a
            # replacement shipment keeps it.
            "shipped_at": po.shipped_at or timezone.now(),
        },
    )
    _supplier_performance_sync(po)
    _order_follow_purchase_orders(order, actor=actor)
    return po
