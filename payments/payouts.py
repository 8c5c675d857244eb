"""Supplier payables in CNY and the payout batches that pay them.

The boundary: `orders` (above this app) calls `supplier_payable_record` when a purchase order is
placed, `supplier_payable_adjust` when its price changes and `supplier_payable_cancel` when it is
cancelled. It passes the purchase order's opaque reference ("po:7"), its order's ("order:12") and
the payee data copied at that moment; nothing here imports `orders`.

Lifecycles, declared on the models (`SupplierPayable.TRANSITIONS`, `PayoutBatch.TRANSITIONS`)
and moved only by `procurement.core.states`, which checks the table under the row lock, saves
with `update_fields` and writes the event row:

    payable: open -> batched -> paid           batch: draft -> exported -> paid
             open -> cancelled                        draft | exported -> cancelled
             batched -> open (batch cancelled)

A price change is no move: the payable keeps its status and its timeline records the amount
before and after (`supplier_payable_adjust`).

A payable is paid once: the database allows one *active* payout line per payable
(`payoutline_payable_once`) and paying checks the payable is still batched under its row lock.
Marking a batch paid posts one balanced CNY transaction: supplier payable -> payout bank.
"""

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments import exceptions
from payments.models import (
    Account,
    LedgerTransaction,
    PayoutBatch,
    PayoutBatchEvent,
    PayoutLine,
    SupplierPayable,
    SupplierPayableEvent,
)
from payments.money import quantize

# Private ledger helpers of this app: every posting goes through the one balanced writer.
from payments.services.ledger import _platform_account, _post
from procurement.accounts.currencies import SETTLEMENT_CURRENCY
from procurement.accounts.models import Company, User
from procurement.core import references, states

# The platform's CNY bank account that supplier transfers leave from, and the ledger kind of a
# payout.
PAYOUT_BANK = Account.Kind.PAYOUT_BANK
SUPPLIER_PAYOUT = LedgerTransaction.Kind.SUPPLIER_PAYOUT

PS = SupplierPayable.Status
BS = PayoutBatch.Status


class PayoutError(exceptions.PaymentsError):
    default_message = gettext_lazy("That payout change is not allowed.")


class PayableNotFound(PayoutError):
    default_message = gettext_lazy("There is no payable for that purchase order.")


class PayableLocked(PayoutError):
    default_message = gettext_lazy(
        "This payable is in a payout batch that was exported or paid; it can no longer change."
    )


class BatchEmpty(PayoutError):
    default_message = gettext_lazy("No open payables match; the batch would be empty.")


def _actor(actor: User | None) -> User | None:
    return actor if actor is not None and actor.is_authenticated else None


def _cny(amount: Decimal) -> Decimal:
    amount = Decimal(amount)
    if amount != quantize(amount, SETTLEMENT_CURRENCY):
        raise exceptions.InvalidAmount(_("Enter a CNY amount with at most two decimals."))
    if amount <= 0:
        raise exceptions.InvalidAmount
    return amount


def _payable_apply(
    payable: SupplierPayable,
    *,
    to_status: str,
    actor: User | None,
    reason: str = "",
    idempotency_key: str = "",
) -> SupplierPayable:
    """Move a payable the caller holds locked along its table, stamping `paid_at` when paid."""
    states.apply(
        payable,
        to=to_status,
        actor=actor,
        reason=reason,
        changes={"paid_at": timezone.now()} if to_status == PS.PAID else None,
        event={"idempotency_key": idempotency_key},
    )
    return payable


def _lock_payable(reference: str) -> SupplierPayable:
    payable = SupplierPayable.objects.select_for_update().filter(reference=reference).first()
    if payable is None:
        raise PayableNotFound
    return payable


# --- The boundary that `orders` calls -------------------------------------------------------------


