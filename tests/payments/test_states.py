"""Payments' stateful models move only along their own tables, through procurement.core.states.

For every pair of statuses of top-ups, FX quotes, supplier payables, payout batches and export
jobs: an allowed move saves the status and writes exactly one event row (none for a model
without a timeline); a refused one raises the kernel's InvalidTransition and changes nothing.
"""

import ast
from datetime import date, timedelta
from decimal import Decimal
from itertools import product
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from payments.models import (
    Account,
    ExportJob,
    FxQuote,
    LedgerTransaction,
    PayoutBatch,
    SupplierPayable,
    TopUp,
)
from payments.services import ledger
from procurement.core import states
from procurement.core.exceptions import InvalidTransition
from procurement.core.states import Stateful
from tests.accounts.factories import CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db


def _top_up(status, company, user):
    return TopUp.objects.create(
        company=company,
        gateway="sandbox",
        amount=Decimal("10.00"),
        currency="USD",
        status=status,
        expires_at=timezone.now() + timedelta(hours=1),
    )


def _quote(status, company, user):
    return FxQuote.objects.create(
        company=company,
        from_currency="USD",
        to_currency="CNY",
        amount=Decimal("72.00"),
        mid_rate=Decimal("7.2"),
        rate_as_of=timezone.now(),
        markup_bps=100,
        client_rate=Decimal("7.128"),
        charge_amount=Decimal("10.10"),
        markup_amount=Decimal("0.10"),
        amount_usd=Decimal("10.00"),
        status=status,
        used_at=timezone.now() if status == FxQuote.Status.USED else None,
        expires_at=timezone.now() + timedelta(minutes=15),
    )


def _payable(status, company, user):
    return SupplierPayable.objects.create(
        reference=f"po:{status}",
        order_reference="order:1",
        company=company,
        supplier_reference="supplier:1",
        payee_name="Factory",
        payee_account="6222000011112222",
        payee_bank="ICBC Yiwu",
        amount_cny=Decimal("100.00"),
        status=status,
        placed_at=timezone.now(),
        paid_at=timezone.now() if status == SupplierPayable.Status.PAID else None,
        idempotency_key=f"po:{status}:placed",
    )


def _payout(key: str) -> LedgerTransaction:
    return ledger._post(
        kind=LedgerTransaction.Kind.SUPPLIER_PAYOUT,
        company=None,
        reference=key,
        idempotency_key=key,
        legs=[
            (ledger._platform_account(Account.Kind.SUPPLIER_PAYABLE, "CNY"), Decimal("-1.00")),
            (ledger._platform_account(Account.Kind.PAYOUT_BANK, "CNY"), Decimal("1.00")),
        ],
    )


def _batch(status, company, user):
    paid = status == PayoutBatch.Status.PAID
    return PayoutBatch.objects.create(
        status=status, created_by=user, transaction=_payout("payout:made-paid") if paid else None
    )


def _job(status, company, user):
    return ExportJob.objects.create(
        kind=ExportJob.Kind.SETTLEMENT_XLSX,
        date_from=date(2026, 1, 1),
        date_to=date(2026, 1, 31),
        status=status,
        requested_by=user,
    )


# What each service sets together with the status, where the database requires it.
def _changes(model, to):
    if model is FxQuote and to == FxQuote.Status.USED:
        return {"used_at": timezone.now()}
    if model is SupplierPayable and to == SupplierPayable.Status.PAID:
        return {"paid_at": timezone.now()}
    if model is PayoutBatch and to == PayoutBatch.Status.PAID:
        return {"transaction": _payout("payout:moved-paid")}
    return None


MAKERS = {
    TopUp: _top_up,
    FxQuote: _quote,
    SupplierPayable: _payable,
    PayoutBatch: _batch,
    ExportJob: _job,
}
CASES = [
    pytest.param(model, a, b, id=f"{model.__name__}:{a}->{b}")
    for model in MAKERS
    for a, b in product(model.Status.values, repeat=2)
]


def _events(obj) -> int:
    return 0 if obj.STATUS_EVENTS is None else getattr(obj, obj.STATUS_EVENTS).count()


def test_every_status_has_a_row_in_its_table():
    for model in MAKERS:
        assert issubclass(model, Stateful)
        assert set(model.TRANSITIONS) == set(model.Status.values), model
        for targets in model.TRANSITIONS.values():
            assert targets <= set(model.Status.values), model


@pytest.mark.parametrize(("model", "start", "to"), CASES)
def test_a_move_follows_the_table(model, start, to):
    obj = MAKERS[model](start, CompanyFactory(), UserFactory())
    before = _events(obj)
    allowed = to in model.TRANSITIONS[start]

    if allowed:
        with transaction.atomic():
            event = states.apply(
                states.lock(obj), to=to, reason="walked", changes=_changes(model, to)
            )
        obj.refresh_from_db()
        assert obj.status == to
        assert _events(obj) == before + (0 if model.STATUS_EVENTS is None else 1)
        if event is not None:
            assert (event.from_status, event.to_status, event.reason) == (start, to, "walked")
    else:
        with pytest.raises(InvalidTransition), transaction.atomic():
            states.apply(states.lock(obj), to=to, changes=_changes(model, to))
        obj.refresh_from_db()
        assert obj.status == start
        assert _events(obj) == before


def test_nothing_in_payments_assigns_a_status_but_the_state_machine():
    """A source scan: `x.status = ...` appears in no payments module (creating a row with its
    first status, `objects.create(status=...)`, is fine)."""
    found = []
    for path in sorted((Path(settings.BASE_DIR) / "payments").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            found += [
                f"{path.name}:{node.lineno}"
                for target in targets
                if isinstance(target, ast.Attribute) and target.attr == "status"
            ]
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "update":
                found += [
                    f"{path.name}:{node.lineno} (update)"
                    for keyword in node.keywords
                    if keyword.arg == "status"
                ]
    assert found == []
