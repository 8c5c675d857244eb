import io

import pytest
from django.apps import apps
from django.core.management import call_command

from procurement.accounts.models import Membership, User

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"accounts", "catalog", "logistics", "payments", "orders"}
    }


def test_seed_demo_twice_changes_nothing(client):
    call_command("seed_demo", stdout=io.StringIO())
    first = _row_counts()
    call_command("seed_demo", stdout=io.StringIO())

    assert _row_counts() == first
    assert first["accounts.Company"] == 2
    assert first["catalog.Product"] >= 40
    assert first["logistics.ShippingChannel"] >= 3
    # The demo merchant can sign in with the documented password and sees its dashboard.
    owner = User.objects.get(email="owner@acme.example")
    assert Membership.objects.get(user=owner).role == "owner"
    assert client.login(email="owner@acme.example", password="demo-pass-2026")
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert "Acme Trading LLC" in response.text
    assert "25,000.00" in response.text or "25000.00" in response.text
