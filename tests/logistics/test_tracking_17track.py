# ruff: noqa: RUF001 (Chinese carriers write fullwidth commas and colons; the scans keep them)
"""17TRACK v2.2 pushes and polls, from a push shaped exactly as 17TRACK sends it
(fixtures/17track_tracking_updated.json: per-event `stage`, often null, no per-event
`sub_status`, an `address` object on every scan)."""

import copy
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from logistics import services
from logistics.adapters.tracking import AggregatorTracking
from logistics.models import Parcel, TrackingAlert, TrackingEvent
from tests.logistics.test_tracking import post, shipped_parcel

pytestmark = pytest.mark.django_db

PUSH = json.loads(
    (Path(__file__).resolve().parent / "fixtures" / "17track_tracking_updated.json").read_text()
)
NUMBER = PUSH["data"]["number"]


def scan(time_utc, description, *, stage=None, sub_status=None, address=None, location=""):
    event = {
        "time_iso": time_utc.replace("Z", "+00:00"),
        "time_utc": time_utc,
        "description": description,
        "location": location,
        "stage": stage,
        "address": address
        or {
            "country": None,
            "state": None,
            "city": None,
            "street": None,
            "postal_code": None,
            "coordinates": {"longitude": None, "latitude": None},
        },
    }
    if sub_status is not None:
        event["sub_status"] = sub_status
    return event


def push_of(*events, latest_status=None, with_latest=True):
    push = copy.deepcopy(PUSH)
    info = push["data"]["track_info"]
    info["tracking"]["providers"][0]["events"] = list(events)
    info["latest_event"] = events[0] if with_latest else None
    info["latest_status"] = latest_status or {
        "status": "InTransit",
        "sub_status": "InTransit_Other",
        "sub_status_descr": None,
    }
    return push


def body(push) -> bytes:
    return json.dumps(push, ensure_ascii=False).encode()


@pytest.fixture
def parcel(company, owner):
    return shipped_parcel(
        company, owner, number=NUMBER, tracking="aggregator", carrier_code="100002"
    )


def kinds(parcel):
    return list(
        TrackingEvent.objects.filter(parcel=parcel)
        .order_by("occurred_at")
        .values_list("description", "kind", "kind_source")
    )


def test_every_scan_of_a_real_push_gets_a_kind(client, parcel):
    response = post(client, body(PUSH), provider="aggregator")

    assert response.status_code == 200
    assert response.json() == {"created": 5}
    assert kinds(parcel) == [
        (
            "Shipper created a label, UPS has not received the package yet.",
            "info",
            "stage",
        ),
        ("Origin Scan", "in_transit", "description"),
        ("Arrived at Facility", "in_transit", "description"),
        ("Out For Delivery Today", "out_for_delivery", "stage"),
        ("DELIVERED", "delivered", "stage"),
    ]
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.DELIVERED


def test_location_comes_from_the_address_object(client, parcel):
    post(client, body(PUSH), provider="aggregator")
    arrived = TrackingEvent.objects.get(parcel=parcel, description="Arrived at Facility")
    assert (arrived.location, arrived.country) == ("Kent, WA, US", "US")
    assert arrived.raw["address"]["city"] == "Kent"  # the partner's scan is kept whole
    label = TrackingEvent.objects.get(parcel=parcel, kind="info")
    assert (label.location, label.country) == ("US", "US")


def test_without_an_address_the_free_text_location_is_kept():
    event = scan("2026-03-04T01:00:00Z", "Departed", stage="Departure", location="SHENZHEN")
    event.pop("address")
    [update] = AggregatorTracking(token="t").parse_push(push_of(event))
    assert (update.events[0].location, update.events[0].country) == ("SHENZHEN", "")


def test_stage_then_sub_status_then_description():
    events = [
        scan("2026-03-06T00:00:00Z", "whatever", stage="Arrival", sub_status="Exception_Lost"),
        scan("2026-03-05T00:00:00Z", "whatever", sub_status="DeliveryFailure_NoBody"),
        scan("2026-03-04T00:00:00Z", "Attempted delivery, nobody home"),
    ]
    [update] = AggregatorTracking(token="t").parse_push(push_of(*events, with_latest=False))
    assert [(e.kind, e.kind_source) for e in update.events] == [
        ("in_transit", "stage"),
        ("failed_attempt", "sub_status"),
        ("failed_attempt", "description"),
    ]


