"""What we owe suppliers (payments.payouts): a placed purchase order records its payable; a
corrected price or a returned line adjusts it; a cancellation or return cancels it. A payable
already exported or paid is left to Finance with an event saying so."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Supplier
from orders import exceptions
from orders.models import (
    PurchaseOrder,
    PurchaseOrderLine,
)
from orders.services.status import (
    _lock_po,
    _po_note,
    _require,
)
from payments import payouts
from payments.money import quantize
from procurement.accounts.currencies import SETTLEMENT_CURRENCY
from procurement.accounts.models import User
from procurement.core.exceptions import DomainError
from procurement.core.phrases import phrase

logger = logging.getLogger(__name__)


def _supplier_payee(supplier: Supplier) -> tuple[str, str, str]:
    """Payee name, bank account and bank for the supplier's bank transfer.

    A supplier without bank details gets no payable: payments refuses it, the purchase order
    says Finance must record it, and "Record supplier payable" in the admin retries.
    """
    return (
        supplier.payee_name or supplier.name_zh or supplier.name_en,
        supplier.bank_account,
        supplier.bank_name,
    )


def _payable_amounts(po: PurchaseOrder) -> tuple[Decimal, Decimal]:
    """What the supplier is owed (its actual price less lines returned to it) and the part of
    it that is domestic freight."""
    returned = sum(
        (
            line.line_total_cny
            for line in po.lines.all()
            if line.status == PurchaseOrderLine.Status.RETURNED
        ),
        Decimal(0),
    )
    amount = po.actual_total_cny - returned
    return amount, min(po.domestic_freight_cny, amount)


def _payable_record(po: PurchaseOrder, *, actor: User | None) -> bool:
    """Record the supplier payable of a purchase order just placed (locked), once. A refusal
    (missing bank details) is written on the timeline instead: the placement stands."""
    if po.payable_recorded or po.actual_total_cny is None:
        return po.payable_recorded
    name, account, bank = _supplier_payee(po.supplier)
    amount, freight = _payable_amounts(po)
    try:
        with transaction.atomic():
            payouts.supplier_payable_record(
                reference=po.reference,
                order_reference=po.order.reference,
                company=po.order.company,
                supplier_reference=f"supplier:{po.supplier_id}",
                payee_name=name,
                payee_account=account,
                payee_bank=bank,
                amount_cny=amount,
                freight_cny=freight,
                placed_at=po.placed_at or timezone.now(),
                idempotency_key=f"{po.reference}:placed",
                actor=actor,
            )
    except DomainError as error:
        logger.warning("supplier payable of %s not recorded: %s", po.reference, error)
        _po_note(
            po,
            actor=actor,
            reason=phrase(
                "Supplier payable NOT recorded (%(why)s). Finance must record it.",
                why=error.message,
            ),
        )
        return False
    po.payable_recorded = True
    po.save(update_fields=["payable_recorded"])
    return True


@transaction.atomic
def purchase_order_payable_record(*, po: PurchaseOrder, actor: User) -> PurchaseOrder:
    """Retry recording the supplier payable of a placed purchase order (e.g. once the supplier's
    bank details exist). Raises OrdersError with the reason when payments still refuses."""
    _require(actor, "place_purchaseorder")
    _order, po = _lock_po(po)
    if po.payable_recorded:
        return po
    if po.placed_at is None or po.status in PurchaseOrder.CLOSED:
        raise exceptions.InvalidTransition(_("Only a placed purchase order has a payable."))
    if not _payable_record(po, actor=actor):
        raise exceptions.OrdersError(
            _("Payments refused the payable; see the purchase order's timeline.")
        )
    _po_note(
        po,
        actor=actor,
        reason=phrase("Supplier payable recorded."),
    )
    return po


@transaction.atomic
def purchase_order_supplier_price_correct(
    *, po: PurchaseOrder, actor: User, actual_total_cny: Decimal, reason: str
) -> PurchaseOrder:
    """Correct the price the supplier charges after placement (a typo, a freight rebate, a
    surcharge agreed with the supplier): the actual price and the supplier payable follow.

    The merchant's money does not move here: its price difference was settled when the purchase
    order was placed (purchase_order_place). Refused without a reason.
    """
    _require(actor, "place_purchaseorder")
    reason = (reason or "").strip()
    if not reason:
        raise exceptions.OrdersError(_("Say why the supplier's price changed."))
    _order, po = _lock_po(po)
    if not po.is_bought or po.actual_total_cny is None:
        raise exceptions.InvalidTransition(
            _("Only a placed purchase order has a price to correct.")
        )
    actual = quantize(Decimal(actual_total_cny), SETTLEMENT_CURRENCY)
    if actual <= 0:
        raise exceptions.OrdersError(_("Enter the price actually paid."))
    if actual == po.actual_total_cny:
        return po
    before = po.actual_total_cny
    po.actual_total_cny = actual
    po.save(update_fields=["actual_total_cny", "updated_at"])
    _po_note(
        po,
        actor=actor,
        reason=phrase(
            "Supplier price corrected from ¥%(before)s to ¥%(after)s: %(reason)s",
            before=before,
            after=actual,
            reason=reason,
        ),
    )
    _payable_adjust(po, actor=actor, reason=reason)
    return po


def _payable_adjust(po: PurchaseOrder, *, actor: User | None, reason: str) -> None:
    if not po.payable_recorded:
        return
    amount, freight = _payable_amounts(po)
    key = f"{po.reference}:amount:{po.events.count()}"
    try:
        with transaction.atomic():
            payouts.supplier_payable_adjust(
                reference=po.reference,
                amount_cny=amount,
                freight_cny=freight,
                idempotency_key=key,
                reason=reason,
                actor=actor,
            )
    except payouts.PayableLocked:
        _finance_must_settle(po, actor=actor, what=_("make it ¥%(a)s") % {"a": amount})


def _payable_cancel(po: PurchaseOrder, *, actor: User | None, reason: str) -> None:
    if not po.payable_recorded:
        return
    try:
        with transaction.atomic():
            payouts.supplier_payable_cancel(
                reference=po.reference,
                idempotency_key=f"{po.reference}:cancelled",
                reason=reason,
                actor=actor,
            )
    except payouts.PayableLocked:
        _finance_must_settle(po, actor=actor, what=_("cancel it"))


def _finance_must_settle(po: PurchaseOrder, *, actor: User | None, what: str) -> None:
    _po_note(
        po,
        actor=actor,
        reason=phrase(
            "The supplier payable is already exported or paid and could not change (%(what)s). "
            "Finance must settle it with the supplier manually.",
            what=what,
        ),
    )
