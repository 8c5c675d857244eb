"""Charges paid with a locked quote (checkouts, logistics), their refunds, and the price
differences found when buying. The wallet pays in its currency; goods reach supplier payable (or
logistics revenue) in CNY through the platform's FX position accounts."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import exceptions, selectors
from payments.models import Account, FxQuote, LedgerTransaction, Posting
from payments.money import quantize
from payments.services import ledger
from payments.services.fx import fx_quote_create
from procurement.accounts.models import Company, User
from procurement.core import states

Kind = Account.Kind
TxKind = LedgerTransaction.Kind


def _lock_quote_for_use(quote: FxQuote, idempotency_key: str) -> tuple[FxQuote, object]:
    """Lock the quote; return it with the transaction already made by this key, if any."""
    quote = states.lock(quote)
    existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.quote_id != quote.pk:
            raise exceptions.IdempotencyConflict
        return quote, existing
    if not quote.can_become(FxQuote.Status.USED):
        raise exceptions.QuoteUsed
    if quote.is_expired:
        raise exceptions.QuoteExpired
    return quote, None


def _quote_legs(quote: FxQuote, *, wallet: Account, destination_kind: str) -> list:
    """Wallet pays charge + fee; the goods go through the FX legs into `destination_kind`."""
    legs = [(wallet, -(quote.charge_amount + quote.fee_amount))]
    pairs = [(destination_kind, quote.to_currency)]
    if quote.from_currency != quote.to_currency:
        pairs += [(Kind.FX_POSITION, quote.from_currency), (Kind.FX_POSITION, quote.to_currency)]
    if quote.fee_amount:
        pairs.append((Kind.FEE_REVENUE, quote.from_currency))
    platform = ledger._platform_accounts(*pairs)
    destination = platform[destination_kind, quote.to_currency]
    if quote.from_currency == quote.to_currency:
        legs.append((destination, quote.charge_amount))
    else:
        legs += [
            (platform[Kind.FX_POSITION, quote.from_currency], quote.charge_amount),
            (platform[Kind.FX_POSITION, quote.to_currency], -quote.amount),
            (destination, quote.amount),
        ]
    if quote.fee_amount:
        legs.append((platform[Kind.FEE_REVENUE, quote.from_currency], quote.fee_amount))
    return legs


def _quote_charge(
    *,
    quote: FxQuote,
    kind: str,
    destination_kind: str,
    reference: str,
    idempotency_key: str,
    actor: User | None,
    memo: str,
    related: LedgerTransaction | None = None,
    company: Company | None = None,
) -> LedgerTransaction:
    quote, existing = _lock_quote_for_use(quote, idempotency_key)
    if existing is not None:
        return existing
    # The caller's company, when it is the quote's, saves reading it again.
    company = company if company is not None and company.pk == quote.company_id else quote.company
    wallet = ledger._wallet_account(company, quote.from_currency)
    tx = ledger._post(
        kind=kind,
        company=company,
        reference=reference,
        idempotency_key=idempotency_key,
        legs=_quote_legs(quote, wallet=wallet, destination_kind=destination_kind),
        memo=memo,
        actor=actor,
        quote=quote,
        related=related,
        volume_usd=quote.amount_usd if kind != TxKind.LOGISTICS else Decimal(0),
    )
    states.apply(quote, to=FxQuote.Status.USED, actor=actor, changes={"used_at": timezone.now()})
    return tx


@transaction.atomic
def checkout_charge(
    *,
    quote: FxQuote,
    reference: str,
    idempotency_key: str,
    actor: User | None = None,
    memo: str = "",
    company: Company | None = None,
) -> LedgerTransaction:
    """Pay a checkout with a locked quote: the wallet pays charge + fee in its currency, the
    goods reach supplier payable in CNY through the FX position accounts, the fee goes to fee
    revenue. Raises InsufficientBalance, QuoteExpired, QuoteUsed; nothing is written then.
    Pass `company` to refuse a quote that belongs to another company."""
    if company is not None and quote.company_id != company.pk:
        raise exceptions.PaymentsError(_("This quote belongs to another company."))
    return _quote_charge(
        quote=quote,
        kind=TxKind.CHECKOUT,
        destination_kind=Kind.SUPPLIER_PAYABLE,
        reference=reference,
        idempotency_key=idempotency_key,
        actor=actor,
        memo=memo or _("Checkout %(reference)s") % {"reference": reference},
        company=company,
    )


@transaction.atomic
def logistics_charge(
    *,
    quote: FxQuote,
    reference: str,
    idempotency_key: str,
    actor: User | None = None,
    memo: str = "",
) -> LedgerTransaction:
    """Charge a logistics amount (freight, storage, a weight difference; priced in the quote's
    `to_currency`) to the wallet, into logistics revenue."""
    return _quote_charge(
        quote=quote,
        kind=TxKind.LOGISTICS,
        destination_kind=Kind.LOGISTICS_REVENUE,
        reference=reference,
        idempotency_key=idempotency_key,
        actor=actor,
        memo=memo or _("Logistics %(reference)s") % {"reference": reference},
    )


def _refunded_so_far(charge: LedgerTransaction) -> dict[str, Decimal]:
    """What went back to the wallet for `charge` so far, by account kind: refunds, and price
    differences settled in the merchant's favour (those carry no quote)."""
    rows = (
        Posting.objects.filter(transaction__related=charge)
        .filter(
            Q(transaction__kind=TxKind.REFUND)
            | Q(transaction__kind=TxKind.PRICE_DIFFERENCE, transaction__quote__isnull=True)
        )
        .values("account__kind")
        .annotate(total=Sum("amount"))
    )
    return {row["account__kind"]: selectors.ledger_sum(row["total"]) for row in rows}


