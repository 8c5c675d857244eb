from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.exceptions import ReasonRequired
from catalog.models import Supplier, SupplierEvent
from catalog.selectors import supplier_scorecard
from catalog.services import supplier_performance_record, supplier_transition
from procurement.core.exceptions import InvalidTransition
from tests.catalog.factories import ProductFactory, SupplierFactory

S = Supplier.Status
pytestmark = pytest.mark.django_db


def test_full_vetting_path_records_each_change(staff_user):
    supplier = SupplierFactory(status=S.APPLIED)

    supplier_transition(supplier=supplier, to_status=S.UNDER_REVIEW, actor=staff_user)
    supplier_transition(
        supplier=supplier, to_status=S.APPROVED, actor=staff_user, reason="Licence ok"
    )
    supplier_transition(
        supplier=supplier, to_status=S.SUSPENDED, actor=staff_user, reason="Late twice"
    )
    supplier_transition(supplier=supplier, to_status=S.APPROVED, actor=staff_user, reason="Ok")

    supplier.refresh_from_db()
    assert supplier.status == S.APPROVED
    events = list(supplier.events.order_by("pk").values_list("from_status", "to_status", "reason"))
    assert events == [
        (S.APPLIED, S.UNDER_REVIEW, ""),
        (S.UNDER_REVIEW, S.APPROVED, "Licence ok"),
        (S.APPROVED, S.SUSPENDED, "Late twice"),
        (S.SUSPENDED, S.APPROVED, "Ok"),
    ]
    assert set(supplier.events.values_list("actor", flat=True)) == {staff_user.pk}


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (S.APPLIED, S.APPROVED),
        (S.APPLIED, S.SUSPENDED),
        (S.UNDER_REVIEW, S.SUSPENDED),
        (S.REJECTED, S.APPROVED),
        (S.APPROVED, S.REJECTED),
        (S.SUSPENDED, S.REJECTED),
    ],
)
def test_undeclared_transitions_are_refused(start, target, staff_user):
    supplier = SupplierFactory(status=start)

    with pytest.raises(InvalidTransition):
        supplier_transition(supplier=supplier, to_status=target, actor=staff_user, reason="x")

    supplier.refresh_from_db()
    assert supplier.status == start
    assert not SupplierEvent.objects.exists()


@pytest.mark.parametrize(
    ("start", "target"), [(S.UNDER_REVIEW, S.REJECTED), (S.APPROVED, S.SUSPENDED)]
)
def test_rejecting_or_suspending_needs_a_reason(start, target, staff_user):
    supplier = SupplierFactory(status=start)

    with pytest.raises(ReasonRequired):
        supplier_transition(supplier=supplier, to_status=target, actor=staff_user, reason="  ")

    supplier.refresh_from_db()
    assert supplier.status == start


def test_scorecard_is_computed_from_performance_records():
    supplier = SupplierFactory()
    ProductFactory.create_batch(2, supplier=supplier)
    now = timezone.now()
    supplier_performance_record(
        supplier=supplier, reference="po:1", placed_at=now, dispatched_on_time=True,
        units_inspected=100, units_defective=2, response_minutes=60,
    )  # fmt: skip
    supplier_performance_record(
        supplier=supplier, reference="po:2", placed_at=now, dispatched_on_time=False,
        cancelled=True, units_inspected=100, units_defective=0, response_minutes=180,
    )  # fmt: skip

    card = supplier_scorecard(supplier)

    assert card.orders_count == 2
    assert card.on_time_dispatch_rate == Decimal("0.5")
    assert card.defect_rate == Decimal("0.01")
    assert card.cancellation_rate == Decimal("0.5")
    assert card.average_response_hours == Decimal("2.0")
    assert card.products_count == 2
    assert card.rating is not None
    assert Decimal(0) < card.rating < Decimal(5)
    supplier.refresh_from_db()
    assert supplier.rating == card.rating


def test_re_recording_a_reference_updates_instead_of_adding():
    supplier = SupplierFactory()
    now = timezone.now()
    supplier_performance_record(supplier=supplier, reference="po:9", placed_at=now)
    supplier_performance_record(
        supplier=supplier, reference="po:9", placed_at=now, dispatched_on_time=True
    )

    card = supplier_scorecard(supplier)

    assert card.orders_count == 1
    assert card.on_time_dispatch_rate == Decimal(1)


def test_a_supplier_without_history_has_no_rating():
    card = supplier_scorecard(SupplierFactory())

    assert card.orders_count == 0
    assert card.rating is None
    assert not card.has_history
