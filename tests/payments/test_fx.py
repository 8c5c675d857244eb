from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from payments import exceptions, selectors, services
from payments.adapters import ecb
from payments.models import FxQuote, FxRate
from payments.money import quantize
from tests.accounts.factories import CompanyFactory
from tests.payments.factories import FxMarkupFactory, FxRateFactory, fund_wallet, seed_rates

pytestmark = pytest.mark.django_db


def test_ecb_sample_parses():
    day = ecb.parse(ecb.SAMPLE.read_bytes())
    assert day.day.isoformat() == "2026-11-26"
    assert day.rates["CNY"] == Decimal("7.8421")
    assert day.rates["JPY"] == Decimal("162.47")
    assert len(day.rates) == 30


@pytest.mark.parametrize("xml", [b"", b"<not-xml", b"<a/>", b"<Cube time='x'/>"])
def test_ecb_parser_refuses_garbage(xml):
    with pytest.raises(ecb.EcbFormatError):
        ecb.parse(xml)


def test_ecb_import_is_append_only_and_idempotent():
    xml = ecb.SAMPLE.read_bytes()
    assert services.fx_rates_import_ecb(xml=xml) == 30
    assert services.fx_rates_import_ecb(xml=xml) == 0
    assert FxRate.objects.filter(source=FxRate.Source.ECB).count() == 30


def test_ecb_refresh_reads_a_file_path():
    assert services.fx_rates_refresh_from_ecb(url=str(ecb.SAMPLE)) == 30


def test_beat_task_refreshes_from_the_configured_source(settings):
    from payments.tasks import fx_rates_refresh

    settings.FX_ECB_URL = str(ecb.SAMPLE)
    assert fx_rates_refresh.delay().get() == 30


def test_mid_rate_crosses_through_eur_and_prefers_the_freshest(rates):
    cross = selectors.fx_mid_rate(from_currency="USD", to_currency="CNY")
    assert cross == Decimal("7.8421") / Decimal("1.0825")
    FxRateFactory(base="USD", quote="CNY", rate=Decimal("7.0"), as_of=timezone.now())
    assert selectors.fx_mid_rate(from_currency="USD", to_currency="CNY") == Decimal("7.0")
    FxRateFactory(
        base="USD", quote="CNY", rate=Decimal("6.0"), as_of=timezone.now() - timedelta(days=30)
    )
    assert selectors.fx_mid_rate(from_currency="USD", to_currency="CNY") == Decimal("7.0")


def test_quote_discloses_mid_markup_and_client_rate(company, rates):
    FxMarkupFactory(currency="USD", markup_bps=200)
    quote = services.fx_quote_create(company=company, amount=Decimal("7244.43"))
    mid = quantize(Decimal("7.8421") / Decimal("1.0825"), "USD")  # display check only
    assert quantize(quote.mid_rate, "USD") == mid
    assert quote.markup_bps == 200
    assert quote.client_rate == (quote.mid_rate * Decimal("0.98")).quantize(Decimal("1E-10"))
    assert quote.charge_amount == quantize(quote.amount / quote.client_rate, "USD")
    at_mid = quantize(quote.amount / quote.mid_rate, "USD")
    assert quote.markup_amount == quote.charge_amount - at_mid
    assert quote.markup_amount > 0
    assert abs(quote.expires_at - quote.created_at - timedelta(minutes=15)) < timedelta(seconds=1)


def test_default_markup_applies_without_a_row(company, rates, settings):
    settings.FX_DEFAULT_MARKUP_BPS = 75
    quote = services.fx_quote_create(company=company, amount=Decimal("100"))
    assert quote.markup_bps == 75


def test_jpy_quote_charges_whole_yen(rates):
    company = CompanyFactory(wallet_currency="JPY")
    quote = services.fx_quote_create(company=company, amount=Decimal("1234.56"))
    assert quote.from_currency == "JPY"
    assert quote.charge_amount == quote.charge_amount.to_integral_value()
    assert quote.charge_amount == quantize(Decimal("1234.56") / quote.client_rate, "JPY")


def test_stale_rate_refuses_with_a_clear_message(company, settings):
    settings.FX_MAX_RATE_AGE_HOURS = 48
    seed_rates(age=timedelta(hours=49))
    with pytest.raises(exceptions.RateStale) as caught:
        services.fx_quote_create(company=company, amount=Decimal("100"))
    assert "current exchange rate" in str(caught.value)
    assert not FxQuote.objects.exists()


def test_missing_rate_refuses(company):
    with pytest.raises(exceptions.RateUnavailable):
        services.fx_quote_create(company=company, amount=Decimal("100"))


def test_currency_not_enabled(company, rates):
    with pytest.raises(exceptions.CurrencyNotEnabled):
        services.fx_quote_create(company=company, amount=Decimal("100"), from_currency="EUR")
    with pytest.raises(exceptions.CurrencyNotEnabled):
        services.fx_quote_create(company=company, amount=Decimal("100"), from_currency="CNY")


def test_expired_quote_cannot_pay(company, rates):
    fund_wallet(company, "1000")
    with override_settings(FX_QUOTE_TTL_SECONDS=60):
        quote = services.fx_quote_create(company=company, amount=Decimal("100"))
    FxQuote.objects.filter(pk=quote.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(exceptions.QuoteExpired):
        services.checkout_charge(quote=quote, reference="order:1", idempotency_key="order:1:pay")
    assert selectors.wallet_balance(company=company, currency="USD") == Decimal("1000")


def test_quote_is_single_use(company, rates):
    fund_wallet(company, "1000")
    quote = services.fx_quote_create(company=company, amount=Decimal("100"))
    first = services.checkout_charge(quote=quote, reference="order:1", idempotency_key="a")
    # Same key: the same transaction, not a second charge.
    again = services.checkout_charge(quote=quote, reference="order:1", idempotency_key="a")
    assert again.pk == first.pk
    with pytest.raises(exceptions.QuoteUsed):
        services.checkout_charge(quote=quote, reference="order:2", idempotency_key="b")
    quote.refresh_from_db()
    assert quote.status == FxQuote.Status.USED
    assert quote.used_at is not None


def test_rate_entered_by_finance_is_appended(finance):
    rate = services.fx_rate_record(base="usd", quote="cny", rate=Decimal("7.1"), actor=finance)
    assert (rate.base, rate.quote, rate.source, rate.created_by) == (
        "USD",
        "CNY",
        FxRate.Source.MANUAL,
        finance,
    )


def test_only_finance_enters_rates(staff_user):
    with pytest.raises(exceptions.PaymentsError):
        services.fx_rate_record(base="USD", quote="CNY", rate=Decimal("7.1"), actor=staff_user)


def test_display_conversion_keeps_its_contract(rates):
    """catalog shows prices through these; checkout never does."""
    assert selectors.convert_for_display(
        amount=Decimal("100"), from_currency="CNY", to_currency="USD"
    ) == quantize(Decimal("100") * Decimal("1.0825") / Decimal("7.8421"), "USD")
    assert selectors.convert_for_display(
        amount=Decimal("100"), from_currency="CNY", to_currency="JPY"
    ) == quantize(Decimal("100") * Decimal("162.47") / Decimal("7.8421"), "JPY")
    assert selectors.fx_mid_rate(from_currency="USD", to_currency="USD") == 1
    assert selectors.fx_mid_rate(from_currency="USD", to_currency="XXX") is None