@transaction.atomic
def wallet_refund(
    *,
    charge: LedgerTransaction,
    idempotency_key: str,
    amount: Decimal | None = None,
    actor: User | None = None,
    memo: str = "",
) -> LedgerTransaction:
    """Refund all (amount=None) or part of a checkout or logistics charge to the wallet.

    Goods are refunded first, at the charge's own client rate (the merchant gets back exactly
    what it paid per CNY); the service fee is refunded once the goods are fully refunded.
    Refunds never exceed what was charged (RefundExceedsCharge).
    """
    existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.related_id != charge.pk or existing.kind != TxKind.REFUND:
            raise exceptions.IdempotencyConflict
        return existing
    if charge.quote_id is None or charge.kind not in (
        TxKind.CHECKOUT,
        TxKind.LOGISTICS,
        TxKind.PRICE_DIFFERENCE,
    ):
        raise exceptions.PaymentsError(_("Only a charge can be refunded."))
    quote = FxQuote.objects.select_for_update().get(pk=charge.quote_id)
    wallet_currency, goods_currency = quote.from_currency, quote.to_currency
    destination_kind = (
        Kind.LOGISTICS_REVENUE if charge.kind == TxKind.LOGISTICS else Kind.SUPPLIER_PAYABLE
    )
    done = _refunded_so_far(charge)
    goods_left_cny = quote.amount + done.get(destination_kind, Decimal(0))
    fee_left = quote.fee_amount + done.get(Kind.FEE_REVENUE, Decimal(0))
    wallet_refunded = done.get(Kind.WALLET, Decimal(0))
    goods_left = quote.charge_amount - (wallet_refunded - (quote.fee_amount - fee_left))
    refundable = goods_left + fee_left
    amount = (
        refundable
        if amount is None
        else quantize(ledger._require_positive(amount), wallet_currency)
    )
    if amount <= 0 or amount > refundable:
        raise exceptions.RefundExceedsCharge
    goods = min(amount, goods_left)
    fee = amount - goods
    if goods == goods_left:
        goods_cny = goods_left_cny
    else:
        goods_cny = min(quantize(goods * quote.client_rate, goods_currency), goods_left_cny)

    company = charge.company
    legs = [(ledger._wallet_account(company, wallet_currency), amount)]
    if fee:
        legs.append((ledger._platform_account(Kind.FEE_REVENUE, wallet_currency), -fee))
    if goods:
        destination = ledger._platform_account(destination_kind, goods_currency)
        if wallet_currency == goods_currency:
            legs.append((destination, -goods))
        else:
            legs += [
                (ledger._platform_account(Kind.FX_POSITION, wallet_currency), -goods),
                (ledger._platform_account(Kind.FX_POSITION, goods_currency), goods_cny),
                (destination, -goods_cny),
            ]
    usd_share = (
        quantize(quote.amount_usd * goods_cny / quote.amount, "USD")
        if charge.volume_usd
        else Decimal(0)
    )
    return ledger._post(
        kind=TxKind.REFUND,
        company=company,
        reference=charge.reference,
        idempotency_key=idempotency_key,
        legs=legs,
        memo=memo or _("Refund of %(reference)s") % {"reference": charge.reference},
        actor=actor,
        related=charge,
        volume_usd=-usd_share,
    )


