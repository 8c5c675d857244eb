from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from payments import selectors
from payments.models import FeeSchedule, FeeTier, LedgerTransaction

pytestmark = pytest.mark.django_db


def _volume(company, usd, *, days_ago=1, key="v"):
    """Paid volume recorded the way checkouts record it (volume_usd on the transaction)."""
    return LedgerTransaction.objects.create(
        kind=LedgerTransaction.Kind.CHECKOUT,
        company=company,
        reference="order:x",
        idempotency_key=f"{key}-{usd}-{days_ago}",
        volume_usd=Decimal(usd),
        created_at=timezone.now() - timedelta(days=days_ago),
    )


def test_default_schedule_is_seeded():
    schedule = selectors.fee_schedule_in_force()
    tiers = [(t.volume_from_usd, t.rate_bps) for t in schedule.tiers.order_by("volume_from_usd")]
    assert tiers == [(0, 300), (10000, 250), (50000, 200), (200000, 150)]
    assert schedule.minimum_fee_usd == Decimal("5.00")


def test_new_merchant_pays_the_first_tier_and_sees_the_next(company):
    fee = selectors.fee_quote(company=company, amount_usd=Decimal("1000"))
    assert fee.rate_bps == 300
    assert fee.tier_number == 1
    assert fee.next_tier_threshold_usd == Decimal("10000")
    assert fee.next_tier_rate_bps == 250
    assert fee.distance_to_next_tier_usd == Decimal("10000")
    assert fee.fee_usd == Decimal("30.00")


def test_minimum_fee_applies_to_small_orders(company):
    assert selectors.fee_quote(company=company, amount_usd=Decimal("20")).fee_usd == Decimal("5")


def test_trailing_30_day_volume_sets_the_tier(company):
    _volume(company, "30000", days_ago=3)
    _volume(company, "25000", days_ago=10)
    _volume(company, "500000", days_ago=31)  # outside the window
    fee = selectors.fee_quote(company=company, amount_usd=Decimal("1000"))
    assert fee.volume_usd == Decimal("55000")
    assert fee.rate_bps == 200
    assert fee.tier_number == 3
    assert fee.distance_to_next_tier_usd == Decimal("145000")


def test_top_tier_has_no_next(company):
    _volume(company, "250000")
    fee = selectors.fee_quote(company=company, amount_usd=Decimal("1000"))
    assert fee.rate_bps == 150
    assert fee.next_tier_threshold_usd is None
    assert fee.distance_to_next_tier_usd is None


def test_a_new_version_takes_over_from_its_effective_date(company):
    future = FeeSchedule.objects.create(
        effective_from=timezone.now() + timedelta(days=1), minimum_fee_usd=Decimal("3")
    )
    FeeTier.objects.create(schedule=future, volume_from_usd=0, rate_bps=100)
    assert selectors.fee_quote(company=company, amount_usd=Decimal("100")).rate_bps == 300
    later = timezone.now() + timedelta(days=2)
    fee = selectors.fee_quote(company=company, amount_usd=Decimal("100"), at=later)
    assert fee.rate_bps == 100
    assert fee.schedule_id == future.pk
    # The old version is still there: history.
    assert FeeSchedule.objects.count() == 2
