import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.urls import reverse

from logistics import services, tasks, webhooks
from logistics.adapters.tracking import (
    AggregatorTracking,
    SandboxTracking,
    TrackingProviderError,
    TrackingUpdate,
)
from logistics.conf import tracking_webhook_secret
from logistics.models import Parcel, ShippingChannel, TrackingEvent
from tests.logistics.factories import AddressFactory, StockItemFactory, channel_with_zone

pytestmark = pytest.mark.django_db
D = Decimal


def shipped_parcel(company, user, number="SBX100", tracking="sandbox", carrier_code=""):
    channel = channel_with_zone(tracking=tracking, carrier_code=carrier_code)
    parcel = services.parcel_create(
        company=company,
        actor=user,
        destination=AddressFactory(company=company),
        channel=channel,
        item_ids=[StockItemFactory(company=company).pk],
    )
    services.parcel_request_packing(parcel=parcel, actor=user)
    services.parcel_pack(
        parcel=parcel,
        actor=user,
        weight_kg=D("1"),
        length_cm=D("10"),
        width_cm=D("10"),
        height_cm=D("10"),
    )
    return services.parcel_ship(parcel=parcel, actor=user, tracking_number=number)


def sandbox_body(parcel, *events, reference=None):
    return json.dumps(
        {
            "tracking_number": parcel.tracking_number,
            "reference": f"parcel:{parcel.pk}" if reference is None else reference,
            "events": [
                {
                    "id": event_id,
                    "status": status,
                    "occurred_at": f"2026-03-0{n + 1}T10:00:00Z",
                    "description": status.replace("_", " "),
                    "location": "Los Angeles, US",
                }
                for n, (event_id, status) in enumerate(events)
            ],
        }
    ).encode()


