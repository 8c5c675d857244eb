"""A company's time zone: from its country when created, editable by an owner, and every date
its people read is shown in it."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from procurement.accounts import services
from procurement.accounts.models import Company, User
from procurement.accounts.staff_groups import ACCOUNT_MANAGERS, FINANCE, WAREHOUSE
from procurement.accounts.time_zones import zone_for_country
from tests.accounts.factories import UserFactory
from tests.payments.factories import fund_wallet

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("country", "zone"),
    [("DE", "Europe/Berlin"), ("US", "America/New_York"), ("JP", "Asia/Tokyo"), ("", "UTC")],
)
def test_the_zone_follows_the_country(country, zone):
    assert zone_for_country(country) == zone


def test_a_new_company_takes_its_country_zone():
    company = services.company_create(
        owner=UserFactory(),
        legal_name="Rhein Handel GmbH",
        country="DE",
        wallet_currency="EUR",
        uses_sourcing=True,
        uses_forwarding=False,
    )
    assert company.time_zone == "Europe/Berlin"


def test_an_owner_changes_the_zone_on_the_company_page(owner_client, company):
    page = owner_client.get(reverse("accounts:company"))
    assert 'name="time_zone"' in page.text

    response = owner_client.post(
        reverse("accounts:company"),
        {
            "legal_name": company.legal_name,
            "country": "AU",
            "time_zone": "Australia/Perth",
            "uses_sourcing": "on",
        },
    )

    assert response.status_code == 302
    company.refresh_from_db()
    assert company.time_zone == "Australia/Perth"


def test_an_unknown_zone_is_refused(owner_client, company):
    response = owner_client.post(
        reverse("accounts:company"),
        {"legal_name": "X", "country": "AU", "time_zone": "Mars/Olympus", "uses_sourcing": "on"},
    )
    assert response.status_code == 200
    company.refresh_from_db()
    assert company.time_zone != "Mars/Olympus"


def test_dates_on_pages_are_in_the_company_zone(owner_client, company):
    Company.objects.filter(pk=company.pk).update(time_zone="Asia/Tokyo")
    top_up = fund_wallet(company, "100.00")
    type(top_up).objects.filter(pk=top_up.pk).update(
        created_at=datetime(2026, 12, 3, 14, 4, tzinfo=UTC)
    )

    response = owner_client.get(reverse("payments:wallet"))

    assert "3 Dec 2026, 23:04 JST" in response.text


def test_only_account_managers_are_offered_as_account_manager():
    manager, warehouse, finance = (UserFactory(is_staff=True) for _ in range(3))
    manager.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS))
    warehouse.groups.add(Group.objects.get(name=WAREHOUSE))
    finance.groups.add(Group.objects.get(name=FINANCE))

    field = Company._meta.get_field("account_manager")
    offered = set(User.objects.complex_filter(field.get_limit_choices_to()))

    assert manager in offered
    assert warehouse not in offered
    assert finance not in offered
