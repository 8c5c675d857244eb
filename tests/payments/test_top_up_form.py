"""The top-up link leads to a form (never a 405): prefilled with an order's shortfall, and back
to the order once the money is in."""

from decimal import Decimal

import pytest
from django.urls import reverse

from payments import services
from payments.models import TopUp
from procurement.accounts.models import Role

pytestmark = pytest.mark.django_db


def test_get_shows_the_form(owner_client):
    response = owner_client.get(reverse("payments:top-up-create"))
    assert response.status_code == 200
    assert 'name="amount"' in response.text


def test_the_shortfall_is_prefilled_rounded_up_and_kept_above_the_minimum(owner_client):
    response = owner_client.get(
        reverse("payments:top-up-create"), {"amount": "12.341", "next": "/orders/5/pay/"}
    )
    assert 'value="12.35"' in response.text
    assert 'value="/orders/5/pay/"' in response.text
    small = owner_client.get(reverse("payments:top-up-create"), {"amount": "0.50"})
    assert 'value="10' in small.text


def test_a_foreign_return_address_is_dropped(owner_client):
    response = owner_client.get(
        reverse("payments:top-up-create"), {"next": "https://evil.example/steal"}
    )
    assert 'value="https://evil.example/steal"' not in response.text


def test_after_paying_the_merchant_returns_to_the_order(owner_client, company):
    response = owner_client.post(
        reverse("payments:top-up-create"), {"amount": "50.00", "next": "/orders/7/pay/"}
    )
    assert response.status_code == 302
    top_up = TopUp.objects.get(company=company)

    pending = owner_client.get(reverse("payments:top-up-detail", args=[top_up.pk]))
    assert "/orders/7/pay/" in pending.text

    services.top_up_transition(top_up=top_up, to_status=TopUp.Status.SUCCEEDED)
    done = owner_client.get(reverse("payments:top-up-detail", args=[top_up.pk]))
    assert done.status_code == 302
    assert done.url == "/orders/7/pay/"
    # Only once: the detail page is an ordinary page afterwards.
    again = owner_client.get(reverse("payments:top-up-detail", args=[top_up.pk]))
    assert again.status_code == 200
    assert top_up.amount == Decimal("50.00")


def test_a_viewer_is_not_shown_the_top_up_link(client, company, member_of):
    client.force_login(member_of(company, Role.VIEWER))
    response = client.get(reverse("dashboard"))
    assert reverse("payments:top-up-create") not in response.text
