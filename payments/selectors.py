"""Reads for payments. Other apps show prices through these (DESIGN.md, Layers)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, QuerySet, Sum
from django.utils import timezone

from payments.models import (
    Account,
    FeeSchedule,
    FeeTier,
    FxMarkup,
    FxRate,
    LedgerTransaction,
    Posting,
    TopUp,
)
from payments.money import bps, quantize
from procurement.accounts.currencies import SETTLEMENT_CURRENCY, WALLET_CURRENCIES
from procurement.accounts.models import Company

FEE_VOLUME_WINDOW = timedelta(days=30)
_LEDGER_PLACES = Decimal("0.0001")


def ledger_sum(value) -> Decimal:
    """A database SUM as an exact Decimal at the ledger's precision (SQLite sums decimals as
    floats; PostgreSQL's numeric is exact already)."""
    return Decimal(str(value or 0)).quantize(_LEDGER_PLACES)


_read_once: ContextVar[dict | None] = ContextVar("payments_read_once", default=None)


@contextmanager
def payments_read_once() -> Iterator[None]:
    """Within the block, each exchange rate, markup, the fee schedule and a company's paid
    volume are read once.

    One operation (a checkout, a payment, a store order's intake) prices the same amount
    several times: the landed cost shown, the order's, its FX quote's. Each asked for the same
    rates again (up to four queries a pair, seven pairs an order). Rates are append-only
    history, and the operation itself changes none of these figures before it last reads them,
    so one read is the same answer. Blocks nest: an inner one shares the outer one's reads.
    Used as a decorator, each call is its own block."""
    if _read_once.get() is not None:
        yield
        return
    token = _read_once.set({})
    try:
        yield
    finally:
        _read_once.reset(token)


def _once[T](key: tuple, read: Callable[[], T]) -> T:
    """`read()`, remembered under `key` inside a `payments_read_once` block."""
    memo = _read_once.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]


def fx_max_rate_age() -> timedelta:
    return timedelta(hours=int(getattr(settings, "FX_MAX_RATE_AGE_HOURS", 96)))


def fx_default_markup_bps() -> int:
    return int(getattr(settings, "FX_DEFAULT_MARKUP_BPS", 150))


# --- FX ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObservedRate:
    """1 `from` = `rate` `to`, as observed at `as_of` (the older observation for a cross)."""

    rate: Decimal
    as_of: datetime


def fx_rate_latest(*, base: str, quote: str, at: datetime | None = None) -> FxRate | None:
    """The newest observation of the pair, or the newest at or before `at`."""
    rates = FxRate.objects.filter(base=base, quote=quote)
    if at is not None:
        return rates.filter(as_of__lte=at).order_by("-as_of", "-pk").first()
    return _once(("rate", base, quote), rates.order_by("-as_of", "-pk").first)


def fx_mid_rate_observed(
    *, from_currency: str, to_currency: str, at: datetime | None = None
) -> ObservedRate | None:
    """The freshest mid rate for the pair (as known at `at`, when given): direct, inverted, or
    crossed through EUR."""
    if from_currency == to_currency:
        return ObservedRate(rate=Decimal(1), as_of=at or timezone.now())
    candidates: list[ObservedRate] = []
    direct = fx_rate_latest(base=from_currency, quote=to_currency, at=at)
    if direct:
        candidates.append(ObservedRate(rate=direct.rate, as_of=direct.as_of))
    inverse = fx_rate_latest(base=to_currency, quote=from_currency, at=at)
    if inverse:
        candidates.append(ObservedRate(rate=Decimal(1) / inverse.rate, as_of=inverse.as_of))
    if "EUR" not in (from_currency, to_currency):
        via_from = fx_rate_latest(base="EUR", quote=from_currency, at=at)
        via_to = fx_rate_latest(base="EUR", quote=to_currency, at=at)
        if via_from and via_to:
            candidates.append(
                ObservedRate(
                    rate=via_to.rate / via_from.rate, as_of=min(via_from.as_of, via_to.as_of)
                )
            )
    if not candidates:
        return None
    return max(candidates, key=lambda c: c.as_of)


@dataclass(frozen=True)
class DayRate:
    """The mid rate that held on `day`: the last observation on or before it (the ECB publishes
    on TARGET working days only, so a weekend shows the Friday rate, with its own date)."""

    currency: str
    to_currency: str
    day: date
    rate: Decimal | None
    as_of: datetime | None

    @property
    def observed_on_day(self) -> bool:
        return self.as_of is not None and timezone.localdate(self.as_of) == self.day


