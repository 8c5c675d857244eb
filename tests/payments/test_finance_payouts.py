from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from payments import exceptions, payouts, selectors
from payments.models import (
    Account,
    LedgerTransaction,
    PayoutBatch,
    PayoutLine,
    SupplierPayable,
    SupplierPayableEvent,
)

pytestmark = pytest.mark.django_db

PS = SupplierPayable.Status
BS = PayoutBatch.Status


def record(company, n, amount="1000.00", supplier="supplier:1", placed_at=None, **kwargs):
    return payouts.supplier_payable_record(
        reference=f"po:{n}",
        order_reference=f"order:{n}",
        company=company,
        supplier_reference=supplier,
        payee_name="义乌市星光饰品有限公司",
        payee_account="6222 0000 1111 2222",
        payee_bank="中国工商银行义乌分行",
        amount_cny=Decimal(amount),
        placed_at=placed_at or timezone.now(),
        idempotency_key=f"po:{n}:placed",
        **kwargs,
    )


def test_record_is_idempotent_and_refuses_a_second_key(company):
    first = record(company, 1, freight_cny=Decimal("20.00"))
    assert record(company, 1) == first
    assert SupplierPayable.objects.count() == 1
    with pytest.raises(exceptions.IdempotencyConflict):
        payouts.supplier_payable_record(
            reference="po:1",
            order_reference="order:1",
            company=company,
            supplier_reference="supplier:1",
            payee_name="x",
            payee_account="1",
            payee_bank="b",
            amount_cny=Decimal(5),
            placed_at=timezone.now(),
            idempotency_key="another",
        )
    assert first.events.get().to_status == PS.OPEN


def test_record_refuses_bad_amounts(company):
    with pytest.raises(exceptions.InvalidAmount):
        record(company, 1, amount="10.001")
    with pytest.raises(exceptions.InvalidAmount):
        record(company, 2, amount="0")
    with pytest.raises(exceptions.InvalidAmount):
        record(company, 3, amount="10", freight_cny=Decimal("11"))


def test_batch_lifecycle_posts_a_balanced_payout_once(company, finance):
    a = record(company, 1, "1000.00")
    b = record(company, 2, "234.56")
    record(company, 3, "99.00", supplier="supplier:2")

    batch = payouts.payout_batch_create(actor=finance, supplier_reference="supplier:1")
    assert batch.status == BS.DRAFT
    assert batch.total_cny == Decimal("1234.56")
    a.refresh_from_db()
    assert a.status == PS.BATCHED

    # Review: take one line out; the payable is open again.
    line_b = batch.lines.get(payable=b)
    payouts.payout_line_remove(line=line_b, actor=finance)
    batch.refresh_from_db()
    assert batch.total_cny == Decimal("1000.00")
    b.refresh_from_db()
    assert b.status == PS.OPEN

    payouts.payout_batch_export(batch=batch, actor=finance)
    batch.refresh_from_db()
    assert batch.status == BS.EXPORTED
    # Frozen after export.
    with pytest.raises(exceptions.PaymentsError):
        payouts.payout_line_remove(line=batch.lines.get(payable=a), actor=finance)
    with pytest.raises(payouts.PayableLocked):
        payouts.supplier_payable_adjust(
            reference="po:1", amount_cny=Decimal("900"), idempotency_key="k"
        )

    body = payouts.payout_bank_csv(batch=batch).decode("utf-8-sig")
    header, row = body.splitlines()[:2]
    assert header.split(",") == payouts.BANK_CSV_HEADER
    assert "收款人" in header
    assert "账号" in header
    assert "开户行" in header
    assert "金额" in header
    assert "1000.00" in row
    assert "po:1" in row
    assert "中国工商银行义乌分行" in row

    payouts.payout_batch_mark_paid(batch=batch, actor=finance, bank_reference="ICBC-777")
    batch.refresh_from_db()
    a.refresh_from_db()
    assert batch.status == BS.PAID
    assert a.status == PS.PAID
    assert a.paid_at
    tx = batch.transaction
    assert tx.kind == payouts.SUPPLIER_PAYOUT
    amounts = {p.account.kind: p.amount for p in tx.postings.select_related("account")}
    assert amounts == {
        Account.Kind.SUPPLIER_PAYABLE: Decimal("-1000.00"),
        payouts.PAYOUT_BANK: Decimal("1000.00"),
    }
    assert selectors.ledger_problems() == []

    # Paying again is a no-op; cancelling a paid batch is refused.
    payouts.payout_batch_mark_paid(batch=batch, actor=finance, bank_reference="again")
    assert LedgerTransaction.objects.filter(kind=payouts.SUPPLIER_PAYOUT).count() == 1
    with pytest.raises(exceptions.InvalidTransition):
        payouts.payout_batch_cancel(batch=batch, actor=finance)
    # A paid payable is not picked up by a new batch.
    again = payouts.payout_batch_create(actor=finance, supplier_reference="supplier:1")
    assert list(again.lines.values_list("payable__reference", flat=True)) == ["po:2"]
    events = list(a.events.values_list("to_status", flat=True))
    assert events == [PS.OPEN, PS.BATCHED, PS.PAID]


