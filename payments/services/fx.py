"""FX rates and locked quotes: recording rates (ECB, finance), markups, and the quote a
payment is charged at, priced by `payments.pricing`."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payments import exceptions, pricing, selectors
from payments.adapters import ecb as ecb_adapter
from payments.models import FxMarkup, FxQuote, FxRate
from payments.money import quantize, quantize_rate
from payments.services import ledger
from payments.services.wallets import _require_currency
from procurement.accounts.currencies import SETTLEMENT_CURRENCY
from procurement.accounts.models import Company, User


@dataclass(frozen=True)
class EcbImport:
    created: int
    days: int
    first: date
    last: date


_BATCH = 2000


@transaction.atomic
def fx_rates_import_ecb_file(*, xml: bytes) -> EcbImport:
    """Record every day of an ECB daily, 90-day or history file (1 EUR = rate X).

    The file is parsed whole before anything is written, so a malformed one stores nothing.
    Rows already recorded are left as they are (append-only; the unique observation
    constraint makes a second run a no-op).
    """
    days = ecb_adapter.parse_days(xml)
    ecb_rows = FxRate.objects.filter(source=FxRate.Source.ECB)
    before = ecb_rows.count()
    FxRate.objects.bulk_create(
        (
            FxRate(base="EUR", quote=code, rate=rate, source=FxRate.Source.ECB, as_of=day.as_of)
            for day in days
            for code, rate in sorted(day.rates.items())
        ),
        batch_size=_BATCH,
        ignore_conflicts=True,
    )
    return EcbImport(
        created=ecb_rows.count() - before, days=len(days), first=days[0].day, last=days[-1].day
    )


def fx_rates_import_ecb(*, xml: bytes) -> int:
    """Record an ECB file; returns how many rates were new."""
    return fx_rates_import_ecb_file(xml=xml).created


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
@selectors.payments_read_once()
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
    amount = quantize(ledger._require_positive(amount), to_currency)
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
