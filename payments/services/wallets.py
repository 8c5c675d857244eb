"""Wallets: which currencies a company's wallet may hold, and finance's manual adjustments."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from payments import exceptions
from payments.models import Account, LedgerTransaction, WalletAdjustment
from payments.money import quantize
from payments.services import ledger
from procurement.accounts.currencies import WALLET_CURRENCY_CODES
from procurement.accounts.models import Company, User

Kind = Account.Kind
TxKind = LedgerTransaction.Kind


def currency_enabled(*, company: Company, currency: str) -> bool:
    """A wallet may hold the company's wallet currency, or one it already holds."""
    if currency not in WALLET_CURRENCY_CODES:
        return False
    return (
        currency == company.wallet_currency
        or Account.objects.filter(company=company, kind=Kind.WALLET, currency=currency).exists()
    )


def _require_currency(company: Company, currency: str) -> None:
    if not currency_enabled(company=company, currency=currency):
        raise exceptions.CurrencyNotEnabled


@transaction.atomic
def manual_adjustment(
    *,
    company: Company,
    amount: Decimal,
    reason: str,
    actor: User,
    idempotency_key: str,
    currency: str | None = None,
) -> WalletAdjustment:
    """Finance credits (positive) or debits (negative) a wallet, against the adjustments
    account, with a mandatory reason. Allowed to holders of `payments.adjust_wallet` only."""
    if actor is None or not actor.has_perm("payments.adjust_wallet"):
        raise exceptions.AdjustmentNotAllowed
    reason = (reason or "").strip()
    if not reason:
        raise exceptions.AdjustmentNotAllowed(_("A reason is required for a manual adjustment."))
    currency = currency or company.wallet_currency
    _require_currency(company, currency)
    amount = Decimal(amount)
    if amount == 0 or amount != quantize(amount, currency):
        raise exceptions.InvalidAmount(
            _("Enter a non-zero amount with at most %(places)s decimals.")
            % {"places": -quantize(Decimal(1), currency).as_tuple().exponent}
        )
    found = WalletAdjustment.objects.filter(transaction__idempotency_key=idempotency_key).first()
    if found is not None:
        return found
    tx = ledger._post(
        kind=TxKind.ADJUSTMENT,
        company=company,
        reference=f"adjustment:{idempotency_key}"[:64],
        idempotency_key=idempotency_key,
        legs=[
            (ledger._wallet_account(company, currency), amount),
            (ledger._platform_account(Kind.ADJUSTMENTS, currency), -amount),
        ],
        memo=reason[:255],
        actor=actor,
    )
    adjustment = WalletAdjustment.objects.filter(transaction=tx).first()
    if adjustment is None:
        adjustment = WalletAdjustment.objects.create(
            company=company,
            currency=currency,
            amount=amount,
            reason=reason,
            transaction=tx,
            created_by=actor,
        )
    return adjustment