def test_cancelled_batch_releases_payables_for_a_rebuild(company, finance):
    payable = record(company, 1)
    batch = payouts.payout_batch_create(actor=finance)
    payouts.payout_batch_export(batch=batch, actor=finance)
    payouts.payout_batch_cancel(batch=batch, actor=finance, reason="wrong account")
    payable.refresh_from_db()
    assert payable.status == PS.OPEN
    with pytest.raises(exceptions.PaymentsError):
        payouts.payout_batch_mark_paid(batch=batch, actor=finance)
    rebuilt = payouts.payout_batch_create(actor=finance)
    assert rebuilt.lines.get().payable == payable
    assert list(batch.events.values_list("to_status", flat=True)) == [
        BS.DRAFT,
        BS.EXPORTED,
        BS.CANCELLED,
    ]


def test_database_allows_one_active_line_per_payable(company, finance):
    payable = record(company, 1)
    batch = payouts.payout_batch_create(actor=finance)
    other = PayoutBatch.objects.create(created_by=finance)
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutLine.objects.create(batch=other, payable=payable, amount_cny=payable.amount_cny)
    assert batch.lines.filter(active=True).count() == 1


def test_a_payable_in_two_batches_cannot_be_paid_twice(company, finance):
    """Even if a line were forced into a second batch, paying checks the payable's state."""
    payable = record(company, 1)
    first = payouts.payout_batch_create(actor=finance)
    payouts.payout_batch_export(batch=first, actor=finance)
    payouts.payout_batch_mark_paid(batch=first, actor=finance, bank_reference="A")
    second = PayoutBatch.objects.create(created_by=finance, status=BS.EXPORTED)
    PayoutLine.objects.filter(batch=first).update(active=False)
    PayoutLine.objects.create(batch=second, payable=payable, amount_cny=payable.amount_cny)
    with pytest.raises(exceptions.PaymentsError):
        payouts.payout_batch_mark_paid(batch=second, actor=finance, bank_reference="B")
    assert LedgerTransaction.objects.filter(kind=payouts.SUPPLIER_PAYOUT).count() == 1


def test_adjust_and_cancel_at_the_boundary(company, finance):
    payable = record(company, 1, "500.00")
    payouts.supplier_payable_adjust(
        reference="po:1", amount_cny=Decimal("480.50"), idempotency_key="po:1:price:1"
    )
    # Replayed with the same key: nothing changes again.
    payouts.supplier_payable_adjust(
        reference="po:1", amount_cny=Decimal("1"), idempotency_key="po:1:price:1"
    )
    payable.refresh_from_db()
    assert payable.amount_cny == Decimal("480.50")
    event = SupplierPayableEvent.objects.get(idempotency_key="po:1:price:1")
    assert (event.amount_before, event.amount_after) == (Decimal("500.00"), Decimal("480.50"))

    batch = payouts.payout_batch_create(actor=finance)
    payouts.supplier_payable_adjust(
        reference="po:1", amount_cny=Decimal("470.00"), idempotency_key="po:1:price:2"
    )
    batch.refresh_from_db()
    assert batch.total_cny == Decimal("470.00")

    payouts.supplier_payable_cancel(reference="po:1", idempotency_key="po:1:cancel")
    payable.refresh_from_db()
    batch.refresh_from_db()
    assert payable.status == PS.CANCELLED
    assert batch.total_cny == 0
    assert (
        payouts.supplier_payable_cancel(reference="po:1", idempotency_key="x").status
        == PS.CANCELLED
    )
    with pytest.raises(payouts.PayableNotFound):
        payouts.supplier_payable_cancel(reference="po:404", idempotency_key="y")


def test_batch_by_date_range_and_empty_batch(company, finance):
    now = timezone.now()
    record(company, 1, placed_at=now - timedelta(days=40))
    record(company, 2, placed_at=now)
    start = timezone.localdate() - timedelta(days=1)
    batch = payouts.payout_batch_create(actor=finance, placed_from=start)
    assert list(batch.lines.values_list("payable__reference", flat=True)) == ["po:2"]
    with pytest.raises(payouts.BatchEmpty):
        payouts.payout_batch_create(actor=finance, supplier_reference="supplier:9")
    assert not PayoutBatch.objects.filter(supplier_reference="supplier:9").exists()


def test_only_finance_builds_batches(company, staff_user):
    record(company, 1)
    with pytest.raises(exceptions.PaymentsError):
        payouts.payout_batch_create(actor=staff_user)
