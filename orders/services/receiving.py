"""The warehouse: receiving and counting a purchase order, returning it whole, and the merchant's
decision on each line that failed inspection (accept, return, replace). Inspection itself is in
`orders.services.inspection`.

A line's status moves only through `procurement.core.states` against
`PurchaseOrderLine.TRANSITIONS`; each move is on the line's own timeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from logistics import services as logistics_services
from logistics.models import Warehouse
from logistics.models.stock import bin_location_clean
from orders import exceptions
from orders.models import (
    PurchaseOrder,
    PurchaseOrderLine,
)
from orders.services.customs import line_stock_customs
from orders.services.payables import _payable_adjust, _payable_cancel
from orders.services.refunds import (
    _refund_purchase_order,
    _refund_when_all_closed,
    _wallet_amount,
)
from orders.services.status import (
    PS,
    _lock_po,
    _order_follow_purchase_orders,
    _po_apply,
    _po_note,
    _require,
    _require_merchant,
    _supplier_performance_sync,
)
from payments import services as payments_services
from procurement.accounts.models import Membership, User
from procurement.core import states
from procurement.core.phrases import phrase

LS = PurchaseOrderLine.Status


@transaction.atomic
def purchase_order_receive(
    *,
    po: PurchaseOrder,
    actor: User,
    note: str = "",
    warehouse: Warehouse | None = None,
    counts: Mapping[int, int] | None = None,
    bin_location: str | None = None,
) -> PurchaseOrder:
    """The supplier's parcel arrived: record the warehouse, the bin the goods were put in and
    the count per line.

    `counts` maps line ids to the quantity counted (0 to the quantity ordered); a line left out
    counts as complete. Only lines still to inspect are counted, so after a replacement the
    lines already stocked keep their figures; a replacement counted is inspected again. The
    bin (written one way by `bin_location_clean`; None keeps the one recorded) is where the
    lines' stock items start, and packing picks them there.
    """
    _require(actor, "receive_purchaseorder")
    if bin_location is not None:
        try:
            bin_location = bin_location_clean(bin_location)
        except ValidationError as error:
            raise exceptions.OrdersError(error.messages[0], field="bin_location") from error
    order, po = _lock_po(po)
    if not po.can_become(PS.RECEIVED):
        raise exceptions.InvalidTransition(_("Only goods the supplier shipped can be received."))
    lines = list(
        po.lines.select_for_update().filter(status__in=PurchaseOrderLine.TO_RECEIVE).order_by("pk")
    )
    counts = dict(counts or {})
    if set(counts) - {line.pk for line in lines}:
        raise exceptions.OrdersError(_("Count only the lines of this purchase order."))
    counted = []
    for line in lines:
        quantity = counts.get(line.pk, line.quantity)
        if quantity is None or not 0 <= quantity <= line.quantity:
            raise exceptions.OrdersError(
                _("%(line)s: count between 0 and %(n)s.")
                % {"line": line.description, "n": line.quantity}
            )
        counted.append(f"{line.description}: {quantity}/{line.quantity}")
        if line.status == LS.REPLACING:
            states.apply(
                line,
                to=LS.PENDING,
                actor=actor,
                reason=phrase(
                    "Replacement received: %(n)s of %(ordered)s.", n=quantity, ordered=line.quantity
                ),
                changes={"received_quantity": quantity},
            )
        else:
            line.received_quantity = quantity
    PurchaseOrderLine.objects.bulk_update(
        [line for line in lines if line.status == LS.PENDING], ["received_quantity"]
    )
    changes = {"warehouse": warehouse} if warehouse is not None else {}
    if bin_location is not None:
        changes["bin_location"] = bin_location
    reason = "; ".join(counted)
    if note.strip():
        reason = f"{note.strip()} — {reason}" if reason else note.strip()
    _po_apply(po, to=PS.RECEIVED, actor=actor, reason=reason, changes=changes)
    _order_follow_purchase_orders(order, actor=actor)
    return po


@transaction.atomic
def purchase_order_return(*, po: PurchaseOrder, actor: User, reason: str) -> PurchaseOrder:
    """Goods failed inspection and go back to the supplier; the merchant is refunded."""
    _require(actor, "receive_purchaseorder")
    order, po = _lock_po(po)
    if po.lines.filter(stock_item_id__isnull=False).exists():
        raise exceptions.InvalidTransition(
            _("Some lines are already in stock: the merchant decides on each failed line.")
        )
    _po_return(po, actor=actor, reason=reason)
    _refund_when_all_closed(order, actor=actor)
    _order_follow_purchase_orders(order, actor=actor)
    return po


def _po_return(po: PurchaseOrder, *, actor: User | None, reason: str) -> None:
    _po_apply(po, to=PS.RETURNED, actor=actor, reason=reason)
    _refund_purchase_order(po, actor=actor)
    _payable_cancel(po, actor=actor, reason=reason or _("Returned to the supplier"))
    _supplier_performance_sync(po)


MEASURES = ("weight_kg", "length_cm", "width_cm", "height_cm")


def _line_label(line: PurchaseOrderLine) -> str:
    return _("Line %(pk)s (%(description)s)") % {"pk": line.pk, "description": line.description}


def _line_stock(
    po: PurchaseOrder, line: PurchaseOrderLine, *, photos: Sequence[UploadedFile] = ()
) -> None:
    """Put a line's counted goods into the merchant's stock, once (receipt key per line)."""
    if not line.received_quantity:
        return
    if po.warehouse_id is None:
        raise exceptions.OrdersError(_("Receive the goods into a warehouse first."))
    if any(getattr(line, name) is None for name in MEASURES):
        raise exceptions.OrdersError(_("Record the weight and size of the line's goods."))
    for upload in photos:
        upload.seek(0)
    failed = line.failed_checks
    summary = (
        _("Passed inspection")
        if not failed
        else _("Accepted as is: %(items)s") % {"items": ", ".join(failed)}
    )
    if line.inspection_note:
        summary = f"{summary}. {line.inspection_note}"
    item = logistics_services.stock_receive(
        company=po.order.company,
        warehouse=po.warehouse,
        description=f"{line.description} x {line.received_quantity}",
        quantity=line.received_quantity,
        weight_kg=line.weight_kg,
        length_cm=line.length_cm,
        width_cm=line.width_cm,
        height_cm=line.height_cm,
        source_reference=po.reference,
        inspection_summary=summary,
        photos=photos,
        receipt_key=f"{po.reference}:line:{line.pk}",
        bin_location=po.bin_location,
        **line_stock_customs(line),
    )
    line.stock_item_id = item.pk
    line.save(update_fields=["stock_item_id"])


def _po_finish(po: PurchaseOrder, *, actor: User | None) -> None:
    """Every failed line of an inspected purchase order (locked) has its decision: refund
    returned lines, wait for replacements, or close the purchase order."""
    lines = list(po.lines.select_for_update().order_by("pk"))
    if any(line.status in (LS.FAILED, LS.PENDING) for line in lines):
        return
    returned = [line for line in lines if line.status == LS.RETURNED]
    replaced = [line for line in lines if line.status == LS.REPLACING]
    if len(returned) == len(lines):
        _po_return(po, actor=actor, reason=phrase("Every line returned to the supplier."))
        return
    order = po.order
    for line in returned:
        if line.refund_id is None and order.charge_id is not None:
            line.refund = payments_services.wallet_refund(
                charge=order.charge,
                idempotency_key=f"{po.reference}:line:{line.pk}:refund",
                amount=_wallet_amount(order, line.line_total_cny),
                actor=actor,
                memo=_("Refund of %(line)s returned from %(po)s")
                % {"line": line.description, "po": po},
            )
            line.save(update_fields=["refund"])
    if returned:
        _payable_adjust(
            po,
            actor=actor,
            reason=phrase("%(n)s line(s) returned to the supplier", n=len(returned)),
        )
    if replaced:
        # They stay "replacement requested" until the replacement is received and counted.
        for line in replaced:
            line.received_quantity = None
            line.stock_item_id = None
        PurchaseOrderLine.objects.bulk_update(replaced, ["received_quantity", "stock_item_id"])
        _po_apply(
            po,
            to=PS.PLACED,
            actor=actor,
            reason=phrase("Waiting for the supplier to replace %(n)s line(s).", n=len(replaced)),
        )
        return
    _po_apply(po, to=PS.STOCKED, actor=actor, reason=phrase("Inspected goods stocked."))


# What the merchant chose, in the words of the buttons on the order page.
DECISION_LABELS = {
    LS.ACCEPTED: gettext_lazy("Accept as is"),
    LS.RETURNED: gettext_lazy("Return to the supplier"),
    LS.REPLACING: gettext_lazy("Ask for a replacement"),
}


def _line_decide(
    *, line: PurchaseOrderLine, actor: User, membership: Membership | None, decision: str
) -> PurchaseOrderLine:
    order, po = _lock_po(line.purchase_order)
    _require_merchant(po, membership)
    line = PurchaseOrderLine.objects.select_for_update().get(pk=line.pk, purchase_order=po)
    if not (po.awaits_line_decisions and line.can_become(decision)):
        raise exceptions.InvalidTransition(_("This line does not wait for your decision."))
    reason = phrase(
        "%(line)s: %(decision)s", line=_line_label(line), decision=DECISION_LABELS[decision]
    )
    states.apply(
        line, to=decision, actor=actor, reason=reason, changes={"resolved_at": timezone.now()}
    )
    _po_note(po, actor=actor, reason=reason)
    if decision == LS.ACCEPTED:
        _line_stock(po, line)
    _po_finish(po, actor=actor)
    _refund_when_all_closed(order, actor=actor)  # every line of the last open one returned
    _order_follow_purchase_orders(order, actor=actor)
    return line


@transaction.atomic
def purchase_order_line_accept(
    *, line: PurchaseOrderLine, actor: User, membership: Membership | None
) -> PurchaseOrderLine:
    """The merchant takes a failed line as it is: its counted goods go into stock."""
    return _line_decide(line=line, actor=actor, membership=membership, decision=LS.ACCEPTED)


@transaction.atomic
def purchase_order_line_return(
    *, line: PurchaseOrderLine, actor: User, membership: Membership | None
) -> PurchaseOrderLine:
    """The merchant sends a failed line back: it is refunded at the checkout's rate and the
    supplier payable shrinks (the whole purchase order returned refunds as a cancellation)."""
    return _line_decide(line=line, actor=actor, membership=membership, decision=LS.RETURNED)


@transaction.atomic
def purchase_order_line_replace(
    *, line: PurchaseOrderLine, actor: User, membership: Membership | None
) -> PurchaseOrderLine:
    """The merchant wants the supplier to replace a failed line: once every failed line is
    decided the purchase order goes back to placed and the replacement is received and
    inspected like the first shipment."""
    return _line_decide(line=line, actor=actor, membership=membership, decision=LS.REPLACING)
