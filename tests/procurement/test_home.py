from decimal import Decimal

import pytest
from django.urls import reverse

from payments.models import FeeSchedule, FeeTier

pytestmark = pytest.mark.django_db


def test_home_page_shows_the_fee_schedule_in_force(client):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert "Up to 10,000 USD" in response.text
    assert "Above 200,000 USD" in response.text
    assert "from 1.5%" in response.text


def test_home_page_follows_a_new_fee_schedule(client):
    schedule = FeeSchedule.objects.create(minimum_fee_usd=Decimal("7.00"), note="promo")
    FeeTier.objects.create(schedule=schedule, volume_from_usd=0, rate_bps=280)
    FeeTier.objects.create(schedule=schedule, volume_from_usd=25000, rate_bps=120)

    text = client.get(reverse("home")).text

    assert "Up to 25,000 USD" in text
    assert "Above 25,000 USD" in text
    assert "2.8%" in text
    assert "from 1.2%" in text
    assert "Minimum fee per order: 7.00 USD." in text
    assert "Above 200,000 USD" not in text


def test_home_page_links_to_sign_up_for_visitors(client):
    text = client.get(reverse("home")).text
    assert reverse("account_signup") in text
