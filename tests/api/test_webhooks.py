import json
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from logistics import services as logistics_services
from procurement.accounts import exceptions, integrations
from procurement.core import outbox, tasks, webhooks
from procurement.core.models import OutboxTask, WebhookDelivery
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
    assert webhooks.webhook_signature_verify(
        secret=issued.secret,
        timestamp=headers["X-Webhook-Timestamp"],
        body=request["body"],
        signature=headers["X-Webhook-Signature"],
    )
    assert not webhooks.webhook_signature_verify(
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


def _time_passes(delivery) -> None:
    """The backoff is over: the delivery's next attempt is due."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_failures_are_recorded_and_retried_with_backoff(company, owner):
    with Receiver(statuses=[500, 503, 200]) as receiver:
        integrations.webhook_endpoint_create(
            company=company, actor=owner, url=receiver.url, events=["goods.stocked"]
        )
        _stock(company)
        delivery = WebhookDelivery.objects.get()

        with pytest.raises(Retry):
            tasks.deliver_webhook(delivery.pk)  # called as a worker would: retries on failure
        early = webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)
        _time_passes(delivery)
        second = webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)
        _time_passes(delivery)
        third = webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)
        late = webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    # A copy of the task that comes before the backoff is over, or after success, sends nothing.
    assert early == late == webhooks.AttemptResult(delivered=False, retry_in=None)
    assert second.retry_in == 2 * webhooks.webhook_backoff_seconds(1)
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

    webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)
    _time_passes(delivery)
    result = webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)

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
    webhooks.webhook_event_emit(company=company, event="parcel.shipped", payload={})

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
        webhooks.socket,
        "getaddrinfo",
        lambda *args, **kwargs: [(2, 1, 6, "", ("192.168.1.20", 443))],
    )
    monkeypatch.setattr(webhooks._opener, "open", lambda *a, **k: opened.append(a))

    result = webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)

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
        result = webhooks.webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)
        bouncer.server.RequestHandlerClass.do_POST = original

    assert not result.delivered
    assert len(bouncer.requests) == 1
    assert target.requests == []


# --- The sweeper: deliveries whose task was lost ---------------------------------------------


def _overdue(delivery, **fields) -> None:
    """Move the delivery's clock back past the sweeper's patience."""
    past = timezone.now() - timedelta(seconds=webhooks.webhook_sweep_after_seconds() + 60)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=past, **fields)


def test_the_sweeper_sends_a_pending_delivery_whose_task_was_lost_once(company, owner):
    with Receiver() as receiver:
        integrations.webhook_endpoint_create(
            company=company, actor=owner, url=receiver.url, events=["goods.stocked"]
        )
        _stock(company)  # committed without its on-commit send: the task never left
        delivery = WebhookDelivery.objects.get()
        assert webhooks.webhook_deliveries_sweep() == 0  # its own task may still come
        _overdue(delivery)

        assert webhooks.webhook_deliveries_sweep() == 1
        assert webhooks.webhook_deliveries_sweep() == 0
        # The outbox still holds the original task: sent late, it finds the delivery done.
        OutboxTask.objects.update(created_at=timezone.now() - timedelta(hours=1))
        assert outbox.outbox_sweep() == 1

    delivery.refresh_from_db()
    assert len(receiver.requests) == 1
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert delivery.attempts.count() == 1


def test_the_sweeper_retries_a_delivery_whose_retry_was_lost(company, owner):
    with Receiver(statuses=[500, 200]) as receiver:
        integrations.webhook_endpoint_create(
            company=company, actor=owner, url=receiver.url, events=["goods.stocked"]
        )
        _stock(company)
        delivery = WebhookDelivery.objects.get()
        webhooks.webhook_delivery_attempt(delivery_id=delivery.pk)  # 500: retry scheduled
        assert webhooks.webhook_deliveries_sweep() == 0  # the retry task is on its way

        _overdue(delivery, next_attempt_at=timezone.now() - timedelta(hours=1))
        assert webhooks.webhook_deliveries_sweep() == 1

    delivery.refresh_from_db()
    assert [a.status_code for a in delivery.attempts.all()] == [500, 200]
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED


def test_an_attempt_in_flight_is_left_alone_until_its_lease_runs_out(company, owner, settings):
    integrations.webhook_endpoint_create(
        company=company, actor=owner, url="https://erp.example.com/hooks", events=["goods.stocked"]
    )
    _stock(company)
    delivery = WebhookDelivery.objects.get()
    # A worker took it (the lease) and died before recording the attempt.
    assert webhooks._delivery_claim(delivery.pk)
    _overdue(delivery)

    assert webhooks.webhook_delivery_attempt(delivery_id=delivery.pk).retry_in is None
    assert webhooks.webhook_deliveries_sweep() == 0
    assert not delivery.attempts.exists()

    later = timezone.now() + timedelta(
        seconds=webhooks.webhook_lease_seconds() + webhooks.webhook_sweep_after_seconds() + 1
    )
    sent = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(outbox, "task_send", lambda **call: sent.append(call))
        assert webhooks.webhook_deliveries_sweep(now=later) == 1
    assert sent == [{"task": webhooks.DELIVER_TASK, "args": [delivery.pk]}]


def test_with_the_broker_down_the_sweeper_stops_and_changes_nothing(company, owner):
    from tests.faults.conftest import celery_broker

    integrations.webhook_endpoint_create(
        company=company, actor=owner, url="https://erp.example.com/hooks", events=["goods.stocked"]
    )
    _stock(company)
    _stock(company)
    for delivery in WebhookDelivery.objects.all():
        _overdue(delivery)

    with celery_broker("redis://127.0.0.1:6390/0"):
        assert webhooks.webhook_deliveries_sweep() == 0

    assert set(WebhookDelivery.objects.values_list("status", "next_attempt_at")) == {
        (WebhookDelivery.Status.PENDING, None)
    }


def test_finished_deliveries_are_never_swept(company, owner):
    integrations.webhook_endpoint_create(
        company=company, actor=owner, url="https://erp.example.com/hooks", events=["goods.stocked"]
    )
    _stock(company)
    _stock(company)
    first, second = WebhookDelivery.objects.order_by("pk")
    _overdue(first, status=WebhookDelivery.Status.SUCCEEDED)
    _overdue(second, status=WebhookDelivery.Status.FAILED)

    assert webhooks.webhook_deliveries_sweep() == 0
