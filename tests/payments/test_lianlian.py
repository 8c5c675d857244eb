"""LianLian Global top-ups end to end against the local fake, and webhooks checked as
LianLian's own demo receiver checks them (llosc-gateway-client-webhook-demo)."""

import json
import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from payments import exceptions, selectors, services
from payments.adapters import lianlian
from payments.models import GatewayEvent, TopUp
from procurement.accounts.currencies import WALLET_CURRENCY_CODES
from tests.accounts.factories import CompanyFactory
from tests.payments.fakes import FakeLianLian

pytestmark = pytest.mark.django_db

PATH = "/wallet/webhooks/lianlian/"


@pytest.fixture
def fake(settings, monkeypatch):
    fake = FakeLianLian()
    for name, value in fake.settings().items():
        setattr(settings, name, value)
    original_init = lianlian.LianLianGlobalGateway.__init__

    def init(self, *, transport=None):
        original_init(self, transport=transport or fake)

    monkeypatch.setattr(lianlian.LianLianGlobalGateway, "__init__", init)
    return fake


def _top_up(company, amount="250.00", currency=None):
    return services.top_up_create(
        company=company, amount=Decimal(amount), actor=None, gateway="lianlian", currency=currency
    )


def _deliver(client, headers: dict[str, str], body: bytes):
    return client.post(
        PATH,
        body,
        content_type="application/json",
        headers={name: value for name, value in headers.items()},
    )


def _balance(company, currency=None):
    return selectors.wallet_balance(company=company, currency=currency or company.wallet_currency)


def test_the_webhook_url_is_ours():
    assert reverse("payments:webhook", args=["lianlian"]) == PATH


def test_the_request_payment_is_signed_as_the_sdk_signs(company, fake):
    top_up = _top_up(company)

    request = fake.requests[-1]
    assert request["authentic"] is True
    assert request["uri"] == "/gateway/v1/ew-request-payments/url"
    assert request["headers"]["Authorization"] == "Basic fake-token"
    assert re.fullmatch(r"t=\d+,v=[A-Za-z0-9+/=]+", request["headers"]["LLPAY-Signature"])
    sent = fake.request_payments[top_up.reference]
    assert (sent["request_id"], sent["amount"], sent["currency"]) == (
        top_up.reference,
        "250.00",
        "USD",
    )
    assert top_up.provider_reference == top_up.reference
    assert top_up.redirect_url == f"{fake.base_url}/request-payments/{top_up.reference}"


@pytest.mark.parametrize("currency", sorted(WALLET_CURRENCY_CODES))
def test_a_top_up_in_every_wallet_currency_credits_the_wallet_once(client, fake, currency):
    company = CompanyFactory(wallet_currency=currency)
    amount = "25000" if currency == "JPY" else "250.00"
    top_up = _top_up(company, amount=amount)
    headers, body = fake.webhook(request_id=top_up.reference, status="PAID")

    for _ in range(3):  # LianLian resends until it gets 200; we apply it once
        response = _deliver(client, headers, body)
        assert response.status_code == 200

    top_up.refresh_from_db()
    assert top_up.status == TopUp.Status.SUCCEEDED
    assert _balance(company) == Decimal(amount)
    assert GatewayEvent.objects.get().outcome == "applied"


def test_events_are_deduplicated_by_their_event_id(client, company, fake):
    top_up = _top_up(company)
    headers, body = fake.webhook(request_id=top_up.reference, event_id="7Q9Z1K")
    assert _deliver(client, headers, body).json()["outcome"] == "applied"

    later_headers, later_body = fake.webhook(request_id=top_up.reference, event_id="7Q9Z1K")
    replay = _deliver(client, later_headers, later_body)

    assert replay.status_code == 200
    assert GatewayEvent.objects.count() == 1
    again = fake.webhook(request_id=top_up.reference, event_id="8R0A2L")
    assert _deliver(client, *again).json()["outcome"] == "ignored"  # already succeeded
    assert _balance(company) == Decimal("250")


