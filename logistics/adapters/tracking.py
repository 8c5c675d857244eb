"""Carrier tracking behind one interface: a sandbox carrier and a tracking-aggregator client.

Every adapter turns what the outside world sends into `TrackingUpdate`s of `CarrierEvent`s, with
one of our event kinds (`TrackingEvent.Kind` values) and an event id that is stable across
webhook retries and polling, so the same scan is stored once.

The webhook endpoint itself is signed the same way for every provider (see logistics/webhooks.py):
HMAC-SHA256 over "<timestamp>.<raw body>". 17TRACK signs its own pushes differently (a plain
SHA-256 of "<body>/<api key>" in a `sign` header, without a timestamp), so in production its
pushes reach us through our signing relay; the payload format below is 17TRACK's.
"""

import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from django.core.cache import cache
from django.utils.dateparse import parse_datetime

from logistics import conf

KIND_INFO = "info"
KIND_IN_TRANSIT = "in_transit"
KIND_OUT_FOR_DELIVERY = "out_for_delivery"
KIND_DELIVERED = "delivered"
KIND_CUSTOMS_HOLD = "customs_hold"
KIND_RETURNED = "returned"
KIND_LOST = "lost"
KIND_OTHER = "other"
KINDS = frozenset(
    {
        KIND_INFO,
        KIND_IN_TRANSIT,
        KIND_OUT_FOR_DELIVERY,
        KIND_DELIVERED,
        KIND_CUSTOMS_HOLD,
        KIND_RETURNED,
        KIND_LOST,
        KIND_OTHER,
    }
)


class TrackingProviderError(Exception):
    """The provider refused a request or answered with something we cannot read."""


@dataclass(frozen=True)
class CarrierEvent:
    external_id: str
    kind: str
    occurred_at: datetime
    description: str
    location: str = ""
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TrackingUpdate:
    tracking_number: str
    reference: str  # our parcel reference ("parcel:12") when the provider echoes it; else ""
    events: tuple[CarrierEvent, ...]


class TrackingAdapter(Protocol):
    name: str

    def register(self, *, tracking_number: str, carrier_code: str, reference: str) -> None: ...

    def fetch(self, *, tracking_number: str, carrier_code: str) -> list[CarrierEvent]: ...

    def parse_push(self, payload: dict) -> list[TrackingUpdate]: ...