def fx_rate_of_day(*, day: date, from_currency: str, to_currency: str) -> DayRate:
    """1 `from_currency` = rate `to_currency` as it stood at the end of `day` (project time)."""
    end = timezone.make_aware(datetime.combine(day, time.max))
    observed = fx_mid_rate_observed(from_currency=from_currency, to_currency=to_currency, at=end)
    return DayRate(
        currency=from_currency,
        to_currency=to_currency,
        day=day,
        rate=observed.rate if observed else None,
        as_of=observed.as_of if observed else None,
    )


def fx_rates_of_day(*, day: date, to_currency: str = SETTLEMENT_CURRENCY) -> list[DayRate]:
    """The rate of `day` from every wallet currency to `to_currency`, for finance's FX page."""
    return [
        fx_rate_of_day(day=day, from_currency=code, to_currency=to_currency)
        for code, _label in WALLET_CURRENCIES
        if code != to_currency
    ]


def fx_mid_rate(*, from_currency: str, to_currency: str) -> Decimal | None:
    """Mid rate to turn 1 `from_currency` into `to_currency`, directly, inverted or through EUR.

    None when no rate is known. For display only: checkout uses a locked quote instead.
    """
    observed = fx_mid_rate_observed(from_currency=from_currency, to_currency=to_currency)
    return observed.rate if observed else None


def convert_for_display(*, amount: Decimal, from_currency: str, to_currency: str) -> Decimal | None:
    rate = fx_mid_rate(from_currency=from_currency, to_currency=to_currency)
    if rate is None:
        return None
    return quantize(amount * rate, to_currency)


def fx_markup_bps(*, currency: str) -> int:
    """The markup charged when paying from a `currency` wallet, as shown to the merchant."""
    markup = _once(("markup", currency), FxMarkup.objects.filter(currency=currency).first)
    return markup.markup_bps if markup else fx_default_markup_bps()


# --- Fees ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeQuote:
    """What the merchant pays as a service fee, and how far it is to a cheaper tier."""

    schedule_id: int
    rate_bps: int
    tier_number: int  # 1 for the first (most expensive) tier
    tier_floor_usd: Decimal
    volume_usd: Decimal  # trailing 30-day paid volume before this order
    next_tier_threshold_usd: Decimal | None
    next_tier_rate_bps: int | None
    distance_to_next_tier_usd: Decimal | None
    minimum_fee_usd: Decimal
    fee_usd: Decimal  # for `amount_usd`, never below the minimum
    # The distance to the next tier in the company's currency (at today's mid rate), so a EUR
    # merchant reads euros; USD when no rate is known.
    currency: str = "USD"
    distance_to_next_tier: Decimal | None = None

    @property
    def rate_percent(self) -> Decimal:
        return Decimal(self.rate_bps) / 100


def fee_schedule_in_force(*, at: datetime | None = None) -> FeeSchedule | None:
    if at is None:
        return _once(("fee schedule",), lambda: fee_schedule_in_force(at=timezone.now()))
    return (
        FeeSchedule.objects.filter(effective_from__lte=at)
        .prefetch_related("tiers")
        .order_by("-effective_from", "-pk")
        .first()
    )


def paid_volume_usd(*, company: Company, at: datetime | None = None) -> Decimal:
    """The company's paid volume over the 30 days before `at`, in USD at each payment's rate."""
    if at is None:
        return _once(
            ("paid volume", company.pk), lambda: paid_volume_usd(company=company, at=timezone.now())
        )
    total = LedgerTransaction.objects.filter(
        company=company, created_at__gt=at - FEE_VOLUME_WINDOW, created_at__lte=at
    ).aggregate(total=Sum("volume_usd"))["total"]
    return max(ledger_sum(total), Decimal(0))


