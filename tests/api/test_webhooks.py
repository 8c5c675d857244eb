import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from celery.exceptions import Retry

from logistics import services as logistics_services
from procurement.accounts import exceptions, integrations, tasks
from procurement.accounts.models import WebhookDelivery
from tests.logistics.factories import WarehouseFactory

pytestmark = pytest.mark.django_db


class Receiver:
    """A local HTTP server that records what it receives and answers with queued statuses."""

    def __init__(self, statuses=(200,)):
        self.requests: list[dict] = []
        self.statuses = list(statuses)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = (
                    receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                )
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"nope")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _stock(company):
    return logistics_services.stock_receive(
        company=company,
        warehouse=WarehouseFactory(),
        description="Mugs",
        quantity=10,
        weight_kg=Decimal("1.2"),
        length_cm=Decimal("30"),
        width_cm=Decimal("20"),
        height_cm=Decimal("10"),
        source_reference="po:1",
    )


def test_deliveries_are_signed_and_verified_by_the_receiver(
    company, owner, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        issued = integrations.webhook_endpoint_create(
            company=company, actor=owner, url=receiver.url, events=["goods.stocked"]
        )
        with django_capture_on_commit_callbacks(execute=True):
            item = _stock(company)

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers = request["headers"]
    assert integrations.webhook_signature_verify(
        secret=issued.secret,
        timestamp=headers["X-Webhook-Timestamp"],
        body=request["body"],
        signature=headers["X-Webhook-Signature"],
    )
    assert not integrations.webhook_signature_verify(
        secret="whsec_wrong",
        timestamp=headers["X-Webhook-Timestamp"],
        body=request["body"],
        signature=headers["X-Webhook-Signature"],
    )
    envelope = json.loads(request["body"])
    assert envelope["event"] == "goods.stocked"
    assert envelope["data"]["stock_item_id"] == item.pk
    delivery = WebhookDelivery.objects.get()
    assert headers["X-Webhook-Id"] == str(delivery.event_id)
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert delivery.attempts.get().status_code == 200


def test_failures_are_recorded_and_retried_with_backoff(company, owner):
    with Receiver(statuses=[500, 503, 200]) as receiver:
        integrations.webhook_endpoint_create(
            company=company, actor=owner, url=receiver.url, events=["goods.stocked"]
        )
        _stock(company)
        delivery = WebhookDelivery.objects.get()

        with pytest.raises(Retry):
            tasks.deliver_webhook(delivery.pk)  # called as a worker would: retries on failure
        second = integrations.webhook_delivery_attempt(delivery_id=delivery.pk)
        third = integrations.webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert second.retry_in == 2 * integrations.webhook_backoff_seconds(1)
    assert third.delivered
    assert [a.status_code for a in delivery.attempts.all()] == [500, 503, 200]
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert len(receiver.requests) == 3


def test_after_max_attempts_the_delivery_fails(company, owner, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    integrations.webhook_endpoint_create(
        company=company, actor=owner, url="http://127.0.0.1:9/closed", events=["goods.stocked"]
    )
    _stock(company)
    delivery = WebhookDelivery.objects.get()

    integrations.webhook_delivery_attempt(delivery_id=delivery.pk)
    result = integrations.webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert result.retry_in is None
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert all(a.error for a in delivery.attempts.all())


def test_no_delivery_for_another_companys_events(company, other_company, owner, member_of):
    integrations.webhook_endpoint_create(
        company=company, actor=owner, url="https://erp.example.com/hooks", events=["goods.stocked"]
    )

    _stock(other_company)

    assert not WebhookDelivery.objects.exists()


def test_a_disabled_endpoint_gets_nothing_and_unchosen_events_are_skipped(company, owner):
    issued = integrations.webhook_endpoint_create(
        company=company, actor=owner, url="https://erp.example.com/hooks", events=["parcel.shipped"]
    )
    _stock(company)
    assert not WebhookDelivery.objects.exists()

    integrations.webhook_endpoint_set_active(endpoint=issued.endpoint, actor=owner, active=False)
    integrations.webhook_event_emit(company=company, event="parcel.shipped", payload={})

    assert not WebhookDelivery.objects.exists()


def test_endpoints_must_use_https_in_production(company, owner, settings):
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = False

    with pytest.raises(exceptions.AccountsError):
        integrations.webhook_endpoint_create(
            company=company, actor=owner, url="http://127.0.0.1:8000/x", events=["order.paid"]
        )


def test_only_an_owner_manages_integrations(company, member_of):
    buyer = member_of(company, "buyer")

    with pytest.raises(exceptions.AccountsError):
        integrations.api_key_create(company=company, actor=buyer, name="x", scopes=["catalog:read"])


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.5/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://localhost/hooks",
        "https://billing.internal/hooks",
        "ftp://erp.example.com/hooks",
    ],
)
def test_endpoints_cannot_point_at_internal_addresses(company, owner, url):
    with pytest.raises(exceptions.AccountsError):
        integrations.webhook_endpoint_create(
            company=company, actor=owner, url=url, events=["order.paid"]
        )


def test_a_name_resolving_to_a_private_address_is_not_called(company, owner, monkeypatch):
    integrations.webhook_endpoint_create(
        company=company, actor=owner, url="https://erp.example.com/hooks", events=["goods.stocked"]
    )
    _stock(company)
    delivery = WebhookDelivery.objects.get()
    opened = []
    monkeypatch.setattr(
        integrations.socket,
        "getaddrinfo",
        lambda *args, **kwargs: [(2, 1, 6, "", ("192.168.1.20", 443))],
    )
    monkeypatch.setattr(integrations._opener, "open", lambda *a, **k: opened.append(a))

    result = integrations.webhook_delivery_attempt(delivery_id=delivery.pk)

    assert not result.delivered
    assert not opened
    assert "non-public address" in delivery.attempts.get().error


def test_a_redirect_is_not_followed(company, owner):
    with Receiver(statuses=[200]) as target, Receiver(statuses=[302]) as bouncer:
        original = bouncer.server.RequestHandlerClass.do_POST

        def redirect(handler):
            handler.rfile.read(int(handler.headers["Content-Length"]))
            bouncer.requests.append({})
            handler.send_response(302)
            handler.send_header("Location", target.url)
            handler.end_headers()

        bouncer.server.RequestHandlerClass.do_POST = redirect
        integrations.webhook_endpoint_create(
            company=company, actor=owner, url=bouncer.url, events=["goods.stocked"]
        )
        _stock(company)
        result = integrations.webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)
        bouncer.server.RequestHandlerClass.do_POST = original

    assert not result.delivered
    assert len(bouncer.requests) == 1
    assert target.requests == []
