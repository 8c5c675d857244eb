"""Webhook endpoints and deliveries through the API, under the `webhooks:manage` scope, by the
same owner-checked services as the integrations page."""

import json

import pytest

from procurement.core import webhooks
from procurement.core.models import WebhookDelivery, WebhookEndpoint
from tests.api.factories import api_token, bearer

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _post(client, path, token, body=None, **headers):
    return client.post(
        API + path,
        json.dumps(body) if body is not None else "",
        content_type="application/json",
        **bearer(token, **headers),
    )


def test_an_endpoint_is_created_listed_rotated_and_disabled(client, token):
    created = _post(
        client,
        "/webhook-endpoints",
        token,
        {"url": "https://erp.example.com/hooks", "events": ["order.paid", "parcel.shipped"]},
        HTTP_IDEMPOTENCY_KEY="hook-1",
    )
    assert created.status_code == 201
    endpoint = WebhookEndpoint.objects.get()
    assert created.json()["secret"] == endpoint.secret
    endpoint_id = created.json()["id"]

    listed = client.get(API + "/webhook-endpoints", **bearer(token)).json()
    assert [item["id"] for item in listed["items"]] == [endpoint_id]
    assert "secret" not in listed["items"][0]

    rotated = _post(client, f"/webhook-endpoints/{endpoint_id}/rotate-secret", token)
    assert rotated.status_code == 200
    endpoint.refresh_from_db()
    assert rotated.json()["secret"] == endpoint.secret != created.json()["secret"]

    disabled = _post(client, f"/webhook-endpoints/{endpoint_id}/disable", token)
    assert disabled.status_code == 200
    assert disabled.json()["is_active"] is False
    endpoint.refresh_from_db()
    assert not endpoint.is_active


def test_a_url_we_must_not_call_is_refused(client, token):
    response = _post(
        client, "/webhook-endpoints", token, {"url": "http://10.0.0.1/", "events": ["order.paid"]}
    )

    assert response.status_code == 422
    assert not WebhookEndpoint.objects.exists()


def test_deliveries_are_listed_and_redelivered_with_their_event_id(
    client, company, owner, token, django_capture_on_commit_callbacks
):
    issued = webhooks.webhook_endpoint_create(
        company=company, created_by=owner, url="https://erp.example.com/h", events=["order.paid"]
    )
    (delivery,) = webhooks.webhook_event_emit(company=company, event="order.paid", payload={})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED)

    listed = client.get(
        API + "/webhook-deliveries", {"endpoint_id": issued.endpoint.pk}, **bearer(token)
    ).json()
    assert [item["event_id"] for item in listed["items"]] == [str(delivery.event_id)]
    assert listed["items"][0]["status"] == "failed"

    response = _post(client, f"/webhook-deliveries/{delivery.pk}/redeliver", token)

    assert response.status_code == 202
    assert response.json()["event_id"] == str(delivery.event_id)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING


def test_another_companys_endpoint_is_not_found(client, token, other_company, member_of):
    theirs = webhooks.webhook_endpoint_create(
        company=other_company,
        created_by=member_of(other_company),
        url="https://other.example.com/h",
        events=["order.paid"],
    ).endpoint

    for action in ("rotate-secret", "disable"):
        assert _post(client, f"/webhook-endpoints/{theirs.pk}/{action}", token).status_code == 404
    assert client.get(API + "/webhook-endpoints", **bearer(token)).json()["items"] == []


def test_the_webhooks_scope_is_needed(client, company, owner):
    token = api_token(company, owner=owner, scopes=["orders:read"])

    response = client.get(API + "/webhook-endpoints", **bearer(token))

    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"