@transaction.atomic
def supplier_payable_record(
    *,
    reference: str,
    order_reference: str,
    company: Company,
    supplier_reference: str,
    payee_name: str,
    payee_account: str,
    payee_bank: str,
    amount_cny: Decimal,
    placed_at: datetime,
    idempotency_key: str,
    freight_cny: Decimal = Decimal(0),
    actor: User | None = None,
) -> SupplierPayable:
    """Record what the platform owes a supplier for a purchase order just placed.

    Idempotent: the same key returns the payable already recorded; the same purchase order
    recorded under another key raises IdempotencyConflict. `freight_cny` is the part of
    `amount_cny` that is the supplier's domestic freight (for the settlement report).
    """
    existing = SupplierPayable.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.reference != reference:
            raise exceptions.IdempotencyConflict
        return existing
    if SupplierPayable.objects.filter(reference=reference).exists():
        raise exceptions.IdempotencyConflict
    amount_cny = _cny(amount_cny)
    freight_cny = quantize(Decimal(freight_cny), SETTLEMENT_CURRENCY)
    if not 0 <= freight_cny <= amount_cny:
        raise exceptions.InvalidAmount(_("The freight must be part of the amount."))
    if not (payee_name.strip() and payee_account.strip() and payee_bank.strip()):
        raise PayoutError(_("The supplier's payee name, bank account and bank are required."))
    # What the references read now, kept as written: a query per kind and language.
    labels = references.labels_to_store([reference, order_reference, supplier_reference])
    try:
        with transaction.atomic():
            payable = SupplierPayable.objects.create(
                reference=reference,
                order_reference=order_reference,
                company=company,
                supplier_reference=supplier_reference,
                reference_labels=labels.get(reference, {}),
                order_labels=labels.get(order_reference, {}),
                supplier_labels=labels.get(supplier_reference, {}),
                payee_name=payee_name.strip(),
                payee_account=payee_account.strip(),
                payee_bank=payee_bank.strip(),
                amount_cny=amount_cny,
                freight_cny=freight_cny,
                placed_at=placed_at,
                idempotency_key=idempotency_key,
            )
    except IntegrityError:
        # A concurrent twin committed first.
        return SupplierPayable.objects.get(idempotency_key=idempotency_key)
    SupplierPayableEvent.objects.create(
        payable=payable,
        from_status="",
        to_status=PS.OPEN,
        amount_after=amount_cny,
        idempotency_key=idempotency_key,
        actor=_actor(actor),
        reason=_("Purchase order placed"),
    )
    return payable


@transaction.atomic
def supplier_payable_adjust(
    *,
    reference: str,
    amount_cny: Decimal,
    idempotency_key: str,
    reason: str = "",
    freight_cny: Decimal | None = None,
    actor: User | None = None,
) -> SupplierPayable:
    """Set a payable's amount to `amount_cny` (the purchase order's new actual price).

    Allowed while the payable is open, or in a draft batch (its line follows). Refused with
    PayableLocked once its batch was exported or paid, and for a cancelled payable.
    """
    payable = _lock_payable(reference)
    if SupplierPayableEvent.objects.filter(idempotency_key=idempotency_key).exists():
        return payable
    amount_cny = _cny(amount_cny)
    line = _active_line(payable)
    if payable.status in (PS.PAID, PS.CANCELLED) or (
        line is not None and line.batch.status != BS.DRAFT
    ):
        raise PayableLocked
    before = payable.amount_cny
    payable.amount_cny = amount_cny
    if freight_cny is not None:
        payable.freight_cny = quantize(Decimal(freight_cny), SETTLEMENT_CURRENCY)
    if not 0 <= payable.freight_cny <= amount_cny:
        raise exceptions.InvalidAmount(_("The freight must be part of the amount."))
    if line is not None:
        line.amount_cny = amount_cny
        line.save(update_fields=["amount_cny"])
        _batch_total_refresh(line.batch)
    # Not a move: the status stays, and the timeline records the change from and to it.
    payable.save(update_fields=["amount_cny", "freight_cny", "updated_at"])
    payable.events.create(
        from_status=payable.status,
        to_status=payable.status,
        amount_before=before,
        amount_after=amount_cny,
        idempotency_key=idempotency_key,
        actor=_actor(actor),
        reason=reason or _("Price changed"),
    )
    return payable


@transaction.atomic
def supplier_payable_cancel(
    *, reference: str, idempotency_key: str, reason: str = "", actor: User | None = None
) -> SupplierPayable:
    """The purchase order was cancelled: nothing is owed. Open or in a draft batch (its line is
    removed); refused with PayableLocked once exported or paid. Idempotent."""
    payable = _lock_payable(reference)
    if payable.status == PS.CANCELLED:
        return payable
    line = _active_line(payable)
    if payable.status == PS.PAID or (line is not None and line.batch.status != BS.DRAFT):
        raise PayableLocked
    if line is not None:
        _line_release(line)
        payable = _payable_apply(payable, to_status=PS.OPEN, actor=actor, reason=reason)
    return _payable_apply(
        payable,
        to_status=PS.CANCELLED,
        actor=actor,
        reason=reason or _("Purchase order cancelled"),
        idempotency_key=idempotency_key,
    )


# --- Payout batches -------------------------------------------------------------------------------


def _active_line(payable: SupplierPayable) -> PayoutLine | None:
    return payable.payout_lines.filter(active=True).select_related("batch").first()


def _line_release(line: PayoutLine) -> None:
    line.active = False
    line.save(update_fields=["active"])
    _batch_total_refresh(line.batch)


