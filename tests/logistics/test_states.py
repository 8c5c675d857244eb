"""Parcels and inbound parcels move only along their tables, through the one state machine.

Every (from, to) pair of statuses is tried: an allowed move writes exactly one event row and
saves the new status; a refused one raises the kernel's InvalidTransition and changes nothing.
"""

import itertools

import pytest

from logistics import services
from logistics.models import InboundParcel, Parcel
from procurement.core import states
from procurement.core.exceptions import InvalidTransition
from tests.logistics.factories import AddressFactory, channel_with_zone

pytestmark = pytest.mark.django_db


def _parcel(company, warehouse, status):
    return Parcel.objects.create(
        company=company,
        warehouse=warehouse,
        destination=AddressFactory(company=company),
        channel=channel_with_zone(),
        currency=company.wallet_currency,
        status=status,
    )


def _inbound(company, warehouse, status):
    return InboundParcel.objects.create(
        company=company,
        warehouse=warehouse,
        carrier="SF Express",
        tracking_number="SF1",
        contents="Phone cases",
        declared_value=1,
        declared_currency=company.wallet_currency,
        status=status,
    )


def _assert_moves_along_its_table(obj, to, actor):
    before = (obj.status, obj.updated_at)
    events = obj.events.count()
    if obj.can_become(to):
        moved = states.transition(obj, to=to, actor=actor, reason="why")
        assert moved.status == to
        obj.refresh_from_db()
        assert obj.status == to
        assert obj.events.count() == events + 1
        last = obj.events.order_by("pk").last()
        assert (last.from_status, last.to_status, last.actor, last.reason) == (
            before[0],
            to,
            actor,
            "why",
        )
    else:
        with pytest.raises(InvalidTransition):
            states.transition(obj, to=to, actor=actor, reason="why")
        obj.refresh_from_db()
        assert (obj.status, obj.updated_at) == before
        assert obj.events.count() == events


@pytest.mark.parametrize(
    ("start", "to"), list(itertools.product(Parcel.Status.values, Parcel.Status.values))
)
def test_parcel_moves_only_along_its_table(company, warehouse, staff_user, start, to):
    _assert_moves_along_its_table(_parcel(company, warehouse, start), to, staff_user)


@pytest.mark.parametrize(
    ("start", "to"),
    list(itertools.product(InboundParcel.Status.values, InboundParcel.Status.values)),
)
def test_inbound_parcel_moves_only_along_its_table(company, warehouse, staff_user, start, to):
    _assert_moves_along_its_table(_inbound(company, warehouse, start), to, staff_user)


def test_the_parcel_service_step_writes_one_event_and_a_refusal_nothing(
    company, warehouse, staff_user
):
    parcel = _parcel(company, warehouse, Parcel.Status.SHIPPED)

    parcel = services.parcel_transition(
        parcel=parcel, to_status=Parcel.Status.DELIVERED, actor=staff_user, note="Signed"
    )

    assert parcel.events.count() == 1
    assert parcel.delivered_at is not None
    with pytest.raises(InvalidTransition, match="cannot become in transit"):
        services.parcel_transition(
            parcel=parcel, to_status=Parcel.Status.IN_TRANSIT, actor=staff_user
        )
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.DELIVERED
    assert parcel.events.count() == 1


def test_the_inbound_cancel_service_writes_one_event_and_a_refusal_nothing(
    company, warehouse, owner
):
    inbound = _inbound(company, warehouse, InboundParcel.Status.DECLARED)

    inbound = services.inbound_cancel(inbound=inbound, actor=owner, reason="Sent elsewhere")

    assert inbound.status == InboundParcel.Status.CANCELLED
    assert list(inbound.events.values_list("to_status", "reason")) == [
        ("cancelled", "Sent elsewhere")
    ]
    with pytest.raises(InvalidTransition):
        services.inbound_cancel(inbound=inbound, actor=owner)
    assert inbound.events.count() == 1
