import time
from decimal import Decimal

import pytest
from django.urls import reverse

from payments import selectors, services
from payments.adapters import sandbox as sandbox_gateway
from payments.models import GatewayEvent, LedgerTransaction, TopUp

pytestmark = pytest.mark.django_db

WEBHOOK = "/wallet/webhooks/sandbox/"


def _top_up(company, amount="100.00"):
    return services.top_up_create(
        company=company, amount=Decimal(amount), actor=None, gateway="sandbox"
    )


def _post(client, body: bytes, signature: str | None, path=WEBHOOK):
    headers = {"HTTP_X_SANDBOX_SIGNATURE": signature} if signature else {}
    return client.post(path, data=body, content_type="application/json", **headers)


def _event(top_up, event_type="payment.succeeded", **kwargs):
    return sandbox_gateway.event_body(
        event_type=event_type,
        payment_id=top_up.provider_reference,
        merchant_reference=top_up.reference,
        amount=kwargs.pop("amount", top_up.amount),
        currency=kwargs.pop("currency", top_up.currency),
        **kwargs,
    )


def _balance(company):
    return selectors.wallet_balance(company=company, currency=company.wallet_currency)


def test_webhook_url_is_the_one_the_gateway_is_given():
    assert reverse("payments:webhook", args=["sandbox"]) == WEBHOOK


def test_signed_success_credits_once(client, company):
    top_up = _top_up(company)
    body = _event(top_up)
    response = _post(client, body, sandbox_gateway.sign(body))
    assert response.status_code == 200
    assert response.json()["outcome"] == "applied"
    top_up.refresh_from_db()
    assert top_up.status == TopUp.Status.SUCCEEDED
    assert _balance(company) == Decimal("100")
    assert [(e.from_status, e.to_status) for e in top_up.events.all()] == [
        ("", "pending"),
        ("pending", "succeeded"),
    ]


def test_forged_signature_credits_nothing(client, company):
    top_up = _top_up(company)
    body = _event(top_up)
    forged = sandbox_gateway.sign(body, secret=b"attacker-guess")
    assert _post(client, body, forged).status_code == 400
    assert _post(client, body, None).status_code == 400
    assert _post(client, body, "t=123").status_code == 400
    # A valid signature over a different body does not carry over.
    other = _event(top_up, amount=Decimal("999999"))
    assert _post(client, other, sandbox_gateway.sign(body)).status_code == 400
    assert not GatewayEvent.objects.exists()
    assert _balance(company) == 0


def test_stale_timestamp_is_rejected(client, company):
    top_up = _top_up(company)
    body = _event(top_up)
    old = sandbox_gateway.sign(body, timestamp=int(time.time()) - 301)
    assert _post(client, body, old).status_code == 400
    future = sandbox_gateway.sign(body, timestamp=int(time.time()) + 301)
    assert _post(client, body, future).status_code == 400
    assert _balance(company) == 0
    assert not GatewayEvent.objects.exists()


def test_replayed_five_times_credits_once(client, company):
    top_up = _top_up(company)
    body = _event(top_up)
    signature = sandbox_gateway.sign(body)
    for _ in range(5):
        assert _post(client, body, signature).status_code == 200
    assert GatewayEvent.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind="top_up").count() == 1
    assert _balance(company) == Decimal("100")


def test_a_new_event_id_for_the_same_success_credits_nothing_more(client, company):
    top_up = _top_up(company)
    for _ in range(3):
        body = _event(top_up)  # a fresh event id each time
        assert _post(client, body, sandbox_gateway.sign(body)).status_code == 200
    assert _balance(company) == Decimal("100")
    outcomes = sorted(GatewayEvent.objects.values_list("outcome", flat=True))
    assert outcomes == ["applied", "ignored", "ignored"]


def test_failed_after_succeeded_does_not_undo(client, company):
    top_up = _top_up(company)
    success, failure = _event(top_up), _event(top_up, "payment.failed")
    _post(client, success, sandbox_gateway.sign(success))
    response = _post(client, failure, sandbox_gateway.sign(failure))
    assert response.json()["outcome"] == "ignored"
    top_up.refresh_from_db()
    assert top_up.status == TopUp.Status.SUCCEEDED
    assert _balance(company) == Decimal("100")


def test_succeeded_after_failed_still_credits(client, company):
    top_up = _top_up(company)
    failure, success = _event(top_up, "payment.failed"), _event(top_up)
    _post(client, failure, sandbox_gateway.sign(failure))
    top_up.refresh_from_db()
    assert top_up.status == TopUp.Status.FAILED
    _post(client, success, sandbox_gateway.sign(success))
    top_up.refresh_from_db()
    assert top_up.status == TopUp.Status.SUCCEEDED
    assert _balance(company) == Decimal("100")


def test_unknown_top_up_is_recorded_and_credits_nothing(client, company):
    body = sandbox_gateway.event_body(
        event_type="payment.succeeded",
        payment_id="sbx_does_not_exist",
        merchant_reference="topup:999",
        amount=Decimal("100"),
        currency="USD",
    )
    response = _post(client, body, sandbox_gateway.sign(body))
    assert response.status_code == 200
    assert response.json()["outcome"] == "unknown_top_up"
    assert not LedgerTransaction.objects.exists()


def test_amount_mismatch_credits_nothing(client, company):
    top_up = _top_up(company)
    body = _event(top_up, amount=Decimal("1000.00"))
    assert _post(client, body, sandbox_gateway.sign(body)).json()["outcome"] == "mismatch"
    top_up.refresh_from_db()
    assert top_up.status == TopUp.Status.PENDING
    assert _balance(company) == 0


def test_malformed_but_signed_body_is_rejected(client):
    body = b'{"id": "evt_1"}'
    assert _post(client, body, sandbox_gateway.sign(body)).status_code == 400


def test_sandbox_is_closed_when_another_gateway_is_configured(client, company, settings):
    top_up = _top_up(company)
    settings.PAYMENTS_GATEWAY = "lianlian"
    body = _event(top_up)
    assert _post(client, body, sandbox_gateway.sign(body)).status_code == 404
    page = reverse("payments:sandbox-page", args=[top_up.provider_reference])
    assert client.get(page).status_code == 404


def test_pending_top_ups_expire(company):
    from datetime import timedelta

    from django.utils import timezone

    top_up = _top_up(company)
    assert services.top_ups_expire(now=timezone.now() + timedelta(hours=2)) == 1
    top_up.refresh_from_db()
    assert top_up.status == TopUp.Status.EXPIRED