def test_the_newest_scan_without_stage_takes_the_parcels_latest_status():
    events = [
        scan("2026-03-06T00:00:00Z", "Package status update"),
        scan("2026-03-05T00:00:00Z", "Package status update"),
    ]
    latest = {"status": "Exception", "sub_status": "Exception_Returning", "sub_status_descr": None}
    [update] = AggregatorTracking(token="t").parse_push(push_of(*events, latest_status=latest))
    assert [(e.kind, e.kind_source) for e in update.events] == [
        ("returning", "sub_status"),
        ("other", ""),  # an older scan: the parcel's latest status does not describe it
    ]


@pytest.mark.parametrize(
    ("description", "kind"),
    [
        ("【深圳市】深圳国际小包中心 已揽收", "in_transit"),
        ("快件已到达【广州转运中心】", "in_transit"),
        ("已交航空公司运输，航班已起飞", "in_transit"),
        ("海关扣留，待补充资料", "customs_hold"),
        ("派送中，派送员：张三", "out_for_delivery"),
        ("投递失败：收件人不在", "failed_attempt"),
        ("已退回寄件人", "returned"),
        ("已签收，签收人：前台", "delivered"),
        ("Held by customs: documents required", "customs_hold"),
        ("Returned to sender", "returned"),
        ("Delivery attempted - no access", "failed_attempt"),
    ],
)
def test_descriptions_in_english_and_chinese(description, kind):
    [update] = AggregatorTracking(token="t").parse_push(
        push_of(scan("2026-03-05T00:00:00Z", description), with_latest=False)
    )
    assert (update.events[0].kind, update.events[0].kind_source) == (kind, "description")


def test_unknown_scans_are_kept_with_their_raw_text_and_counted_in_the_admin(
    client, staff_user, parcel
):
    odd = scan("2026-03-05T00:00:00Z", "Zollabfertigung ausstehend", stage="Weighed")
    odd["sub_status"] = "InTransit_Weighed"
    post(client, body(push_of(odd)), provider="aggregator")

    event = TrackingEvent.objects.get(parcel=parcel)
    assert (event.kind, event.kind_source) == ("other", "")
    assert (event.stage, event.sub_status) == ("Weighed", "InTransit_Weighed")
    assert event.description == "Zollabfertigung ausstehend"

    staff_user.groups.add(Group.objects.get(name="Warehouse"))
    client.force_login(staff_user)
    changelist = client.get(reverse("admin:logistics_parcel_changelist"), {"unknown_scans": "yes"})
    assert changelist.status_code == 200
    assert [p.pk for p in changelist.context["cl"].result_list] == [parcel.pk]
    assert changelist.context["cl"].result_list[0].unknown_scans == 1
    assert "Unknown scans" in changelist.text


def test_each_exception_kind_mails_the_merchant_once(
    client, parcel, owner, django_capture_on_commit_callbacks
):
    hold = scan("2026-03-05T00:00:00Z", "Customs", sub_status="Exception_Security")
    moving = scan("2026-03-06T00:00:00Z", "Released", sub_status="InTransit_CustomsReleased")
    hold_again = scan("2026-03-07T00:00:00Z", "Customs again", sub_status="Exception_Security")
    no_one = scan("2026-03-08T00:00:00Z", "Nobody home", sub_status="DeliveryFailure_NoBody")
    no_one_again = scan("2026-03-09T00:00:00Z", "Nobody home", sub_status="Exception_NoBody")

    with django_capture_on_commit_callbacks(execute=True):
        post(client, body(push_of(hold)), provider="aggregator")
        post(client, body(push_of(moving, hold)), provider="aggregator")
        post(client, body(push_of(hold_again, moving, hold)), provider="aggregator")
        post(client, body(push_of(no_one, hold_again, moving, hold)), provider="aggregator")
        post(client, body(push_of(no_one_again, no_one)), provider="aggregator")
        post(client, body(push_of(no_one_again, no_one)), provider="aggregator")  # replay

    assert sorted(TrackingAlert.objects.values_list("kind", flat=True)) == [
        "customs_hold",
        "failed_attempt",
    ]
    subjects = sorted(message.subject for message in mail.outbox)
    assert len(subjects) == 2
    assert "Held at customs" in subjects[1] or "Held at customs" in subjects[0]
    assert any("Delivery attempt failed" in subject for subject in subjects)
    assert all(owner.email in message.to for message in mail.outbox)
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.IN_TRANSIT


def test_a_poll_maps_the_same_way_as_a_push(parcel, monkeypatch):
    answer = {
        "accepted": [
            {"number": NUMBER, "carrier": 100002, "track_info": PUSH["data"]["track_info"]}
        ],
        "rejected": [],
    }
    monkeypatch.setattr(AggregatorTracking, "_post", lambda self, path, items: answer)

    assert services.tracking_poll(parcel_id=parcel.pk) == 5

    assert [kind for _d, kind, _s in kinds(parcel)] == [
        "info",
        "in_transit",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
