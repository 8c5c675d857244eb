"""The database connection dies between two statements of a money write: the checkout charge
and a gateway webhook. The transaction must roll back whole, and one retry must succeed once."""

import uuid
from decimal import Decimal

import pytest
from django.db import DatabaseError, Error, InterfaceError, OperationalError
from django.test import Client

from orders import selectors, services
from orders.models import Order
from payments import selectors as payments_selectors
from payments import services as payments_services
from payments.adapters import sandbox as sandbox_gateway
from payments.models import FxQuote, GatewayEvent, LedgerTransaction, Posting, TopUp
from tests.faults.conftest import assert_ledger_sound, backend_pid, terminate_backend
from tests.orders.factories import membership

pytestmark = [
    pytest.mark.xdist_group("redis-faults"),  # one Redis database: one process at a time
    pytest.mark.postgres,
    # Real commits and rollbacks; serialized rollback restores the rows the migrations seeded.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WEBHOOK = "/wallet/webhooks/sandbox/"
CONNECTION_LOST = (OperationalError, InterfaceError, DatabaseError, Error)


def _kill_connection_after(monkeypatch, target, name: str) -> list[int]:
    """Wrap `target.name` so the server process of this connection is terminated right after the
    wrapped call returns, before the next statement of the same transaction; once only."""
    original = getattr(target, name)
    killed: list[int] = []

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        if not killed:
            pid = backend_pid()
            terminate_backend(pid)
            killed.append(pid)
        return result

    monkeypatch.setattr(target, name, wrapper)
    return killed


def _order_awaiting_payment(company, buyer, product, skus) -> Order:
    change = services.cart_add(
        user=buyer, company=company, product=product, quantities={skus[0]: 20}
    )
    assert change.ok, change.errors
    priced = selectors.priced_cart(cart=selectors.cart_for(user=buyer, company=company))
    order = services.order_place_from_cart(
        user=buyer,
        company=company,
        membership=membership(buyer, company),
        checkout_key=uuid.uuid4().hex,
        signature=priced.signature(None, None),
    )
    assert order.status == Order.Status.AWAITING_PAYMENT
    return order


def _wallet(company) -> Decimal:
    return payments_selectors.wallet_balance(company=company, currency=company.wallet_currency)


def test_connection_dropped_inside_the_checkout_charge_rolls_back_and_a_retry_pays_once(
    shop, monkeypatch
):
    company, buyer, product, skus = shop
    order = _order_awaiting_payment(company, buyer, product, skus)
    balance_before = _wallet(company)
    postings_before = Posting.objects.count()

    # Killed after the ledger legs and balances are written, before the quote is marked used.
    killed = _kill_connection_after(monkeypatch, payments_services.ledger, "_post")
    with pytest.raises(CONNECTION_LOST):
        services.order_pay(order=order, actor=buyer, membership=membership(buyer, company))
    assert killed, "the fault was not injected"
    monkeypatch.undo()

    # Django reconnects on the next query; nothing of the half-done charge was kept.
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert order.charge_id is None
    assert order.quote.status != FxQuote.Status.USED
    assert not LedgerTransaction.objects.filter(reference=order.reference).exists()
    assert Posting.objects.count() == postings_before
    assert _wallet(company) == balance_before
    assert not order.purchase_orders.exists()

    paid = services.order_pay(order=order, actor=buyer, membership=membership(buyer, company))
    again = services.order_pay(order=order, actor=buyer, membership=membership(buyer, company))

    assert paid.status == again.status == Order.Status.PAID
    assert paid.charge_id == again.charge_id
    assert LedgerTransaction.objects.filter(reference=order.reference).count() == 1
    charged = paid.quote.charge_amount + paid.quote.fee_amount
    assert _wallet(company) == balance_before - charged
    assert paid.purchase_orders.count() == 1
    assert_ledger_sound()


def test_connection_dropped_inside_webhook_handling_rolls_back_and_the_redelivery_credits_once(
    company, monkeypatch
):
    top_up = payments_services.top_up_create(
        company=company, amount=Decimal("100.00"), actor=None, gateway="sandbox"
    )
    body = sandbox_gateway.event_body(
        event_type="payment.succeeded",
        payment_id=top_up.provider_reference,
        merchant_reference=top_up.reference,
        amount=top_up.amount,
        currency=top_up.currency,
    )
    headers = {"HTTP_X_SANDBOX_SIGNATURE": sandbox_gateway.sign(body)}
    gateway = Client(raise_request_exception=False)

    # Killed after the event row and the credit are written, before the top-up changes status.
    killed = _kill_connection_after(monkeypatch, payments_services.ledger, "_post")
    response = gateway.post(WEBHOOK, data=body, content_type="application/json", **headers)
    assert killed, "the fault was not injected"
    monkeypatch.undo()

    # A 5xx makes the gateway deliver again; nothing of the first delivery was kept.
    assert response.status_code >= 500
    top_up.refresh_from_db()
    assert top_up.status == TopUp.Status.PENDING
    assert top_up.transaction_id is None
    assert not GatewayEvent.objects.exists()
    assert _wallet(company) == 0

    redelivered = gateway.post(WEBHOOK, data=body, content_type="application/json", **headers)
    replayed = gateway.post(WEBHOOK, data=body, content_type="application/json", **headers)

    assert redelivered.status_code == replayed.status_code == 200
    assert redelivered.json()["outcome"] == "applied"
    top_up.refresh_from_db()
    assert top_up.status == TopUp.Status.SUCCEEDED
    assert GatewayEvent.objects.count() == 1
    assert LedgerTransaction.objects.filter(reference=top_up.reference).count() == 1
    assert _wallet(company) == Decimal("100")
    assert_ledger_sound()