def _parse_time(value: str | None) -> datetime:
    parsed = parse_datetime(value or "")
    if parsed is None:
        raise TrackingProviderError(f"unreadable event time: {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


# --- Sandbox carrier -----------------------------------------------------------------------------

SANDBOX_SCRIPT = (
    # (hours after registration, kind, description, location)
    (0, KIND_INFO, "Shipment information received", "Shenzhen, CN"),
    (6, KIND_IN_TRANSIT, "Departed origin facility", "Shenzhen, CN"),
    (30, KIND_IN_TRANSIT, "Arrived at destination country", ""),
    (48, KIND_OUT_FOR_DELIVERY, "Out for delivery", ""),
    (54, KIND_DELIVERED, "Delivered", ""),
)
SANDBOX_HOLD_SCRIPT = (
    (0, KIND_INFO, "Shipment information received", "Shenzhen, CN"),
    (6, KIND_IN_TRANSIT, "Departed origin facility", "Shenzhen, CN"),
    (30, KIND_CUSTOMS_HOLD, "Held by customs: documents required", ""),
)


class SandboxTracking:
    """A pretend carrier for development and tests.

    Registering a number starts a scripted timeline (numbers ending in "HOLD" stop at customs);
    polling returns the steps whose time has come. Pushes use our own plain format:
    {"tracking_number": "...", "reference": "parcel:12",
     "events": [{"id": "...", "status": "<kind>", "occurred_at": "<ISO 8601>",
                 "description": "...", "location": "..."}]}
    """

    name = "sandbox"

    def _key(self, tracking_number: str) -> str:
        return f"logistics:sandbox-tracking:{tracking_number}"

    def register(self, *, tracking_number: str, carrier_code: str, reference: str) -> None:
        cache.add(self._key(tracking_number), datetime.now(UTC).isoformat(), timeout=None)

    def fetch(self, *, tracking_number: str, carrier_code: str) -> list[CarrierEvent]:
        started = cache.get(self._key(tracking_number))
        if started is None:
            return []
        start = _parse_time(started)
        now = datetime.now(UTC)
        script = SANDBOX_HOLD_SCRIPT if tracking_number.upper().endswith("HOLD") else SANDBOX_SCRIPT
        events = []
        for step, (hours, kind, description, location) in enumerate(script):
            at = start + timedelta(hours=hours)
            if at <= now:
                events.append(
                    CarrierEvent(f"sbx:{tracking_number}:{step}", kind, at, description, location)
                )
        return events

    def parse_push(self, payload: dict) -> list[TrackingUpdate]:
        try:
            events = tuple(
                CarrierEvent(
                    external_id=str(event["id"]),
                    kind=event["status"] if event["status"] in KINDS else KIND_OTHER,
                    occurred_at=_parse_time(event["occurred_at"]),
                    description=str(event.get("description", ""))[:300],
                    location=str(event.get("location", ""))[:160],
                    raw=event,
                )
                for event in payload["events"]
            )
            return [
                TrackingUpdate(
                    tracking_number=str(payload["tracking_number"]),
                    reference=str(payload.get("reference", "")),
                    events=events,
                )
            ]
        except (KeyError, TypeError) as error:
            raise TrackingProviderError(f"malformed sandbox push: {error}") from None


# --- Tracking aggregator (17TRACK API v2.2 format) ----------------------------------------------


def _aggregator_kind(sub_status: str, stage: str) -> str:
    status = sub_status or stage or ""
    if status.startswith("Delivered"):
        return KIND_DELIVERED
    if status in {"Exception_Returned", "Exception_Returning"} or stage == "Returned":
        return KIND_RETURNED
    if status == "Exception_Lost":
        return KIND_LOST
    if status == "Exception_Security" or stage in {"CustomsHold", "Customs"}:
        return KIND_CUSTOMS_HOLD
    if status.startswith(("OutForDelivery", "AvailableForPickup")):
        return KIND_OUT_FOR_DELIVERY
    if status.startswith("InTransit"):
        return KIND_IN_TRANSIT
    if status.startswith("InfoReceived"):
        return KIND_INFO
    return KIND_OTHER


class AggregatorTracking:
    """Client for a 17TRACK-style aggregator (API v2.2), as published:

    - POST {base}/register   body [{"number", "carrier"?, "tag"?}], header `17token`;
      answer {"code": 0, "data": {"accepted": [{"number", "carrier"}],
                                   "rejected": [{"number", "error": {"code", "message"}}]}}
    - POST {base}/gettrackinfo   body [{"number", "carrier"?}]; answer data.accepted[i].track_info
    - push: {"event": "TRACKING_UPDATED", "data": {"number", "carrier", "tag",
              "track_info": {"latest_status": {...},
                             "tracking": {"providers": [{"events": [
                                 {"time_iso", "time_utc", "description", "location",
                                  "stage", "sub_status"}]}]}}}}

    Its events carry no id: ours is a hash of number, time, status and description, stable
    between a push and a later poll of the same scan.
    """

    name = "aggregator"
    ALREADY_REGISTERED = -18019901

    def __init__(self, *, base_url: str | None = None, token: str | None = None, timeout=10):
        self.base_url = (base_url or conf.tracking_aggregator_url()).rstrip("/")
        self.token = token if token is not None else conf.tracking_aggregator_token()
        self.timeout = timeout

    def _post(self, path: str, body: list[dict]) -> dict:
        url = f"{self.base_url}/{path}"
        if not url.startswith(("https://", "http://")):
            raise TrackingProviderError("the aggregator URL must be http(s)")
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            url,
            data=json.dumps(body).encode(),
            headers={"17token": self.token, "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310  # nosec B310
                answer = json.loads(response.read().decode())
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            raise TrackingProviderError(f"aggregator {path} failed: {error}") from None
        if not isinstance(answer, dict) or answer.get("code") != 0:
            raise TrackingProviderError(f"aggregator {path} refused: {answer!r}"[:500])
        return answer.get("data") or {}

    def register(self, *, tracking_number: str, carrier_code: str, reference: str) -> None:
        item: dict = {"number": tracking_number, "tag": reference}
        if carrier_code:
            item["carrier"] = int(carrier_code)
        data = self._post("register", [item])
        for rejected in data.get("rejected", []):
            error = rejected.get("error") or {}
            if error.get("code") != self.ALREADY_REGISTERED:
                raise TrackingProviderError(f"number refused: {error.get('message', error)}")

    def fetch(self, *, tracking_number: str, carrier_code: str) -> list[CarrierEvent]:
        item: dict = {"number": tracking_number}
        if carrier_code:
            item["carrier"] = int(carrier_code)
        data = self._post("gettrackinfo", [item])
        for accepted in data.get("accepted", []):
            if accepted.get("number") == tracking_number:
                return self._events(tracking_number, accepted.get("track_info") or {})
        return []

    def parse_push(self, payload: dict) -> list[TrackingUpdate]:
        if payload.get("event") != "TRACKING_UPDATED":
            return []  # TRACKING_STOPPED and future event types carry no scans.
        data = payload.get("data")
        if not isinstance(data, dict) or not data.get("number"):
            raise TrackingProviderError("malformed aggregator push")
        number = str(data["number"])
        events = self._events(number, data.get("track_info") or {})
        return [TrackingUpdate(number, str(data.get("tag") or ""), tuple(events))]

    def _events(self, number: str, track_info: dict) -> list[CarrierEvent]:
        events = []
        providers = (track_info.get("tracking") or {}).get("providers") or []
        for provider in providers:
            for event in provider.get("events") or []:
                when = event.get("time_utc") or event.get("time_iso")
                sub_status = event.get("sub_status") or ""
                description = str(event.get("description") or "")
                digest = hashlib.sha256(
                    "|".join([number, str(when), sub_status, description]).encode()
                ).hexdigest()[:40]
                events.append(
                    CarrierEvent(
                        external_id=f"17t:{digest}",
                        kind=_aggregator_kind(sub_status, event.get("stage") or ""),
                        occurred_at=_parse_time(when),
                        description=description[:300],
                        location=str(event.get("location") or "")[:160],
                        raw=event,
                    )
                )
        return events


def tracking_adapter(name: str) -> TrackingAdapter:
    if name == AggregatorTracking.name:
        return AggregatorTracking()
    if name == SandboxTracking.name:
        return SandboxTracking()
    raise KeyError(name)
