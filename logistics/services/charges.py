"""Freight and storage charges, settled through the payments ledger.

Each amount is first recorded here (FreightCharge / StorageCharge, unique by key), then posted
with payments.services: a charge is `fx_quote_create` + `logistics_charge` (the wallet pays the
CNY amount at the quote's client rate, into logistics revenue); money back is `wallet_refund`
of the original charge, at that charge's own rate. `ledger_reference` holds the ledger
transaction's id; empty means not settled yet (`charges_settle_pending` retries those).
"""

import logging
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from logistics import rates
from logistics.exceptions import LogisticsError
from logistics.models import FreightCharge, Parcel, StorageCharge
from payments import exceptions as payment_errors
from payments import services as payments
from payments.models import Account, LedgerTransaction
from payments.money import quantize
from procurement.accounts.models import Company, User

logger = logging.getLogger(__name__)


#
# Each amount is first recorded here (FreightCharge / StorageCharge, unique by key), then posted
# with payments.services: a charge is `fx_quote_create` + `logistics_charge` (the wallet pays the
# CNY amount at the quote's client rate, into logistics revenue); money back is `wallet_refund`
# of the original charge, at that charge's own rate. `ledger_reference` holds the ledger
# transaction's id; empty means not settled yet (charges_settle_pending retries those).


VOID = "void"


def _wallet_movement(tx: LedgerTransaction) -> Decimal:
    """What the wallet paid in `tx` (positive) or got back (negative)."""
    posting = tx.postings.filter(account__kind=Account.Kind.WALLET).first()
    return -posting.amount if posting is not None else Decimal(0)


def _ledger_charge(
    *,
    company: Company,
    amount: Decimal,
    currency: str,
    key: str,
    reference: str,
    memo: str,
    actor: User | None,
) -> LedgerTransaction:
    existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    quote = payments.fx_quote_create(
        company=company, amount=amount, to_currency=currency, actor=actor
    )
    return payments.logistics_charge(
        quote=quote, reference=reference, idempotency_key=key, actor=actor, memo=memo
    )


def _settle_freight(charge: FreightCharge, *, actor: User | None) -> None:
    """Post one recorded freight charge to the ledger (PaymentsError when refused)."""
    parcel = charge.parcel
    company = parcel.company
    memo = f"{parcel.reference} {charge.get_kind_display()}"
    if charge.kind == FreightCharge.Kind.INSURANCE:
        tx = _ledger_charge(
            company=company,
            amount=charge.amount,
            currency=charge.currency,
            key=charge.idempotency_key,
            reference=parcel.reference,
            memo=memo,
            actor=actor,
        )
    elif charge.amount_cny > 0:
        tx = _ledger_charge(
            company=company,
            amount=charge.amount_cny,
            currency=rates.SETTLEMENT_CURRENCY,
            key=charge.idempotency_key,
            reference=parcel.reference,
            memo=memo,
            actor=actor,
        )
    else:
        tx = _ledger_refund(charge, actor=actor, memo=memo)
    charge.ledger_reference = str(tx.pk)
    charge.amount = _wallet_movement(tx)
    charge.save(update_fields=["ledger_reference", "amount"])


def _ledger_refund(charge: FreightCharge, *, actor: User | None, memo: str) -> LedgerTransaction:
    """A cancellation refund gives back all that is left of the charge it names; a negative
    packing difference gives back part of the estimate, at the estimate's own client rate."""
    if charge.kind == FreightCharge.Kind.REFUND:
        tx = LedgerTransaction.objects.get(pk=int(charge.refund_of.ledger_reference))
        amount = None
    else:
        estimate = (
            charge.parcel.charges.filter(kind=FreightCharge.Kind.ESTIMATE)
            .exclude(ledger_reference__in=["", VOID])
            .order_by("-pk")
            .first()
        )
        if estimate is None:
            raise payment_errors.PaymentsError(_("The estimate was never charged."))
        tx = LedgerTransaction.objects.select_related("quote").get(
            pk=int(estimate.ledger_reference)
        )
        amount = quantize(-charge.amount_cny / tx.quote.client_rate, tx.quote.from_currency)
    return payments.wallet_refund(
        charge=tx, idempotency_key=charge.idempotency_key, amount=amount, actor=actor, memo=memo
    )


