"""The warehouse: receiving and counting a purchase order, inspecting it line by line (a passed
line is stocked at once) and the merchant's decision on each failed line (accept, return,
replace)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics import services as logistics_services
from logistics.models import Warehouse
from logistics.photos import photo_check
from orders import conf, exceptions, webhooks
from orders.models import (
    CHECKLIST,
    Inspection,
    InspectionPhoto,
    PurchaseOrder,
    PurchaseOrderLine,
    Resolution,
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
from procurement.core.exceptions import DomainError
from procurement.core.outbox import outbox_enqueue


@transaction.atomic
def purchase_order_receive(
    *,
    po: PurchaseOrder,
    actor: User,
    note: str = "",
    warehouse: Warehouse | None = None,
    counts: Mapping[int, int] | None = None,
) -> PurchaseOrder:
    """The supplier's parcel arrived: record the warehouse and the count per line.

    `counts` maps line ids to the quantity counted (0 to the quantity ordered); a line left out
    counts as complete. Only lines still to inspect are counted, so after a replacement the
    lines already stocked keep their figures.
    """
    _require(actor, "receive_purchaseorder")
    order, po = _lock_po(po)
    if not po.can_become(PS.RECEIVED):
        raise exceptions.InvalidTransition(_("Only goods the supplier shipped can be received."))
    lines = list(po.lines.select_for_update().filter(inspection=Inspection.PENDING).order_by("pk"))
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
        line.received_quantity = quantity
        counted.append(f"{line.description}: {quantity}/{line.quantity}")
    PurchaseOrderLine.objects.bulk_update(lines, ["received_quantity"])
    changes = {"warehouse": warehouse} if warehouse is not None else {}
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


def _checked_photos(uploads: Sequence[UploadedFile]):
    """Check every photo (Pillow: real JPEG/PNG/WebP, size, pixel count) before writing any."""
    if len(uploads) > conf.inspection_max_photos():
        raise exceptions.OrdersError(
            _("Add at most %(n)s photos per line.") % {"n": conf.inspection_max_photos()}
        )
    checked = []
    for upload in uploads:
        try:
            checked.append(photo_check(upload))
        except DomainError as error:
            raise exceptions.OrdersError(
                _("%(name)s: %(reason)s") % {"name": upload.name, "reason": error.message}
            ) from None
    return checked


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
        **line_stock_customs(line),
    )
    line.stock_item_id = item.pk
    line.save(update_fields=["stock_item_id"])


@transaction.atomic
def purchase_order_line_inspect(
    *,
    line: PurchaseOrderLine,
    actor: User,
    checklist: Mapping[str, bool],
    note: str = "",
    photos: Sequence[UploadedFile] = (),
    weight_kg: Decimal | None = None,
    length_cm: Decimal | None = None,
    width_cm: Decimal | None = None,
    height_cm: Decimal | None = None,
) -> PurchaseOrderLine:
    """Inspect one received line against CHECKLIST, with photos and the goods' measures.

    The line passes only when every item is in order and the count matches the order; a
    passed line goes into stock at once. A failed line needs at least one photo and waits for
    the merchant (accept as is, return, replace). When the last line is inspected the purchase
    order becomes inspected, and stocked if nothing waits for the merchant.
    """
    _require(actor, "receive_purchaseorder")
    order, po = _lock_po(line.purchase_order)
    line = PurchaseOrderLine.objects.select_for_update().get(pk=line.pk, purchase_order=po)
    if po.status != PS.RECEIVED:
        raise exceptions.InvalidTransition(_("Receive and count the goods before inspecting."))
    if line.inspection != Inspection.PENDING:
        raise exceptions.InvalidTransition(_("This line was already inspected."))
    results = {key: bool(checklist.get(key)) for key in CHECKLIST}
    if line.received_quantity != line.quantity:
        results["quantity"] = False
    passed = all(results.values())
    measures = {
        "weight_kg": weight_kg,
        "length_cm": length_cm,
        "width_cm": width_cm,
        "height_cm": height_cm,
    }
    if line.received_quantity and any(value is None or value <= 0 for value in measures.values()):
        raise exceptions.OrdersError(_("Record the weight and size of the line's goods."))
    checked = _checked_photos(list(photos))
    if not passed and not checked:
        raise exceptions.OrdersError(_("Add a photo showing why the line failed."))
    for name, value in measures.items():
        setattr(line, name, value)
    line.checklist = results
    line.inspection = Inspection.PASSED if passed else Inspection.FAILED
    line.inspection_note = note.strip()
    line.inspected_at = timezone.now()
    line.resolution = ""
    line.resolved_at = None
    line.times_inspected += 1
    line.times_failed += 0 if passed else 1
    line.save(
        update_fields=[
            *MEASURES,
            "checklist",
            "inspection",
            "inspection_note",
            "inspected_at",
            "resolution",
            "resolved_at",
            "times_inspected",
            "times_failed",
        ]
    )
    for photo in checked:
        InspectionPhoto.objects.create(line=line, image=photo.image, thumbnail=photo.thumbnail)
    failed_items = [str(CHECKLIST[key]) for key, ok in results.items() if not ok]
    reason = (
        _("%(line)s passed inspection.") % {"line": _line_label(line)}
        if passed
        else _("%(line)s failed inspection: %(items)s.")
        % {"line": _line_label(line), "items": ", ".join(failed_items)}
    )
    if line.inspection_note:
        reason = f"{reason} {line.inspection_note}"
    _po_note(po, actor=actor, reason=reason)
    if passed:
        _line_stock(po, line, photos=list(photos))
    if not po.lines.filter(inspection=Inspection.PENDING).exists():
        lines = list(po.lines.order_by("pk"))
        failed = sum(1 for item in lines if item.inspection == Inspection.FAILED)
        _po_apply(
            po,
            to=PS.INSPECTED,
            actor=actor,
            reason=_("%(passed)s line(s) passed, %(failed)s failed.")
            % {"passed": len(lines) - failed, "failed": failed},
        )
        po.inspection_summary = "\n".join(
            f"{item.description}: {item.get_inspection_display()}" for item in lines
        )
        po.save(update_fields=["inspection_summary"])
        _supplier_performance_sync(po)
        if failed:
            # The merchant decides: mail, and the webhook for its ERP.
            outbox_enqueue(task="orders.tasks.purchase_order_exception", args=[po.pk])
            webhooks.purchase_order_exception(
                po,
                failed_line_ids=[item.pk for item in lines if item.inspection == Inspection.FAILED],
            )
        else:
            _po_finish(po, actor=actor)
    _order_follow_purchase_orders(order, actor=actor)
    return line


def _po_finish(po: PurchaseOrder, *, actor: User | None) -> None:
    """Every failed line of an inspected purchase order (locked) has its decision: refund
    returned lines, wait for replacements, or close the purchase order."""
    lines = list(po.lines.select_for_update().order_by("pk"))
    if any(line.inspection == Inspection.FAILED and not line.resolution for line in lines) or any(
        line.inspection == Inspection.PENDING for line in lines
    ):
        return
    returned = [line for line in lines if line.resolution == Resolution.RETURNED]
    replaced = [line for line in lines if line.resolution == Resolution.REPLACED]
    if len(returned) == len(lines):
        _po_return(po, actor=actor, reason=_("Every line returned to the supplier."))
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
            reason=_("%(n)s line(s) returned to the supplier") % {"n": len(returned)},
        )
    if replaced:
        for line in replaced:
            line.received_quantity = None
            line.inspection = Inspection.PENDING
            line.stock_item_id = None
        PurchaseOrderLine.objects.bulk_update(
            replaced, ["received_quantity", "inspection", "stock_item_id"]
        )
        _po_apply(
            po,
            to=PS.PLACED,
            actor=actor,
            reason=_("Waiting for the supplier to replace %(n)s line(s).") % {"n": len(replaced)},
        )
        return
    _po_apply(po, to=PS.STOCKED, actor=actor, reason=_("Inspected goods stocked."))


def _line_decide(
    *, line: PurchaseOrderLine, actor: User, membership: Membership | None, decision: str
) -> PurchaseOrderLine:
    order, po = _lock_po(line.purchase_order)
    _require_merchant(po, membership)
    line = PurchaseOrderLine.objects.select_for_update().get(pk=line.pk, purchase_order=po)
    if not (po.awaits_line_decisions and line.awaits_decision):
        raise exceptions.InvalidTransition(_("This line does not wait for your decision."))
    line.resolution = decision
    line.resolved_at = timezone.now()
    line.save(update_fields=["resolution", "resolved_at"])
    _po_note(
        po,
        actor=actor,
        reason=_("%(line)s: %(decision)s")
        % {"line": _line_label(line), "decision": Resolution(decision).label},
    )
    if decision == Resolution.ACCEPTED:
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
    return _line_decide(line=line, actor=actor, membership=membership, decision=Resolution.ACCEPTED)


@transaction.atomic
def purchase_order_line_return(
    *, line: PurchaseOrderLine, actor: User, membership: Membership | None
) -> PurchaseOrderLine:
    """The merchant sends a failed line back: it is refunded at the checkout's rate and the
    supplier payable shrinks (the whole purchase order returned refunds as a cancellation)."""
    return _line_decide(line=line, actor=actor, membership=membership, decision=Resolution.RETURNED)


@transaction.atomic
def purchase_order_line_replace(
    *, line: PurchaseOrderLine, actor: User, membership: Membership | None
) -> PurchaseOrderLine:
    """The merchant wants the supplier to replace a failed line: once every failed line is
    decided the purchase order goes back to placed and the replacement is received and
    inspected like the first shipment."""
    return _line_decide(line=line, actor=actor, membership=membership, decision=Resolution.REPLACED)