def test_forged_webhooks_are_refused(client, company, fake):
    top_up = _top_up(company)
    forged = fake.webhook(request_id=top_up.reference, key=fake.merchant_private_key)
    headers, body = fake.webhook(request_id=top_up.reference)
    tampered = body.replace(b'"250.00"', b'"2500.00"')
    # The request form (METHOD&URI&t&BODY) is not how LianLian signs its webhooks.
    now = int(time.time())
    request_signed = lianlian.rsa_sign(
        fake.private_key,
        lianlian.request_payload(method="POST", uri=PATH, timestamp=now, body=body),
    )
    old_form = {
        "LLPAY-Signature": lianlian.signature_header(timestamp=now, signature=request_signed),
        "Event-Id": "E1",
    }
    unsigned = {"Event-Id": "E2"}

    for attempt in [forged, (headers, tampered), (old_form, body), (unsigned, body)]:
        assert _deliver(client, *attempt).status_code == 400
    assert not GatewayEvent.objects.exists()
    assert _balance(company) == 0


@pytest.mark.parametrize(("age", "accepted"), [(595, True), (605, False), (-605, False)])
def test_the_demos_clock_tolerance(client, company, fake, age, accepted):
    top_up = _top_up(company)
    headers, body = fake.webhook(request_id=top_up.reference, timestamp=int(time.time()) - age)
    assert (_deliver(client, headers, body).status_code == 200) is accepted


def test_the_tolerance_boundary_is_the_demos():
    fake = FakeLianLian()
    gateway = lianlian.LianLianGlobalGateway(transport=fake)
    gateway.provider_public_key = fake.public_key
    fake.request_payments["topup:9"] = {"request_id": "topup:9", "amount": "1", "currency": "USD"}
    headers, body = fake.webhook(request_id="topup:9", timestamp=1_800_000_000)
    at = datetime.fromtimestamp(1_800_000_000 + 599, tz=UTC)
    assert gateway.parse_webhook(headers=headers, body=body, path=PATH, now=at).amount == 1
    with pytest.raises(exceptions.WebhookTimestampStale):
        gateway.parse_webhook(headers=headers, body=body, path=PATH, now=at + timedelta(seconds=1))


def test_a_webhook_without_event_id_is_refused(client, company, fake):
    top_up = _top_up(company)
    headers, body = fake.webhook(request_id=top_up.reference)
    del headers["Event-Id"]
    assert _deliver(client, headers, body).status_code == 400


def test_the_signature_header_is_read_as_the_demo_writes_it():
    assert lianlian.parse_signature_header("t=1653557910,v=MnxV6Qsa+/9=") == (
        1653557910,
        ["MnxV6Qsa+/9="],
    )
    assert lianlian.parse_signature_header(" T=1653557910, V=abc= ") == (1653557910, ["abc="])
    for bad in ["", "t=1653557910", "v=abc", "t=x,v=abc"]:
        with pytest.raises(exceptions.WebhookSignatureInvalid):
            lianlian.parse_signature_header(bad)


def test_a_failed_request_payment_fails_the_top_up(client, company, fake):
    top_up = _top_up(company)
    assert _deliver(client, *fake.webhook(request_id=top_up.reference, status="FAILED")).json()[
        "outcome"
    ] == ("applied")
    top_up.refresh_from_db()
    assert top_up.status == TopUp.Status.FAILED
    assert _balance(company) == 0


def test_an_amount_that_differs_is_recorded_and_not_credited(client, company, fake):
    top_up = _top_up(company)
    response = _deliver(client, *fake.webhook(request_id=top_up.reference, amount="25.00"))
    assert response.json()["outcome"] == "mismatch"
    assert _balance(company) == 0


def test_an_unsigned_answer_from_lianlian_fails_the_top_up(company, fake, monkeypatch):
    def unsigned(method, url, headers, body):
        status, _headers, answer = fake(method, url, headers, body)
        return status, {}, answer

    monkeypatch.setattr(
        lianlian.LianLianGlobalGateway,
        "__init__",
        lambda self, *, transport=None: _real_init(self, transport=unsigned),
    )
    with pytest.raises(exceptions.GatewayError):
        _top_up(company)
    assert TopUp.objects.get().status == TopUp.Status.FAILED


_real_init = lianlian.LianLianGlobalGateway.__init__


def test_the_body_is_the_request_payment_the_sdk_describes(company, fake):
    top_up = _top_up(company)
    _headers, body = fake.webhook(request_id=top_up.reference)
    assert set(json.loads(body)) == {
        "id",
        "request_id",
        "user_id",
        "payer_id",
        "payer_name",
        "amount",
        "currency",
        "purpose",
        "file_folder_id",
        "reference",
        "expire_time",
        "additional_info",
        "status",
    }
