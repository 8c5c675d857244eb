"""What PostgreSQL itself guarantees, and real concurrency (threads, each its own connection)."""

import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from payments import exceptions, selectors, services
from payments.adapters import sandbox as sandbox_gateway
from payments.models import Account, LedgerTransaction, Posting, TopUp
from tests.payments.factories import fund_wallet, seed_rates

# serialized_rollback: the flush after each test must not lose migration-seeded rows (the fee
# schedule, staff groups) that later tests rely on.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _run_in_threads(count, work):
    barrier = threading.Barrier(count)
    results = []
    lock = threading.Lock()

    def run(index):
        try:
            barrier.wait()
            outcome = work(index)
        except Exception as error:
            outcome = error
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_twenty_parallel_charges_against_a_balance_for_one(company):
    seed_rates()
    quotes = [
        services.fx_quote_create(company=company, amount=Decimal("1000.00")) for _ in range(20)
    ]
    fund_wallet(company, quotes[0].charge_amount)

    results = _run_in_threads(
        20,
        lambda i: services.checkout_charge(
            quote=quotes[i], reference=f"order:{i}", idempotency_key=f"order:{i}:pay"
        ),
    )
    succeeded = [r for r in results if isinstance(r, LedgerTransaction)]
    refused = [r for r in results if isinstance(r, exceptions.InsufficientBalance)]
    assert len(succeeded) == 1
    assert len(refused) == 19
    assert selectors.wallet_balance(company=company, currency="USD") == 0
    assert LedgerTransaction.objects.filter(kind="checkout").count() == 1
    assert selectors.ledger_problems() == []


def test_the_same_idempotency_key_from_twenty_threads_posts_once(company):
    seed_rates()
    fund_wallet(company, "10000")
    quote = services.fx_quote_create(company=company, amount=Decimal("100.00"))
    results = _run_in_threads(
        20,
        lambda i: (
            services.checkout_charge(
                quote=quote, reference="order:1", idempotency_key="order:1:pay"
            ).pk
        ),
    )
    assert len(set(results)) == 1, results
    assert LedgerTransaction.objects.filter(kind="checkout").count() == 1


def test_one_webhook_delivered_twenty_times_at_once_credits_once(company):
    top_up = services.top_up_create(
        company=company, amount=Decimal("100.00"), actor=None, gateway="sandbox"
    )
    body = sandbox_gateway.event_body(
        event_type="payment.succeeded",
        payment_id=top_up.provider_reference,
        merchant_reference=top_up.reference,
        amount=top_up.amount,
        currency=top_up.currency,
    )
    headers = {sandbox_gateway.SIGNATURE_HEADER: sandbox_gateway.sign(body)}
    results = _run_in_threads(
        20,
        lambda i: (
            services.gateway_webhook_handle(
                provider="sandbox", headers=headers, body=body, path="/wallet/webhooks/sandbox/"
            ).pk
        ),
    )
    assert len(set(results)) == 1, results
    assert TopUp.objects.get().status == TopUp.Status.SUCCEEDED
    assert selectors.wallet_balance(company=company, currency="USD") == Decimal("100")


def test_database_refuses_an_unbalanced_transaction(company):
    wallet = Account.objects.create(kind="wallet", company=company, currency="USD")

    def write_one_sided_transaction():
        with transaction.atomic():
            tx = LedgerTransaction.objects.create(
                kind="adjustment", reference="x", idempotency_key="x"
            )
            Posting.objects.create(
                transaction=tx, account=wallet, amount=Decimal(5), currency="USD", balance_after=5
            )

    # The check is deferred: it fires at commit, and the whole transaction is rolled back.
    with pytest.raises(IntegrityError):
        write_one_sided_transaction()
    assert not LedgerTransaction.objects.exists()


def test_database_refuses_a_posting_in_another_currency(company):
    wallet = Account.objects.create(kind="wallet", company=company, currency="USD")
    tx = LedgerTransaction.objects.create(kind="adjustment", reference="x", idempotency_key="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.create(
            transaction=tx, account=wallet, amount=Decimal(5), currency="EUR", balance_after=5
        )


def test_database_refuses_a_negative_wallet(company):
    wallet = Account.objects.create(kind="wallet", company=company, currency="USD")
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=wallet.pk).update(balance=Decimal("-0.01"))


def test_postings_and_transactions_are_append_only(company):
    top_up = fund_wallet(company, "10")
    posting = top_up.transaction.postings.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        Posting.objects.filter(pk=posting.pk).update(amount=Decimal(1))
    with pytest.raises(DatabaseError), transaction.atomic():
        Posting.objects.filter(pk=posting.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerTransaction.objects.filter(pk=top_up.transaction_id).update(memo="changed")