@transaction.atomic
def price_difference_adjust(
    *,
    charge: LedgerTransaction,
    difference: Decimal,
    idempotency_key: str,
    actor: User | None = None,
    memo: str = "",
    quote: FxQuote | None = None,
) -> LedgerTransaction:
    """Settle a price difference found when buying (in the charge's goods currency, CNY).

    Positive: the goods cost more; the wallet is charged through `quote` (or a fresh quote at
    the current rate with its markup, refused when the rate is stale). Negative: they cost less;
    the difference is refunded at the original charge's client rate.
    """
    existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.related_id != charge.pk:
            raise exceptions.IdempotencyConflict
        return existing
    original = charge.quote
    if charge.kind != TxKind.CHECKOUT or original is None:
        raise exceptions.PaymentsError(_("A price difference applies to a checkout."))
    difference = quantize(Decimal(difference), original.to_currency)
    if difference == 0:
        raise exceptions.InvalidAmount
    memo = memo or _("Price difference on %(reference)s") % {"reference": charge.reference}
    if difference > 0:
        if quote is None:
            quote = fx_quote_create(
                company=charge.company,
                amount=difference,
                to_currency=original.to_currency,
                from_currency=original.from_currency,
                actor=actor,
            )
        elif quote.amount != difference or quote.to_currency != original.to_currency:
            raise exceptions.PaymentsError(_("The quote does not match the price difference."))
        return _quote_charge(
            quote=quote,
            kind=TxKind.PRICE_DIFFERENCE,
            destination_kind=Kind.SUPPLIER_PAYABLE,
            reference=charge.reference,
            idempotency_key=idempotency_key,
            actor=actor,
            memo=memo,
            related=charge,
        )
    cny = -difference
    wallet_currency = original.from_currency
    back = quantize(cny / original.client_rate, wallet_currency)
    if cny > original.amount or back <= 0:
        raise exceptions.RefundExceedsCharge
    legs = [(ledger._wallet_account(charge.company, wallet_currency), back)]
    if wallet_currency == original.to_currency:
        legs.append((ledger._platform_account(Kind.SUPPLIER_PAYABLE, original.to_currency), -back))
    else:
        legs += [
            (ledger._platform_account(Kind.FX_POSITION, wallet_currency), -back),
            (ledger._platform_account(Kind.FX_POSITION, original.to_currency), cny),
            (ledger._platform_account(Kind.SUPPLIER_PAYABLE, original.to_currency), -cny),
        ]
    return ledger._post(
        kind=TxKind.PRICE_DIFFERENCE,
        company=charge.company,
        reference=charge.reference,
        idempotency_key=idempotency_key,
        legs=legs,
        memo=memo,
        actor=actor,
        related=charge,
        volume_usd=-quantize(original.amount_usd * cny / original.amount, "USD"),
    )
