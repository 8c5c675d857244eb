"""Inspecting received purchase-order lines against CHECKLIST, one line or several in one submit.

Gather, then write: every line of a submit is checked first (its count, checklist, the goods'
measures and its photos, each photo read by Pillow), and only when every line is in order are
they all written, in one transaction. One bad line refuses the whole submit with an error that
names it (`InspectionRefused.errors`), so staff fix it and send the same form again.

A passed line goes into the merchant's stock at once, with its photos; a failed line needs at
least one photo and waits for the merchant (accept as is, return, replace). Photos are welcome on
passed lines too: merchants see them in the gallery of their order page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.photos import CheckedPhoto, photo_check
from orders import conf, exceptions, webhooks
from orders.models import (
    CHECKLIST,
    InspectionPhoto,
    PurchaseOrder,
    PurchaseOrderLine,
)
from orders.services.receiving import MEASURES, _line_label, _line_stock, _po_finish
from orders.services.status import (
    PS,
    _lock_po,
    _order_follow_purchase_orders,
    _po_apply,
    _po_note,
    _require,
    _supplier_performance_sync,
)
from procurement.accounts.models import User
from procurement.core import states
from procurement.core.exceptions import DomainError
from procurement.core.outbox import outbox_enqueue
from procurement.core.phrases import phrase

LS = PurchaseOrderLine.Status


@dataclass(frozen=True)
class LineInspection:
    """What staff found on one line. `received_quantity` None keeps the count made on receipt;
    a number recounts it (0 to the quantity ordered)."""

    line_id: int
    checklist: Mapping[str, bool]
    note: str = ""
    photos: Sequence[UploadedFile] = ()
    received_quantity: int | None = None
    weight_kg: Decimal | None = None
    length_cm: Decimal | None = None
    width_cm: Decimal | None = None
    height_cm: Decimal | None = None


@dataclass
class _Finding:
    """One line checked and ready to write."""

    line: PurchaseOrderLine
    received_quantity: int
    results: dict[str, bool]
    note: str
    measures: dict[str, Decimal | None]
    photos: list[CheckedPhoto] = field(default_factory=list)
    uploads: list[UploadedFile] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(self.results.values())


def _checked_photos(uploads: Sequence[UploadedFile]) -> list[CheckedPhoto]:
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


def _finding(line: PurchaseOrderLine, found: LineInspection) -> _Finding:
    """Check one line's inspection without writing anything; raises a DomainError that says
    what is wrong with it."""
    if line.status == LS.REPLACING:
        raise exceptions.InvalidTransition(_("Receive and count the replacement first."))
    if not line.can_become(LS.PASSED):
        raise exceptions.InvalidTransition(_("This line was already inspected."))
    received = (
        line.received_quantity if found.received_quantity is None else found.received_quantity
    )
    if received is None or not 0 <= received <= line.quantity:
        raise exceptions.OrdersError(_("Count between 0 and %(n)s.") % {"n": line.quantity})
    results = {key: bool(found.checklist.get(key)) for key in CHECKLIST}
    if received != line.quantity:
        results["quantity"] = False
    measures = {name: getattr(found, name) for name in MEASURES}
    if received and any(value is None or value <= 0 for value in measures.values()):
        raise exceptions.OrdersError(_("Record the weight and size of the line's goods."))
    uploads = list(found.photos)
    finding = _Finding(
        line=line,
        received_quantity=received,
        results=results,
        note=found.note.strip(),
        measures=measures,
        photos=_checked_photos(uploads),
        uploads=uploads,
    )
    if not finding.passed and not finding.photos:
        raise exceptions.OrdersError(_("Add a photo showing why the line failed."))
    return finding


def _inspection_write(po: PurchaseOrder, finding: _Finding, *, actor: User) -> None:
    """Record one checked line (locked): its move to passed or failed on its timeline, its
    photos, a note on the purchase order's timeline; a passed line goes into stock."""
    line = finding.line
    failed_items = [str(CHECKLIST[key]) for key, ok in finding.results.items() if not ok]
    reason = (
        phrase("%(line)s passed inspection.", line=_line_label(line))
        if finding.passed
        else _("%(line)s failed inspection: %(items)s.")
        % {"line": _line_label(line), "items": ", ".join(failed_items)}
    )
    if finding.received_quantity != line.received_quantity:
        reason = f"{reason} " + _("Recounted: %(n)s of %(ordered)s.") % {
            "n": finding.received_quantity,
            "ordered": line.quantity,
        }
    if finding.note:
        reason = f"{reason} {finding.note}"
    states.apply(
        line,
        to=LS.PASSED if finding.passed else LS.FAILED,
        actor=actor,
        reason=reason,
        changes={
            **finding.measures,
            "received_quantity": finding.received_quantity,
            "checklist": finding.results,
            "inspection_note": finding.note,
            "inspected_at": timezone.now(),
            "resolved_at": None,
            "times_inspected": line.times_inspected + 1,
            "times_failed": line.times_failed + (0 if finding.passed else 1),
        },
    )
    for photo in finding.photos:
        InspectionPhoto.objects.create(line=line, image=photo.image, thumbnail=photo.thumbnail)
    _po_note(po, actor=actor, reason=reason)
    if finding.passed:
        _line_stock(po, line, photos=finding.uploads)


