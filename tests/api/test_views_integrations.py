import pytest
from django.urls import reverse

from procurement.core.models import ApiKey, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_owner_creates_a_key_shown_once_and_revokes_it(owner_client, company):
    response = owner_client.post(
        reverse("accounts:api-key-create"), {"name": "Shopify", "scopes": ["catalog:read"]}
    )

    key = ApiKey.objects.get(company=company)
    assert response.status_code == 200
    assert f"pk_{key.prefix}." in response.content.decode()
    assert (
        f"pk_{key.prefix}."
        not in owner_client.get(reverse("accounts:integrations")).content.decode()
    )

    owner_client.post(reverse("accounts:api-key-revoke", args=[key.pk]))
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_owner_registers_tests_and_disables_an_endpoint(owner_client, company):
    owner_client.post(
        reverse("accounts:webhook-endpoint-create"),
        {"url": "http://127.0.0.1:9/hooks", "events": ["parcel.shipped"]},
    )
    endpoint = WebhookEndpoint.objects.get(company=company)

    owner_client.post(reverse("accounts:webhook-endpoint-test", args=[endpoint.pk]))
    owner_client.post(reverse("accounts:webhook-endpoint-toggle", args=[endpoint.pk]))

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.deliveries.count() == 1
    page = owner_client.get(reverse("accounts:integrations")).content.decode()
    assert "endpoint.test" in page


def test_a_buyer_cannot_open_integrations(client, company, member_of):
    client.force_login(member_of(company, "buyer"))

    assert client.get(reverse("accounts:integrations")).status_code == 403
