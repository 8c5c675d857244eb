"""Redis (the Celery broker) is down while a merchant pays: the money must be right, the page
must answer within a bound, and the notification must not be lost: the task outbox keeps it and
the sweeper sends it once the broker is back."""

import json
import logging
import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders import selectors, services
from orders.models import Order
from payments.models import LedgerTransaction
from procurement.core import outbox
from procurement.core.models import OutboxTask
from tests.faults.conftest import assert_ledger_sound, celery_broker
from tests.orders.factories import membership

pytestmark = [
    pytest.mark.xdist_group("redis-faults"),  # one Redis database: one process at a time
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Nothing listens here: connections are refused at once, as when Redis is stopped.
CLOSED_BROKER = "redis://127.0.0.1:6390/0"
# The longest a merchant may wait for the pay request with the broker down: the broker client's
# connect timeout (3 s) and its two retries, with room to spare.
BOUND_SECONDS = 10


def _order_awaiting_payment(company, buyer, product, skus) -> Order:
    services.cart_add(user=buyer, company=company, product=product, quantities={skus[0]: 20})
    priced = selectors.priced_cart(cart=selectors.cart_for(user=buyer, company=company))
    return services.order_place_from_cart(
        user=buyer,
        company=company,
        membership=membership(buyer, company),
        checkout_key=uuid.uuid4().hex,
        signature=priced.signature(None, None),
    )


def _pay_with_broker_down(shop):
    company, buyer, product, skus = shop
    order = _order_awaiting_payment(company, buyer, product, skus)
    browser = Client(raise_request_exception=False)
    browser.force_login(buyer)
    with celery_broker(CLOSED_BROKER):
        started = time.monotonic()
        response = browser.post(
            reverse("orders:order-pay", args=[order.pk]), {"quote": order.quote_id}
        )
        elapsed = time.monotonic() - started
    order.refresh_from_db()
    return order, response, elapsed


def test_paying_with_the_broker_down_answers_in_time_and_keeps_order_and_charge(shop):
    order, _response, elapsed = _pay_with_broker_down(shop)

    assert elapsed < BOUND_SECONDS, f"the pay request took {elapsed:.1f}s with Redis down"
    # The charge and the order commit before any task is sent: the money is right either way.
    assert order.status == Order.Status.PAID
    assert order.charge_id is not None
    assert LedgerTransaction.objects.filter(reference=order.reference).count() == 1
    assert order.purchase_orders.count() == 1
    assert_ledger_sound()


def test_paying_with_the_broker_down_redirects_and_the_sweeper_sends_the_notification_later(
    shop, caplog
):
    with caplog.at_level(logging.WARNING):
        order, response, _elapsed = _pay_with_broker_down(shop)

    # The merchant sees the paid order, not an error page for a payment that went through.
    assert response.status_code == 302, response.status_code
    assert response["Location"] == reverse("orders:order-detail", args=[order.pk])
    # The failed send is logged with what was not sent, and kept in the outbox, committed with
    # the payment.
    assert any("order_paid" in record.getMessage() for record in caplog.records)
    notification = OutboxTask.objects.get(task="orders.tasks.order_paid", args=[order.pk])
    assert notification.sent_at is None
    assert not mail.outbox

    # The broker is back (here: tasks run in-process again) and beat runs the sweeper a minute on.
    a_minute_later = timezone.now() + timedelta(minutes=1)
    assert outbox.outbox_sweep(now=a_minute_later) == 1
    assert outbox.outbox_sweep(now=a_minute_later) == 0

    notification.refresh_from_db()
    assert notification.sent_at is not None
    assert [message.subject for message in mail.outbox] == [f"Order {order.number} is paid"]


def test_the_sweeper_hands_the_lost_notification_to_the_broker_once_it_is_back(shop, broker_url):
    order, _response, _elapsed = _pay_with_broker_down(shop)

    a_minute_later = timezone.now() + timedelta(minutes=1)
    with celery_broker(broker_url):
        assert outbox.outbox_sweep(now=a_minute_later) == 1
        assert outbox.outbox_sweep(now=a_minute_later) == 0
    queued = [json.loads(raw) for raw in redis.Redis.from_url(broker_url).lrange("default", 0, -1)]

    # One message, for the paid order's notification, waits for a worker.
    assert [message["headers"]["task"] for message in queued] == ["orders.tasks.order_paid"]
    assert queued[0]["headers"]["argsrepr"] == f"[{order.pk}]"
    assert OutboxTask.objects.get(task="orders.tasks.order_paid").sent_at is not None