def fee_quote(
    *, company: Company, amount_usd: Decimal, at: datetime | None = None
) -> FeeQuote | None:
    """The fee for an order worth `amount_usd`, at the company's current tier.

    The tier comes from the trailing 30-day volume before this order; its rate applies to the
    whole order (not marginally). None when no fee schedule is in force.
    """
    schedule = fee_schedule_in_force(at=at)
    if schedule is None:
        return None
    tiers: list[FeeTier] = sorted(schedule.tiers.all(), key=lambda t: t.volume_from_usd)
    if not tiers:
        return None
    volume = paid_volume_usd(company=company, at=at)
    index = 0
    for i, tier in enumerate(tiers):
        if volume >= tier.volume_from_usd:
            index = i
    tier = tiers[index]
    following = tiers[index + 1] if index + 1 < len(tiers) else None
    fee = max(quantize(Decimal(amount_usd) * bps(tier.rate_bps), "USD"), schedule.minimum_fee_usd)
    distance_usd = (following.volume_from_usd - volume) if following else None
    currency, distance = "USD", distance_usd
    if distance_usd is not None and company.wallet_currency != "USD":
        converted = convert_for_display(
            amount=distance_usd, from_currency="USD", to_currency=company.wallet_currency
        )
        if converted is not None:
            currency, distance = company.wallet_currency, converted
    return FeeQuote(
        schedule_id=schedule.pk,
        rate_bps=tier.rate_bps,
        tier_number=index + 1,
        tier_floor_usd=tier.volume_from_usd,
        volume_usd=volume,
        next_tier_threshold_usd=following.volume_from_usd if following else None,
        next_tier_rate_bps=following.rate_bps if following else None,
        distance_to_next_tier_usd=distance_usd,
        minimum_fee_usd=schedule.minimum_fee_usd,
        fee_usd=fee,
        currency=currency,
        distance_to_next_tier=distance,
    )


# --- Ledger and wallets ---------------------------------------------------------------------------


def wallet_accounts(*, company: Company) -> QuerySet[Account]:
    return Account.objects.filter(company=company, kind=Account.Kind.WALLET).order_by("currency")


def wallet_balance(*, company: Company, currency: str) -> Decimal:
    account = wallet_accounts(company=company).filter(currency=currency).first()
    return account.balance if account else quantize(Decimal(0), currency)


def wallet_statement(
    *,
    company: Company,
    currency: str | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    kind: str | None = None,
) -> QuerySet[Posting]:
    """The company's wallet postings, newest first, each with the balance after it."""
    qs = Posting.objects.filter(
        account__company=company, account__kind=Account.Kind.WALLET
    ).select_related("transaction", "account")
    if currency:
        qs = qs.filter(currency=currency)
    if date_from:
        qs = qs.filter(transaction__created_at__gte=date_from)
    if date_to:
        qs = qs.filter(transaction__created_at__lt=date_to)
    if kind:
        qs = qs.filter(transaction__kind=kind)
    return qs.order_by("-pk")


def company_top_ups(*, company: Company) -> QuerySet[TopUp]:
    return TopUp.objects.filter(company=company).select_related("created_by", "transaction")


def top_up_with_events(*, company: Company, pk: int) -> TopUp | None:
    return company_top_ups(company=company).prefetch_related("events__actor").filter(pk=pk).first()


def ledger_problems() -> list[str]:
    """Every broken ledger invariant, as sentences; empty when the books are sound.

    Checks: each transaction balances per currency, no wallet is negative, each account's cached
    balance equals the sum of its postings, every posting is in its account's currency.
    """
    problems: list[str] = []
    per_currency = Posting.objects.values("transaction_id", "currency").annotate(
        total=Sum("amount")
    )
    problems.extend(
        f"transaction {row['transaction_id']} is off by {row['total']} {row['currency']}"
        for row in per_currency
        if ledger_sum(row["total"]) != 0
    )
    problems.extend(
        f"wallet {account.pk} is negative: {account.balance}"
        for account in Account.objects.filter(kind=Account.Kind.WALLET, balance__lt=0)
    )
    sums = Account.objects.annotate(posted=Sum("postings__amount"), n=Count("postings"))
    for account in sums:
        posted = ledger_sum(account.posted)
        if posted != account.balance:
            problems.append(
                f"account {account.pk} caches {account.balance} but its postings sum to {posted}"
            )
    mismatched = Posting.objects.exclude(currency=F("account__currency"))
    problems.extend(f"posting {p.pk} is not in its account's currency" for p in mismatched)
    empty = LedgerTransaction.objects.annotate(n=Count("postings")).filter(n__lt=2)
    problems.extend(f"transaction {tx.pk} has fewer than two postings" for tx in empty)
    return problems