def freight_charge_record(
    parcel: Parcel,
    *,
    kind: str,
    amount_cny: Decimal,
    amount: Decimal | None,
    key: str,
    actor: User | None = None,
    strict: bool = False,
    refund_of: FreightCharge | None = None,
) -> FreightCharge:
    """Record what the merchant owes (positive) or gets back (negative), once per key, and
    settle it. `strict`: a ledger refusal (not enough balance, no rate) is raised as a
    LogisticsError and nothing is written; otherwise the charge stays unsettled for a retry."""
    charge, created = FreightCharge.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "parcel": parcel,
            "kind": kind,
            "amount_cny": amount_cny,
            "amount": amount,
            "currency": parcel.currency,
            "refund_of": refund_of,
        },
    )
    if not created or charge.ledger_reference:
        return charge
    try:
        with transaction.atomic():
            _settle_freight(charge, actor=actor)
    except payment_errors.PaymentsError as error:
        if strict:
            raise LogisticsError(error.message) from error
        logger.warning("logistics: %s left unsettled: %s", key, error)
    return charge


def parcel_charges_refund(*, parcel: Parcel, actor: User | None) -> None:
    """Give back each charge made for a parcel that will not ship now (once per charge)."""
    refunded = set(
        parcel.charges.filter(kind=FreightCharge.Kind.REFUND).values_list("refund_of", flat=True)
    )
    for charge in parcel.charges.filter(
        kind__in=[
            FreightCharge.Kind.ESTIMATE,
            FreightCharge.Kind.INSURANCE,
            FreightCharge.Kind.ADJUSTMENT,
        ],
    ).order_by("pk"):
        if charge.pk in refunded or charge.amount_cny < 0 or charge.ledger_reference == VOID:
            continue
        if not charge.ledger_reference:
            # Never reached the ledger: void it so no retry charges a parcel that will not ship.
            charge.ledger_reference = VOID
            charge.save(update_fields=["ledger_reference"])
            continue
        freight_charge_record(
            parcel,
            kind=FreightCharge.Kind.REFUND,
            amount_cny=-charge.amount_cny,
            amount=-charge.amount if charge.amount is not None else None,
            key=f"parcel:{parcel.pk}:refund:{charge.pk}",
            actor=actor,
            refund_of=charge,
        )


def charges_settle_pending() -> int:
    """Retry posting freight and storage charges that the ledger refused before (beat)."""
    settled = 0
    for charge in (
        FreightCharge.objects.filter(ledger_reference="")
        .select_related("parcel__company", "refund_of")
        .order_by("pk")
    ):
        try:
            with transaction.atomic():
                _settle_freight(charge, actor=None)
        except payment_errors.PaymentsError as error:
            logger.info("logistics: %s still unsettled: %s", charge.idempotency_key, error)
        else:
            settled += 1
    for charge in StorageCharge.objects.filter(ledger_reference="").select_related(
        "company", "item"
    ):
        try:
            with transaction.atomic():
                storage_charge_settle(charge)
        except payment_errors.PaymentsError as error:
            logger.info("logistics: %s still unsettled: %s", charge.idempotency_key, error)
        else:
            settled += 1
    return settled


def _month_start(day: date) -> date:
    return day.replace(day=1)


def storage_charge_settle(charge: StorageCharge) -> None:
    tx = _ledger_charge(
        company=charge.company,
        amount=charge.amount_cny,
        currency=rates.SETTLEMENT_CURRENCY,
        key=charge.idempotency_key,
        reference=f"stock:{charge.item_id}",
        memo=f"Storage {charge.period:%Y-%m} item #{charge.item_id}",
        actor=None,
    )
    charge.ledger_reference = str(tx.pk)
    charge.amount = _wallet_movement(tx)
    charge.save(update_fields=["ledger_reference", "amount"])
