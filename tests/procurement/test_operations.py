"""What operators look at: liveness and readiness, Prometheus metrics."""

import ipaddress

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.db.utils import OperationalError
from django.test import override_settings
from django.urls import reverse

from orders.models import Order
from procurement import health
from procurement.core.models import OutboxTask, WebhookDelivery, WebhookEndpoint
from tests.accounts.factories import UserFactory
from tests.orders.factories import paid_order, product_with_skus
from tests.payments.factories import seed_rates

TOKEN = "metrics-token-for-tests"


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any query would raise.
    response = client.get(reverse("healthz"))
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_each_check_and_the_outbox_backlog(client):
    OutboxTask.objects.create(task="procurement.accounts.tasks.outbox_sweep")
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "cache", "broker"}
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["migrations"]["status"] == "ok"
    assert body["outbox"]["unsent"] == 1


@pytest.mark.django_db
def test_readyz_is_unavailable_when_a_dependency_fails(client, monkeypatch):
    def broker_down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "_broker", broker_down)
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "error: OperationalError"


@pytest.mark.django_db
def test_metrics_are_hidden_without_token_or_allowed_network(client):
    assert client.get(reverse("metrics")).status_code == 404
    with override_settings(METRICS_TOKEN=TOKEN):
        wrong = client.get(reverse("metrics"), headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 404


@pytest.mark.django_db
def test_metrics_from_an_allowed_network(client):
    with override_settings(METRICS_ALLOWED_NETWORKS=[ipaddress.ip_network("127.0.0.0/8")]):
        response = client.get(reverse("metrics"))
    assert response.status_code == 200
    assert "portal_outbox_backlog" in response.text


@pytest.mark.django_db
def test_metrics_count_business_events(client, company, owner):
    seed_rates()
    product, skus = product_with_skus()
    paid_order(owner, company, (product, {skus[0]: 20}))
    OutboxTask.objects.create(task="procurement.accounts.tasks.outbox_sweep")
    with override_settings(METRICS_TOKEN=TOKEN):
        response = client.get(reverse("metrics"), headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    text = response.text
    assert f'portal_orders_paid_total{{source="{Order.Source.CART}"}} 1.0' in text
    assert 'portal_wallet_top_ups_total{currency="USD",status="succeeded"} 1.0' in text
    unsent = OutboxTask.objects.filter(sent_at__isnull=True).count()
    assert unsent >= 1
    assert f"portal_outbox_backlog {float(unsent)}" in text
    assert "portal_export_duration_seconds_count 0.0" in text
    assert "process_cpu_seconds_total" in text


@pytest.mark.django_db
def test_the_admin_operations_page_shows_backlog_failing_endpoints_and_exports(client, company):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    TOTP.activate(superuser, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    OutboxTask.objects.create(task="procurement.accounts.tasks.outbox_sweep")
    endpoint = WebhookEndpoint.objects.create(
        company=company, url="https://erp.example.com/hooks", events=["order.paid"]
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        company=company,
        event="order.paid",
        payload={},
        status=WebhookDelivery.Status.FAILED,
    )
    client.force_login(superuser)
    response = client.get(reverse("admin:operations"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "1 task not yet accepted by the broker" in text
    assert "https://erp.example.com/hooks" in text
    assert company.legal_name in text
    assert "No broker is configured" in text