def _po_after_inspection(po: PurchaseOrder, *, actor: User) -> None:
    """When no line of the purchase order (locked) is left to inspect, it becomes inspected: and
    stocked if nothing waits for the merchant, who is told otherwise."""
    if po.lines.filter(status__in=PurchaseOrderLine.TO_RECEIVE).exists():
        return
    lines = list(po.lines.order_by("pk"))
    failed = [line for line in lines if line.status == LS.FAILED]
    _po_apply(
        po,
        to=PS.INSPECTED,
        actor=actor,
        reason=phrase(
            "%(passed)s line(s) passed, %(failed)s failed.",
            passed=len(lines) - len(failed),
            failed=len(failed),
        ),
    )
    po.inspection_summary = "\n".join(
        f"{line.description}: {line.get_status_display()}" for line in lines
    )
    po.save(update_fields=["inspection_summary"])
    _supplier_performance_sync(po)
    if failed:
        # The merchant decides: mail, and the webhook for its ERP.
        outbox_enqueue(task="orders.tasks.purchase_order_exception", args=[po.pk])
        webhooks.purchase_order_exception(po, failed_line_ids=[line.pk for line in failed])
    else:
        _po_finish(po, actor=actor)


@transaction.atomic
def purchase_order_lines_inspect(
    *, po: PurchaseOrder, actor: User, inspections: Sequence[LineInspection]
) -> list[PurchaseOrderLine]:
    """Inspect several received lines of one purchase order in one go: all of them are
    recorded, or none (InspectionRefused names each line at fault). When the last line is
    inspected the purchase order becomes inspected, and stocked if nothing waits for the
    merchant."""
    _require(actor, "receive_purchaseorder")
    order, po = _lock_po(po)
    if po.status != PS.RECEIVED:
        raise exceptions.InvalidTransition(_("Receive and count the goods before inspecting."))
    ids = [found.line_id for found in inspections]
    if not ids:
        raise exceptions.OrdersError(_("Choose at least one line to inspect."))
    if len(set(ids)) != len(ids):
        raise exceptions.OrdersError(_("Inspect each line once."))
    lines = {
        line.pk: line for line in po.lines.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    if set(ids) - set(lines):
        raise exceptions.OrdersError(
            _("Inspect only the lines of %(po)s.") % {"po": po}, code="not_found", status=404
        )
    findings, errors = [], {}
    for found in inspections:
        try:
            findings.append(_finding(lines[found.line_id], found))
        except DomainError as error:
            errors[found.line_id] = str(error.message)
    if errors:
        raise exceptions.InspectionRefused(
            errors=errors, labels={pk: _line_label(line) for pk, line in lines.items()}
        )
    for finding in sorted(findings, key=lambda finding: finding.line.pk):
        _inspection_write(po, finding, actor=actor)
    _po_after_inspection(po, actor=actor)
    _order_follow_purchase_orders(order, actor=actor)
    return [finding.line for finding in findings]


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
    """Inspect one received line against CHECKLIST, with photos and the goods' measures: the
    inspection of several lines, with one."""
    (inspected,) = purchase_order_lines_inspect(
        po=line.purchase_order,
        actor=actor,
        inspections=[
            LineInspection(
                line_id=line.pk,
                checklist=checklist,
                note=note,
                photos=photos,
                weight_kg=weight_kg,
                length_cm=length_cm,
                width_cm=width_cm,
                height_cm=height_cm,
            )
        ],
    )
    return inspected
