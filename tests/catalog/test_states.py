"""Suppliers move only along their vetting table, through the one state machine.

Every (from, to) pair of statuses is tried through the vetting service: an allowed move writes
exactly one event row; a refused one raises the kernel's InvalidTransition and changes nothing.
"""

import itertools

import pytest

from catalog.models import Supplier, SupplierEvent
from catalog.services import supplier_transition
from procurement.core.exceptions import InvalidTransition
from tests.catalog.factories import SupplierFactory

S = Supplier.Status
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("start", "to"), list(itertools.product(S.values, S.values)))
def test_supplier_moves_only_along_its_table(staff_user, start, to):
    supplier = SupplierFactory(status=start)
    before = (supplier.status, supplier.status_changed_at, supplier.updated_at)

    if supplier.can_become(to):
        supplier_transition(supplier=supplier, to_status=to, actor=staff_user, reason="why")
        supplier.refresh_from_db()
        assert supplier.status == to
        assert supplier.status_changed_at is not None
        event = SupplierEvent.objects.get()
        assert (event.supplier, event.from_status, event.to_status) == (supplier, start, to)
        assert (event.actor, event.reason) == (staff_user, "why")
    else:
        with pytest.raises(InvalidTransition):
            supplier_transition(supplier=supplier, to_status=to, actor=staff_user, reason="why")
        supplier.refresh_from_db()
        assert (supplier.status, supplier.status_changed_at, supplier.updated_at) == before
        assert not SupplierEvent.objects.exists()


def test_the_table_names_every_status():
    assert set(Supplier.TRANSITIONS) == set(S.values)
    for targets in Supplier.TRANSITIONS.values():
        assert targets <= set(S.values)


def test_a_refused_move_is_refused_before_a_missing_reason_counts(staff_user):
    supplier = SupplierFactory(status=S.APPLIED)

    with pytest.raises(InvalidTransition):
        supplier_transition(supplier=supplier, to_status=S.SUSPENDED, actor=staff_user)
