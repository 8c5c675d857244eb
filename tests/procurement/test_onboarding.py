"""The dashboard's first steps: read from the company's data, gone once all are done."""

import pytest
from django.urls import reverse

from procurement.accounts import services as account_services
from procurement.accounts.models import Role
from procurement.onboarding import onboarding_steps
from tests.logistics.factories import AddressFactory
from tests.orders.factories import paid_order, product_with_skus, seed_rates

pytestmark = pytest.mark.django_db


def steps(company, role=Role.OWNER) -> dict[str, bool]:
    return {step.key: step.done for step in onboarding_steps(company=company, role=role)}


def test_a_new_company_has_four_steps_to_take(owner_client, company):
    page = owner_client.get(reverse("dashboard")).content.decode()

    assert "First steps" in page
    assert "0 of 4 done" in page
    for title in ("Top up your wallet", "Add a delivery address", "Place your first order"):
        assert title in page
    assert reverse("accounts:member-invite") in page


def test_steps_are_done_when_the_data_shows_it(owner_client, company, owner):
    seed_rates()
    AddressFactory(company=company)
    assert steps(company) == {"top-up": False, "address": True, "order": False, "invite": False}

    product, skus = product_with_skus()
    paid_order(owner, company, (product, {skus[0]: 20}))  # tops up, then pays
    assert steps(company) == {"top-up": True, "address": True, "order": True, "invite": False}

    page = owner_client.get(reverse("dashboard")).content.decode()
    assert "3 of 4 done" in page

    account_services.invitation_create(
        company=company, invited_by=owner, email="colleague@example.com", role=Role.BUYER
    )
    assert all(steps(company).values())
    assert "First steps" not in owner_client.get(reverse("dashboard")).content.decode()


def test_each_role_sees_only_the_steps_it_can_take(company):
    assert set(steps(company, Role.BUYER)) == {"top-up", "address", "order"}
    assert set(steps(company, Role.FINANCE)) == {"top-up"}
    assert steps(company, Role.VIEWER) == {}


def test_a_forwarding_only_company_is_not_asked_for_an_order(company):
    company.uses_sourcing = False
    company.uses_forwarding = True
    company.save()

    assert "order" not in steps(company)


def test_the_steps_cost_one_query(company, django_assert_num_queries):
    with django_assert_num_queries(1):
        onboarding_steps(company=company, role=Role.OWNER)