def _batch_total_refresh(batch: PayoutBatch) -> None:
    total = batch.lines.filter(active=True).aggregate(total=Sum("amount_cny"))["total"]
    batch.total_cny = quantize(Decimal(str(total or 0)), SETTLEMENT_CURRENCY)
    batch.save(update_fields=["total_cny"])


def _require_payout_permission(actor: User) -> None:
    if actor is None or not actor.has_perm("payments.manage_payouts"):
        raise PayoutError(_("Only Finance may build and pay payout batches."))


def open_payables(
    *, supplier_reference: str = "", placed_from: date | None = None, placed_to: date | None = None
) -> QuerySet[SupplierPayable]:
    qs = SupplierPayable.objects.filter(status=PS.OPEN).select_related("company")
    if supplier_reference:
        qs = qs.filter(supplier_reference=supplier_reference)
    tz = timezone.get_current_timezone()
    if placed_from:
        qs = qs.filter(placed_at__gte=datetime.combine(placed_from, time.min, tzinfo=tz))
    if placed_to:
        end = datetime.combine(placed_to + timedelta(days=1), time.min, tzinfo=tz)
        qs = qs.filter(placed_at__lt=end)
    return qs.order_by("pk")


def suppliers_with_open_payables(*, viewer: references.Viewer) -> list[tuple[str, str]]:
    """(supplier reference, supplier name) of every supplier owed something, by name."""
    refs = (
        SupplierPayable.objects.filter(status=PS.OPEN)
        .order_by()
        .values_list("supplier_reference", flat=True)
        .distinct()
    )
    names = references.resolve_many(list(refs), viewer)
    return sorted(((ref, name.label) for ref, name in names.items()), key=lambda c: c[1].lower())


@transaction.atomic
def payout_batch_create(
    *,
    actor: User,
    supplier_reference: str = "",
    placed_from: date | None = None,
    placed_to: date | None = None,
) -> PayoutBatch:
    """A draft batch of every open payable of the supplier (or all) placed in the date range.
    Payables are locked in primary-key order; one taken meanwhile by another batch is skipped."""
    _require_payout_permission(actor)
    batch = PayoutBatch.objects.create(
        supplier_reference=supplier_reference,
        placed_from=placed_from,
        placed_to=placed_to,
        created_by=actor,
    )
    candidates = open_payables(
        supplier_reference=supplier_reference, placed_from=placed_from, placed_to=placed_to
    )
    payables = list(
        SupplierPayable.objects.select_for_update()
        .filter(pk__in=candidates.values("pk"), status=PS.OPEN)
        .order_by("pk")
    )
    if not payables:
        raise BatchEmpty
    PayoutLine.objects.bulk_create(
        PayoutLine(batch=batch, payable=p, amount_cny=p.amount_cny) for p in payables
    )
    for payable in payables:
        _payable_apply(payable, to_status=PS.BATCHED, actor=actor, reason=str(batch))
    _batch_total_refresh(batch)
    PayoutBatchEvent.objects.create(
        batch=batch, from_status="", to_status=BS.DRAFT, actor=actor, reason=_("Batch built")
    )
    return batch


@transaction.atomic
def payout_line_remove(*, line: PayoutLine, actor: User, reason: str = "") -> PayoutBatch:
    """Take one payable out of a draft batch during review; it is open again."""
    _require_payout_permission(actor)
    batch = states.lock(line.batch)
    if batch.status != BS.DRAFT:
        raise PayoutError(_("A batch cannot be edited after export; cancel it and rebuild."))
    line = PayoutLine.objects.select_for_update().get(pk=line.pk)
    if not line.active:
        return batch
    payable = SupplierPayable.objects.select_for_update().get(pk=line.payable_id)
    _line_release(line)
    _payable_apply(
        payable, to_status=PS.OPEN, actor=actor, reason=reason or _("Removed from %s") % batch
    )
    return batch


@transaction.atomic
def payout_batch_export(*, batch: PayoutBatch, actor: User) -> PayoutBatch:
    """Freeze the batch for the bank upload. Exporting again returns it unchanged (the file is
    always rebuilt from the frozen lines)."""
    _require_payout_permission(actor)
    batch = states.lock(batch)
    if batch.status == BS.EXPORTED:
        return batch
    if not batch.lines.filter(active=True).exists():
        raise BatchEmpty
    states.apply(
        batch,
        to=BS.EXPORTED,
        actor=actor,
        reason=_("Bank file"),
        changes={"exported_at": timezone.now()},
    )
    return batch