def post(client, body, *, provider="sandbox", timestamp=None, secret=None, signature=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = signature or webhooks.sign(
        secret=secret or tracking_webhook_secret(), timestamp=timestamp, body=body
    )
    return client.post(
        reverse("logistics:tracking-webhook", args=[provider]),
        data=body,
        content_type="application/json",
        headers={"X-Tracking-Timestamp": str(timestamp), "X-Tracking-Signature": signature},
    )


@pytest.fixture
def parcel(company, owner):
    return shipped_parcel(company, owner)


def test_signed_push_records_events_and_moves_the_parcel(client, parcel):
    response = post(client, sandbox_body(parcel, ("e1", "in_transit"), ("e2", "delivered")))
    assert response.status_code == 200
    assert response.json() == {"created": 2}
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.DELIVERED
    assert parcel.delivered_at is not None
    assert list(parcel.events.values_list("to_status", flat=True))[-2:] == [
        "in_transit",
        "delivered",
    ]


def test_replayed_event_adds_nothing(client, parcel):
    body = sandbox_body(parcel, ("e1", "in_transit"))
    assert post(client, body).json() == {"created": 1}
    events_before = parcel.events.count()
    replay = post(client, body)
    assert replay.status_code == 200
    assert replay.json() == {"created": 0}
    assert TrackingEvent.objects.count() == 1
    assert parcel.events.count() == events_before


def test_forged_signature_is_refused(client, parcel):
    body = sandbox_body(parcel, ("e1", "delivered"))
    assert post(client, body, secret="not-the-secret").status_code == 403
    assert post(client, body, signature="0" * 64).status_code == 403
    tampered = body.replace(b"delivered", b"lost")
    signed_original = webhooks.sign(
        secret=tracking_webhook_secret(), timestamp=int(time.time()), body=body
    )
    assert post(client, tampered, signature=signed_original).status_code == 403
    missing = client.post(
        reverse("logistics:tracking-webhook", args=["sandbox"]),
        data=body,
        content_type="application/json",
    )
    assert missing.status_code == 403
    assert not TrackingEvent.objects.exists()


def test_stale_and_future_timestamps_are_refused(client, parcel):
    body = sandbox_body(parcel, ("e1", "delivered"))
    assert post(client, body, timestamp=int(time.time()) - 301).status_code == 403
    assert post(client, body, timestamp=int(time.time()) + 301).status_code == 403
    assert post(client, body, timestamp=int(time.time()) - 290).status_code == 200


def test_unknown_parcel_is_refused(client, parcel):
    body = json.dumps(
        {
            "tracking_number": "NOPE",
            "events": [{"id": "x", "status": "delivered", "occurred_at": "2026-03-01T00:00:00Z"}],
        }
    ).encode()
    assert post(client, body).status_code == 404
    assert post(client, body, provider="nosuchcarrier").status_code == 404
    assert not TrackingEvent.objects.exists()


def test_event_naming_another_companys_parcel_is_refused(client, parcel, other_company, member_of):
    theirs = shipped_parcel(other_company, member_of(other_company), number="SBX200")
    # Our tracking number, their parcel's reference (or the other way round): refused.
    body = sandbox_body(parcel, ("e1", "delivered"), reference=f"parcel:{theirs.pk}")
    assert post(client, body).status_code == 404
    body = sandbox_body(theirs, ("e2", "delivered"), reference=f"parcel:{parcel.pk}")
    assert post(client, body).status_code == 404
    assert not TrackingEvent.objects.exists()
    parcel.refresh_from_db()
    theirs.refresh_from_db()
    assert parcel.status == theirs.status == Parcel.Status.SHIPPED


def test_malformed_payload_is_400(client, parcel):
    assert post(client, b"not json").status_code == 400
    assert post(client, b'{"tracking_number": "SBX100"}').status_code == 400


def test_exception_event_mails_the_merchant(
    client, parcel, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, sandbox_body(parcel, ("e1", "customs_hold")))
    assert response.status_code == 200
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.CUSTOMS_HOLD
    assert len(mail.outbox) == 1
    assert owner.email in mail.outbox[0].to
    assert "customs" in mail.outbox[0].subject.lower()


def test_event_not_allowed_from_current_status_is_kept_but_status_stays(parcel):
    services.parcel_transition(parcel=parcel, to_status=Parcel.Status.DELIVERED, actor=None)
    update = SandboxTracking().parse_push(json.loads(sandbox_body(parcel, ("late", "in_transit"))))
    assert services.tracking_events_record(provider="sandbox", update=update[0]) == 1
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.DELIVERED


def test_timeline_shows_on_the_parcel_page(client, owner_client, parcel):
    post(client, sandbox_body(parcel, ("e1", "in_transit")))
    page = owner_client.get(reverse("logistics:parcel-detail", args=[parcel.pk]))
    assert page.status_code == 200
    assert "in transit" in page.text
    assert "Los Angeles, US" in page.text


def test_sandbox_poll_fallback_records_the_scripted_steps(
    parcel, django_capture_on_commit_callbacks
):
    services.tracking_register(parcel_id=parcel.pk)
    assert tasks.tracking_poll_due() == 1  # eager: polls the parcel in-process
    assert TrackingEvent.objects.filter(parcel=parcel).count() == 1  # "information received"
    parcel.refresh_from_db()
    assert parcel.tracking_polled_at is not None
    assert services.tracking_parcels_due() == []  # polled recently


# --- The aggregator client against a local fake -------------------------------------------------

AGGREGATOR_TRACK_INFO = {
    "latest_status": {"status": "Exception", "sub_status": "Exception_Security"},
    "tracking": {
        "providers": [
            {
                "provider": {"key": 190271, "name": "Cainiao"},
                "events": [
                    {
                        "time_iso": "2026-03-02T08:00:00+08:00",
                        "time_utc": "2026-03-02T00:00:00Z",
                        "description": "Held by customs",
                        "location": "Frankfurt, DE",
                        "stage": "",
                        "sub_status": "Exception_Security",
                    },
                    {
                        "time_iso": "2026-03-01T08:00:00+08:00",
                        "time_utc": "2026-03-01T00:00:00Z",
                        "description": "Departed from facility",
                        "location": "Shenzhen, CN",
                        "stage": "Departure",
                        "sub_status": "InTransit_Other",
                    },
                ],
            }
        ]
    },
}


class FakeAggregator(BaseHTTPRequestHandler):
    registered: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.headers.get("17token") != "test-token":
            self._answer(401, {"code": -18010002, "data": {}})
            return
        if self.path.endswith("/register"):
            accepted, rejected = [], []
            for item in body:
                if item["number"] == "BAD":
                    rejected.append(
                        {"number": "BAD", "error": {"code": -18019903, "message": "invalid"}}
                    )
                else:
                    FakeAggregator.registered.append(item)
                    accepted.append({"number": item["number"], "carrier": item.get("carrier", 0)})
            self._answer(200, {"code": 0, "data": {"accepted": accepted, "rejected": rejected}})
        elif self.path.endswith("/gettrackinfo"):
            accepted = [
                {"number": item["number"], "carrier": 190271, "track_info": AGGREGATOR_TRACK_INFO}
                for item in body
            ]
            self._answer(200, {"code": 0, "data": {"accepted": accepted, "rejected": []}})
        else:
            self._answer(404, {})

    def _answer(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_aggregator(settings):
    server = HTTPServer(("127.0.0.1", 0), FakeAggregator)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeAggregator.registered = []
    settings.LOGISTICS_TRACKING_AGGREGATOR_URL = f"http://127.0.0.1:{server.server_port}/track/v2.2"
    settings.LOGISTICS_TRACKING_AGGREGATOR_TOKEN = "test-token"
    yield server
    server.shutdown()
    server.server_close()


def test_aggregator_register_and_refusals(fake_aggregator):
    client = AggregatorTracking()
    client.register(tracking_number="LP001", carrier_code="190271", reference="parcel:1")
    assert FakeAggregator.registered == [{"number": "LP001", "tag": "parcel:1", "carrier": 190271}]
    with pytest.raises(TrackingProviderError, match="invalid"):
        client.register(tracking_number="BAD", carrier_code="", reference="parcel:2")
    with pytest.raises(TrackingProviderError):
        AggregatorTracking(token="wrong").register(
            tracking_number="LP002", carrier_code="", reference="parcel:3"
        )


def test_aggregator_fetch_maps_statuses(fake_aggregator):
    events = AggregatorTracking().fetch(tracking_number="LP001", carrier_code="")
    assert [event.kind for event in events] == ["customs_hold", "in_transit"]
    assert events[0].location == "Frankfurt, DE"
    again = AggregatorTracking().fetch(tracking_number="LP001", carrier_code="")
    assert [e.external_id for e in events] == [e.external_id for e in again]


def test_aggregator_poll_and_push_store_each_scan_once(
    fake_aggregator, company, owner, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        parcel = shipped_parcel(
            company, owner, number="LP001", tracking="aggregator", carrier_code="190271"
        )
    assert FakeAggregator.registered[0]["number"] == "LP001"
    parcel.refresh_from_db()
    assert parcel.tracking_registered_at is not None

    assert services.tracking_poll(parcel_id=parcel.pk) == 2
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.CUSTOMS_HOLD

    push = json.dumps(
        {
            "event": "TRACKING_UPDATED",
            "data": {
                "number": "LP001",
                "carrier": 190271,
                "tag": f"parcel:{parcel.pk}",
                "track_info": AGGREGATOR_TRACK_INFO,
            },
        }
    ).encode()
    response = post(client, push, provider="aggregator")
    assert response.status_code == 200
    assert response.json() == {"created": 0}  # the same scans came by polling already
    assert TrackingEvent.objects.filter(parcel=parcel).count() == 2


def test_aggregator_stopped_event_is_accepted_and_ignored(client):
    body = json.dumps({"event": "TRACKING_STOPPED", "data": {"number": "X"}}).encode()
    response = post(client, body, provider="aggregator")
    assert response.status_code == 200
    assert response.json() == {"created": 0}


def test_only_pushes_of_the_channels_provider_match(client, parcel):
    # The parcel is tracked by the sandbox; the same number pushed as "aggregator" is unknown.
    body = json.dumps(
        {
            "event": "TRACKING_UPDATED",
            "data": {"number": parcel.tracking_number, "track_info": AGGREGATOR_TRACK_INFO},
        }
    ).encode()
    assert post(client, body, provider="aggregator").status_code == 404
    assert ShippingChannel.objects.get(pk=parcel.channel_id).tracking == "sandbox"


def test_update_dataclass_is_what_services_take(parcel):
    update = TrackingUpdate(parcel.tracking_number, "", ())
    assert services.tracking_events_record(provider="sandbox", update=update) == 0
