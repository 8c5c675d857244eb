from decimal import Decimal

import pytest
from django.urls import reverse

from payments import selectors
from payments.models import FeeSchedule, FxRate, LedgerTransaction, WalletAdjustment
from tests.payments.factories import fund_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance_client(client, finance_admin):
    client.force_login(finance_admin)
    return client


@pytest.fixture
def other_staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_finance_adjusts_a_wallet_with_a_reason(finance_client, company, finance_admin):
    url = reverse("admin:payments_walletadjustment_add")
    page = finance_client.get(url)
    assert page.status_code == 200
    key = page.context["adminform"].form.initial["idempotency_key"]
    data = {"company": company.pk, "currency": "", "amount": "25.00", "idempotency_key": key}
    missing_reason = finance_client.post(url, {**data, "reason": "   "})
    assert missing_reason.status_code == 200
    assert not WalletAdjustment.objects.exists()
    response = finance_client.post(url, {**data, "reason": "Goodwill: damaged carton"})
    assert response.status_code == 302
    adjustment = WalletAdjustment.objects.get()
    assert adjustment.created_by == finance_admin
    assert adjustment.transaction.kind == LedgerTransaction.Kind.ADJUSTMENT
    assert selectors.wallet_balance(company=company, currency="USD") == Decimal("25")
    # A double submit of the same form posts once.
    finance_client.post(url, {**data, "reason": "Goodwill: damaged carton"})
    assert selectors.wallet_balance(company=company, currency="USD") == Decimal("25")


def test_adjustment_cannot_overdraw(finance_client, company):
    url = reverse("admin:payments_walletadjustment_add")
    response = finance_client.post(
        url,
        {"company": company.pk, "amount": "-1.00", "reason": "Correction", "idempotency_key": "k"},
    )
    assert response.status_code == 200
    assert "not enough" in response.text
    assert not WalletAdjustment.objects.exists()


def test_other_staff_cannot_adjust_or_enter_rates(other_staff_client, company):
    assert other_staff_client.get(reverse("admin:payments_walletadjustment_add")).status_code == 403
    assert other_staff_client.get(reverse("admin:payments_fxrate_add")).status_code == 403


def test_ledger_is_read_only_even_for_finance(finance_client, company):
    top_up = fund_wallet(company, "10")
    tx = top_up.transaction
    change = reverse("admin:payments_ledgertransaction_change", args=[tx.pk])
    page = finance_client.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.text
    assert finance_client.post(change, {"memo": "edited"}).status_code == 403
    assert finance_client.get(reverse("admin:payments_ledgertransaction_add")).status_code == 403
    delete = reverse("admin:payments_ledgertransaction_delete", args=[tx.pk])
    assert finance_client.post(delete, {"post": "yes"}).status_code == 403
    by_reference = finance_client.get(
        reverse("admin:payments_ledgertransaction_changelist"), {"q": tx.reference}
    )
    assert tx.reference in by_reference.text
    by_account = finance_client.get(
        reverse("admin:payments_posting_changelist"), {"account__kind__exact": "wallet"}
    )
    assert by_account.status_code == 200


def test_finance_enters_a_manual_rate(finance_client, finance_admin):
    response = finance_client.post(
        reverse("admin:payments_fxrate_add"),
        {
            "base": "usd",
            "quote": "cny",
            "rate": "7.1234",
            "as_of_0": "2026-11-27",
            "as_of_1": "08:00:00",
        },
    )
    assert response.status_code == 302
    rate = FxRate.objects.get()
    assert (rate.base, rate.quote, rate.source) == ("USD", "CNY", FxRate.Source.MANUAL)
    assert rate.created_by == finance_admin
    change = reverse("admin:payments_fxrate_change", args=[rate.pk])
    assert 'name="_save"' not in finance_client.get(change).text


def test_finance_adds_a_fee_schedule_version(finance_client):
    response = finance_client.post(
        reverse("admin:payments_feeschedule_add"),
        {
            "effective_from_0": "2030-01-01",
            "effective_from_1": "00:00:00",
            "minimum_fee_usd": "4.00",
            "note": "2030 prices",
            "tiers-TOTAL_FORMS": "2",
            "tiers-INITIAL_FORMS": "0",
            "tiers-MIN_NUM_FORMS": "1",
            "tiers-MAX_NUM_FORMS": "1000",
            "tiers-0-volume_from_usd": "0",
            "tiers-0-rate_bps": "280",
            "tiers-1-volume_from_usd": "20000",
            "tiers-1-rate_bps": "200",
        },
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    assert FeeSchedule.objects.count() == 2
    seeded = FeeSchedule.objects.order_by("effective_from").first()
    change = reverse("admin:payments_feeschedule_change", args=[seeded.pk])
    assert 'name="_save"' not in finance_client.get(change).text


def test_finance_sets_a_markup_per_currency(finance_client, finance_admin, company, rates):
    from payments import services
    from payments.models import FxMarkup

    response = finance_client.post(
        reverse("admin:payments_fxmarkup_add"), {"currency": "USD", "markup_bps": "90"}
    )
    assert response.status_code == 302
    assert FxMarkup.objects.get(currency="USD").updated_by == finance_admin
    quote = services.fx_quote_create(company=company, amount=Decimal("100"))
    assert quote.markup_bps == 90


def test_top_ups_are_browsable_but_not_editable(finance_client, company):
    top_up = fund_wallet(company, "10")
    change = reverse("admin:payments_topup_change", args=[top_up.pk])
    page = finance_client.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.text
