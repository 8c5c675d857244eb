"""Every write that moves money or changes payment state.

Ledger rules carried here (DESIGN.md, Money rules):

* A transaction's postings sum to zero in each currency; an exchange is two balanced legs
  through the platform's FX position accounts.
* Every money-moving service takes an `idempotency_key`; the same key returns the transaction
  already written and never posts twice. A key reused for something else raises
  IdempotencyConflict.
* Locks are taken in one order: the domain row (quote, top-up) first, then the ledger accounts
  in primary-key order. Wallet balances are checked under those locks and never go negative.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import exceptions, pricing, selectors
from payments.adapters import ecb as ecb_adapter
from payments.adapters import get_gateway
from payments.adapters.base import GatewayNotification, PaymentStatus
from payments.models import (
    Account,
    FxMarkup,
    FxQuote,
    FxRate,
    GatewayEvent,
    LedgerTransaction,
    Posting,
    TopUp,
    TopUpEvent,
    WalletAdjustment,
)
from payments.money import quantize, quantize_rate
from procurement.accounts.currencies import SETTLEMENT_CURRENCY, WALLET_CURRENCY_CODES
from procurement.accounts.models import Company, User

logger = logging.getLogger(__name__)

Kind = Account.Kind
TxKind = LedgerTransaction.Kind

# --- Ledger core ---------------------------------------------------------------------------------


def _platform_account(kind: str, currency: str) -> Account:
    account, _created = Account.objects.get_or_create(kind=kind, company=None, currency=currency)
    return account


def _wallet_account(company: Company, currency: str) -> Account:
    account, _created = Account.objects.get_or_create(
        kind=Kind.WALLET, company=company, currency=currency
    )
    return account


def _existing(idempotency_key: str, *, kind: str, company: Company | None):
    tx = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if tx is not None and (tx.kind != kind or tx.company_id != (company.pk if company else None)):
        raise exceptions.IdempotencyConflict
    return tx


def _post(
    *,
    kind: str,
    company: Company | None,
    reference: str,
    idempotency_key: str,
    legs: Iterable[tuple[Account, Decimal]],
    memo: str = "",
    actor: User | None = None,
    quote: FxQuote | None = None,
    related: LedgerTransaction | None = None,
    volume_usd: Decimal = Decimal(0),
) -> LedgerTransaction:
    """Write one balanced transaction. The caller holds `transaction.atomic`."""
    if not idempotency_key:
        raise ValueError("an idempotency key is required")
    per_account: dict[int, Decimal] = defaultdict(Decimal)
    accounts: dict[int, Account] = {}
    for account, amount in legs:
        if amount != quantize(amount, account.currency):
            raise ValueError(f"{amount} is not rounded to {account.currency}'s minor unit")
        per_account[account.pk] += amount
        accounts[account.pk] = account
    per_currency: dict[str, Decimal] = defaultdict(Decimal)
    for pk, amount in per_account.items():
        per_currency[accounts[pk].currency] += amount
    if any(total != 0 for total in per_currency.values()):
        raise ValueError(f"unbalanced transaction: {dict(per_currency)}")
    moving = {pk: amount for pk, amount in per_account.items() if amount != 0}
    if len(moving) < 2:
        raise ValueError("a transaction needs at least two non-zero postings")

    locked = list(Account.objects.select_for_update().filter(pk__in=moving).order_by("pk"))
    # Checked again under the account locks: a concurrent twin committed first wins.
    existing = _existing(idempotency_key, kind=kind, company=company)
    if existing is not None:
        return existing
    for account in locked:
        new_balance = account.balance + moving[account.pk]
        if account.kind == Kind.WALLET and new_balance < 0:
            raise exceptions.InsufficientBalance
        account.balance = new_balance

    tx = LedgerTransaction.objects.create(
        kind=kind,
        company=company,
        reference=reference,
        idempotency_key=idempotency_key,
        memo=memo[:255],
        actor=actor if actor is not None and actor.is_authenticated else None,
        quote=quote,
        related=related,
        volume_usd=volume_usd,
    )
    Posting.objects.bulk_create(
        Posting(
            transaction=tx,
            account=account,
            amount=moving[account.pk],
            currency=account.currency,
            balance_after=account.balance,
        )
        for account in locked
    )
    for account in locked:
        account.save(update_fields=["balance"])
    return tx


def _require_positive(amount: Decimal) -> Decimal:
    amount = Decimal(amount)
    if amount <= 0:
        raise exceptions.InvalidAmount
    return amount


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


# --- FX rates and quotes ------------------------------------------------------------------------


@transaction.atomic
def fx_rates_import_ecb(*, xml: bytes) -> int:
    """Record the rates of one ECB daily file (1 EUR = rate X); returns how many were new."""
    day = ecb_adapter.parse(xml)
    rows = [
        FxRate(base="EUR", quote=code, rate=rate, source=FxRate.Source.ECB, as_of=day.as_of)
        for code, rate in sorted(day.rates.items())
    ]
    before = FxRate.objects.filter(source=FxRate.Source.ECB, as_of=day.as_of).count()
    FxRate.objects.bulk_create(rows, ignore_conflicts=True)
    return FxRate.objects.filter(source=FxRate.Source.ECB, as_of=day.as_of).count() - before


def fx_rates_refresh_from_ecb(*, url: str | None = None) -> int:
    """Fetch the ECB daily file (a URL or a file path; FX_ECB_URL by default) and record it."""
    return fx_rates_import_ecb(xml=ecb_adapter.fetch(url))


@transaction.atomic
def fx_rate_record(
    *, base: str, quote: str, rate: Decimal, actor: User, as_of: datetime | None = None
) -> FxRate:
    """Manual rate entry by finance: appended to the history, never replacing a row."""
    if not actor.has_perm("payments.add_fxrate"):
        raise exceptions.PaymentsError(_("Only Finance may enter exchange rates."))
    rate = Decimal(rate)
    if rate <= 0 or base == quote:
        raise exceptions.PaymentsError(_("Enter a positive rate between two different currencies."))
    return FxRate.objects.create(
        base=base.upper(),
        quote=quote.upper(),
        rate=quantize_rate(rate),
        source=FxRate.Source.MANUAL,
        as_of=as_of or timezone.now(),
        created_by=actor,
    )


@transaction.atomic
def fx_markup_set(*, currency: str, markup_bps: int, actor: User) -> FxMarkup:
    if not actor.has_perm("payments.change_fxmarkup"):
        raise exceptions.PaymentsError(_("Only Finance may change FX markups."))
    markup, _created = FxMarkup.objects.update_or_create(
        currency=currency.upper(), defaults={"markup_bps": markup_bps, "updated_by": actor}
    )
    return markup


def _observed_rate(from_currency: str, to_currency: str) -> selectors.ObservedRate:
    observed = selectors.fx_mid_rate_observed(from_currency=from_currency, to_currency=to_currency)
    if observed is None:
        raise exceptions.RateUnavailable
    if timezone.now() - observed.as_of > selectors.fx_max_rate_age():
        raise exceptions.RateStale
    return observed


def fx_quote_ttl() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "FX_QUOTE_TTL_SECONDS", 900)))


@transaction.atomic
def fx_quote_create(
    *,
    company: Company,
    amount: Decimal,
    to_currency: str = SETTLEMENT_CURRENCY,
    from_currency: str | None = None,
    with_fee: bool = False,
    actor: User | None = None,
) -> FxQuote:
    """Lock the price of buying `amount` `to_currency` (CNY by default) from the company's wallet.

    The mid rate is the freshest observation (refused when older than FX_MAX_RATE_AGE_HOURS);
    the client rate, charge, markup and fee are `payments.pricing.price()`'s, the same figures
    the checkout's landed cost shows. With `with_fee`, the service fee for the company's tier is
    added (at least the schedule's minimum converted at the mid rate).
    """
    from_currency = from_currency or company.wallet_currency
    _require_currency(company, from_currency)
    amount = quantize(_require_positive(amount), to_currency)
    if amount <= 0:
        raise exceptions.InvalidAmount
    observed = _observed_rate(from_currency, to_currency)
    markup_bps = (
        0 if from_currency == to_currency else selectors.fx_markup_bps(currency=from_currency)
    )
    to_usd = _observed_rate(to_currency, "USD")
    amount_usd = quantize(amount * to_usd.rate, "USD")
    fee = selectors.fee_quote(company=company, amount_usd=amount_usd) if with_fee else None
    price = pricing.price(
        amount=amount,
        currency=from_currency,
        goods_currency=to_currency,
        mid_rate=observed.rate,
        markup_bps=markup_bps,
        fee_bps=fee.rate_bps if fee is not None else 0,
        minimum_fee_usd=fee.minimum_fee_usd if fee is not None else Decimal(0),
        usd_rate=_observed_rate("USD", from_currency).rate if fee is not None else None,
    )
    return FxQuote.objects.create(
        company=company,
        from_currency=from_currency,
        to_currency=to_currency,
        amount=price.amount,
        mid_rate=price.mid_rate,
        rate_as_of=observed.as_of,
        markup_bps=markup_bps,
        client_rate=price.client_rate,
        charge_amount=price.charge,
        markup_amount=price.markup_amount,
        amount_usd=amount_usd,
        fee_bps=price.fee_bps,
        fee_amount=price.fee,
        expires_at=timezone.now() + fx_quote_ttl(),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )


def _lock_quote_for_use(quote: FxQuote, idempotency_key: str) -> tuple[FxQuote, object]:
    """Lock the quote; return it with the transaction already made by this key, if any."""
    quote = FxQuote.objects.select_for_update().get(pk=quote.pk)
    existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.quote_id != quote.pk:
            raise exceptions.IdempotencyConflict
        return quote, existing
    if quote.status == FxQuote.Status.USED:
        raise exceptions.QuoteUsed
    if quote.is_expired:
        raise exceptions.QuoteExpired
    return quote, None


def _quote_legs(quote: FxQuote, *, wallet: Account, destination_kind: str) -> list:
    """Wallet pays charge + fee; the goods go through the FX legs into `destination_kind`."""
    legs = [(wallet, -(quote.charge_amount + quote.fee_amount))]
    destination = _platform_account(destination_kind, quote.to_currency)
    if quote.from_currency == quote.to_currency:
        legs.append((destination, quote.charge_amount))
    else:
        legs += [
            (_platform_account(Kind.FX_POSITION, quote.from_currency), quote.charge_amount),
            (_platform_account(Kind.FX_POSITION, quote.to_currency), -quote.amount),
            (destination, quote.amount),
        ]
    if quote.fee_amount:
        legs.append((_platform_account(Kind.FEE_REVENUE, quote.from_currency), quote.fee_amount))
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
) -> LedgerTransaction:
    quote, existing = _lock_quote_for_use(quote, idempotency_key)
    if existing is not None:
        return existing
    company = quote.company
    wallet = _wallet_account(company, quote.from_currency)
    tx = _post(
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
    quote.status = FxQuote.Status.USED
    quote.used_at = timezone.now()
    quote.save(update_fields=["status", "used_at"])
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
    amount = refundable if amount is None else quantize(_require_positive(amount), wallet_currency)
    if amount <= 0 or amount > refundable:
        raise exceptions.RefundExceedsCharge
    goods = min(amount, goods_left)
    fee = amount - goods
    if goods == goods_left:
        goods_cny = goods_left_cny
    else:
        goods_cny = min(quantize(goods * quote.client_rate, goods_currency), goods_left_cny)

    company = charge.company
    legs = [(_wallet_account(company, wallet_currency), amount)]
    if fee:
        legs.append((_platform_account(Kind.FEE_REVENUE, wallet_currency), -fee))
    if goods:
        destination = _platform_account(destination_kind, goods_currency)
        if wallet_currency == goods_currency:
            legs.append((destination, -goods))
        else:
            legs += [
                (_platform_account(Kind.FX_POSITION, wallet_currency), -goods),
                (_platform_account(Kind.FX_POSITION, goods_currency), goods_cny),
                (destination, -goods_cny),
            ]
    usd_share = (
        quantize(quote.amount_usd * goods_cny / quote.amount, "USD")
        if charge.volume_usd
        else Decimal(0)
    )
    return _post(
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
    legs = [(_wallet_account(charge.company, wallet_currency), back)]
    if wallet_currency == original.to_currency:
        legs.append((_platform_account(Kind.SUPPLIER_PAYABLE, original.to_currency), -back))
    else:
        legs += [
            (_platform_account(Kind.FX_POSITION, wallet_currency), -back),
            (_platform_account(Kind.FX_POSITION, original.to_currency), cny),
            (_platform_account(Kind.SUPPLIER_PAYABLE, original.to_currency), -cny),
        ]
    return _post(
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
    tx = _post(
        kind=TxKind.ADJUSTMENT,
        company=company,
        reference=f"adjustment:{idempotency_key}"[:64],
        idempotency_key=idempotency_key,
        legs=[
            (_wallet_account(company, currency), amount),
            (_platform_account(Kind.ADJUSTMENTS, currency), -amount),
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


# --- Top-ups -------------------------------------------------------------------------------------

TOP_UP_TRANSITIONS: dict[str, frozenset[str]] = {
    TopUp.Status.PENDING: frozenset(
        {TopUp.Status.SUCCEEDED, TopUp.Status.FAILED, TopUp.Status.EXPIRED}
    ),
    # Money the provider confirms after we gave up on it is still the merchant's money.
    TopUp.Status.FAILED: frozenset({TopUp.Status.SUCCEEDED}),
    TopUp.Status.EXPIRED: frozenset({TopUp.Status.SUCCEEDED}),
    TopUp.Status.SUCCEEDED: frozenset(),
}


def top_up_limits(currency: str) -> tuple[Decimal, Decimal]:
    low = Decimal(str(getattr(settings, "TOPUP_MIN_AMOUNT", "10")))
    high = Decimal(str(getattr(settings, "TOPUP_MAX_AMOUNT", "1000000")))
    return low, high


def top_up_ttl() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "TOPUP_TTL_MINUTES", 60)))


def top_up_create(
    *,
    company: Company,
    amount: Decimal,
    actor: User | None,
    currency: str | None = None,
    gateway: str | None = None,
) -> TopUp:
    """Open a pending top-up and register it with the gateway; `redirect_url` is the payment
    page to send the payer to. The gateway call happens outside any database transaction."""
    currency = currency or company.wallet_currency
    _require_currency(company, currency)
    amount = Decimal(amount)
    low, high = top_up_limits(currency)
    if amount != quantize(amount, currency) or not (low <= amount <= high):
        raise exceptions.InvalidAmount(
            _("Enter an amount between %(low)s and %(high)s %(currency)s.")
            % {"low": low, "high": high, "currency": currency}
        )
    adapter = get_gateway(gateway)
    with transaction.atomic():
        top_up = TopUp.objects.create(
            company=company,
            gateway=adapter.name,
            amount=amount,
            currency=currency,
            created_by=actor if actor is not None and actor.is_authenticated else None,
            expires_at=timezone.now() + top_up_ttl(),
        )
        TopUpEvent.objects.create(
            top_up=top_up,
            from_status="",
            to_status=TopUp.Status.PENDING,
            actor=top_up.created_by,
            reason=_("Top-up started"),
        )
    site = getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/")
    try:
        created = adapter.create_payment(
            merchant_reference=top_up.reference,
            amount=amount,
            currency=currency,
            description=_("Wallet top-up for %(company)s") % {"company": company},
            return_url=site + reverse("payments:top-up-detail", args=[top_up.pk]),
            notify_url=site + reverse("payments:webhook", args=[adapter.name]),
        )
    except exceptions.GatewayError:
        top_up_transition(
            top_up=top_up, to_status=TopUp.Status.FAILED, reason=_("The gateway refused it")
        )
        raise
    TopUp.objects.filter(pk=top_up.pk).update(
        provider_reference=created.provider_reference, redirect_url=created.redirect_url
    )
    top_up.provider_reference = created.provider_reference
    top_up.redirect_url = created.redirect_url
    return top_up


@transaction.atomic
def top_up_transition(
    *,
    top_up: TopUp,
    to_status: str,
    actor: User | None = None,
    reason: str = "",
    gateway_event: GatewayEvent | None = None,
) -> TopUp:
    """The one place a top-up changes status: lock, check the table, credit on success, record."""
    top_up = TopUp.objects.select_for_update().get(pk=top_up.pk)
    if to_status not in TOP_UP_TRANSITIONS[top_up.status]:
        raise exceptions.InvalidTransition
    from_status = top_up.status
    fields = ["status", "updated_at"]
    if to_status == TopUp.Status.SUCCEEDED:
        top_up.transaction = _post(
            kind=TxKind.TOP_UP,
            company=top_up.company,
            reference=top_up.reference,
            idempotency_key=f"{top_up.reference}:credit",
            legs=[
                (_wallet_account(top_up.company, top_up.currency), top_up.amount),
                (_platform_account(Kind.GATEWAY_CLEARING, top_up.currency), -top_up.amount),
            ],
            memo=_("Top-up via %(gateway)s") % {"gateway": top_up.gateway},
            actor=actor,
        )
        fields.append("transaction")
    top_up.status = to_status
    top_up.save(update_fields=fields)
    TopUpEvent.objects.create(
        top_up=top_up,
        from_status=from_status,
        to_status=to_status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        gateway_event=gateway_event,
        reason=reason[:255],
    )
    return top_up


_STATUS_FOR = {
    PaymentStatus.SUCCEEDED: TopUp.Status.SUCCEEDED,
    PaymentStatus.FAILED: TopUp.Status.FAILED,
    PaymentStatus.EXPIRED: TopUp.Status.EXPIRED,
}


def gateway_webhook_handle(
    *, provider: str, headers: Mapping[str, str], body: bytes, path: str
) -> GatewayEvent:
    """Authenticate a provider's webhook and apply it once.

    Rejects (WebhookRejected) a bad signature or a timestamp outside the tolerance before
    touching the database. A replayed event id returns the first record and changes nothing. An
    event that does not fit the top-up's state (a "failed" after "succeeded") is recorded as
    ignored. The credit itself is idempotent per top-up, whatever arrives.
    """
    notification = get_gateway(provider).parse_webhook(headers=headers, body=body, path=path)
    return _gateway_event_apply(provider=provider, notification=notification)


@transaction.atomic
def _gateway_event_apply(*, provider: str, notification: GatewayNotification) -> GatewayEvent:
    replay = GatewayEvent.objects.filter(provider=provider, event_id=notification.event_id).first()
    if replay is not None:
        return replay
    top_up = (
        TopUp.objects.select_for_update()
        .filter(gateway=provider, provider_reference=notification.provider_reference)
        .first()
    )
    if top_up is None:
        outcome = GatewayEvent.Outcome.UNKNOWN_TOP_UP
    elif notification.status == PaymentStatus.SUCCEEDED and (
        notification.amount != top_up.amount or notification.currency != top_up.currency
    ):
        outcome = GatewayEvent.Outcome.MISMATCH
    elif _STATUS_FOR.get(notification.status) in TOP_UP_TRANSITIONS[top_up.status]:
        outcome = GatewayEvent.Outcome.APPLIED
    else:
        outcome = GatewayEvent.Outcome.IGNORED
    try:
        with transaction.atomic():
            event = GatewayEvent.objects.create(
                provider=provider,
                event_id=notification.event_id,
                event_type=notification.event_type,
                payload=notification.payload,
                top_up=top_up,
                outcome=outcome,
                signed_at=notification.signed_at,
            )
    except IntegrityError:
        # A concurrent delivery of the same event committed first.
        return GatewayEvent.objects.get(provider=provider, event_id=notification.event_id)
    if outcome == GatewayEvent.Outcome.MISMATCH:
        logger.error("gateway event %s does not match top-up %s", event.event_id, top_up.pk)
    if outcome == GatewayEvent.Outcome.APPLIED:
        top_up_transition(
            top_up=top_up,
            to_status=_STATUS_FOR[notification.status],
            reason=_("Gateway: %(type)s") % {"type": notification.event_type},
            gateway_event=event,
        )
    return event


def top_ups_expire(*, now: datetime | None = None) -> int:
    """Expire pending top-ups past their time; returns how many. Each in its own transaction."""
    now = now or timezone.now()
    count = 0
    for pk in TopUp.objects.filter(status=TopUp.Status.PENDING, expires_at__lt=now).values_list(
        "pk", flat=True
    ):
        try:
            top_up_transition(
                top_up=TopUp(pk=pk),
                to_status=TopUp.Status.EXPIRED,
                reason=_("No payment arrived in time"),
            )
            count += 1
        except exceptions.InvalidTransition:
            continue  # paid meanwhile
    return count