@transaction.atomic
def payout_batch_mark_paid(
    *, batch: PayoutBatch, actor: User, bank_reference: str = ""
) -> PayoutBatch:
    """The bank executed the transfers: every payable in the batch is paid, once, and the total
    moves from supplier payable to the payout bank account in one balanced CNY transaction."""
    _require_payout_permission(actor)
    batch = states.lock(batch)
    if batch.status == BS.PAID:
        return batch
    if not batch.can_become(BS.PAID):
        raise PayoutError(_("Export the bank file before marking the batch paid."))
    lines = list(batch.lines.filter(active=True).order_by("payable_id"))
    payables = {
        p.pk: p
        for p in SupplierPayable.objects.select_for_update()
        .filter(pk__in=[line.payable_id for line in lines])
        .order_by("pk")
    }
    for line in lines:
        payable = payables[line.payable_id]
        if payable.status != PS.BATCHED:
            raise PayoutError(
                _("%(reference)s cannot be paid: it is %(status)s.")
                % {"reference": payable.reference, "status": payable.get_status_display()}
            )
        if payable.amount_cny != line.amount_cny:
            raise PayoutError(_("%s changed after export.") % payable.reference)
    total = sum((line.amount_cny for line in lines), Decimal(0))
    tx = _post(
        kind=SUPPLIER_PAYOUT,
        company=None,
        reference=batch.reference,
        idempotency_key=f"{batch.reference}:paid",
        legs=[
            (_platform_account(Account.Kind.SUPPLIER_PAYABLE, SETTLEMENT_CURRENCY), -total),
            (_platform_account(PAYOUT_BANK, SETTLEMENT_CURRENCY), total),
        ],
        memo=_("Supplier payout %(batch)s %(bank)s") % {"batch": batch, "bank": bank_reference},
        actor=actor,
    )
    for line in lines:
        _payable_apply(payables[line.payable_id], to_status=PS.PAID, actor=actor, reason=str(batch))
    states.apply(
        batch,
        to=BS.PAID,
        actor=actor,
        reason=bank_reference,
        changes={
            "transaction": tx,
            "paid_at": timezone.now(),
            "bank_reference": bank_reference[:64],
        },
    )
    return batch


@transaction.atomic
def payout_batch_cancel(*, batch: PayoutBatch, actor: User, reason: str = "") -> PayoutBatch:
    """Abandon a draft or exported batch: its payables are open again and can be rebuilt into
    a new batch. A paid batch cannot be cancelled."""
    _require_payout_permission(actor)
    batch = states.lock(batch)
    if batch.status == BS.CANCELLED:
        return batch
    if not batch.can_become(BS.CANCELLED):
        raise states.refusal(batch, BS.CANCELLED)
    lines = list(batch.lines.filter(active=True).order_by("payable_id"))
    payables = SupplierPayable.objects.select_for_update().filter(
        pk__in=[line.payable_id for line in lines]
    )
    by_pk = {p.pk: p for p in payables.order_by("pk")}
    PayoutLine.objects.filter(pk__in=[line.pk for line in lines]).update(active=False)
    for line in lines:
        _payable_apply(
            by_pk[line.payable_id],
            to_status=PS.OPEN,
            actor=actor,
            reason=_("%(batch)s cancelled") % {"batch": batch},
        )
    states.apply(batch, to=BS.CANCELLED, actor=actor, reason=reason)
    return batch


# --- Bank file ------------------------------------------------------------------------------------

BANK_CSV_HEADER = [
    "收款人 Payee name",
    "账号 Account number",
    "开户行 Bank",
    "金额 Amount (CNY)",
    "用途/附言 Reference",
]


def payout_bank_csv(*, batch: PayoutBatch) -> bytes:
    """The bank upload: one transfer per payable, UTF-8 with a BOM (what Chinese banks' upload
    tools and Excel read as UTF-8). The reference carries the batch and purchase order."""
    if batch.status not in (BS.EXPORTED, BS.PAID):
        raise PayoutError(_("Export the batch first; a draft may still change."))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(BANK_CSV_HEADER)
    lines = batch.lines.filter(active=True).select_related("payable").order_by("payable_id")
    for line in lines:
        payable = line.payable
        writer.writerow(
            [
                _csv_safe(payable.payee_name),
                _csv_safe(payable.payee_account),
                _csv_safe(payable.payee_bank),
                f"{line.amount_cny:.2f}",
                f"{batch.reference} {payable.reference}",
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_safe(text: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def batch_with_lines(*, pk: int) -> PayoutBatch | None:
    return (
        PayoutBatch.objects.select_related("created_by", "transaction")
        .prefetch_related("events__actor")
        .filter(pk=pk)
        .first()
    )


def batch_lines(*, batch: PayoutBatch) -> QuerySet[PayoutLine]:
    return (
        batch.lines.filter(active=True)
        .select_related("payable__company")
        .order_by("payable__supplier_reference", "payable_id")
    )
