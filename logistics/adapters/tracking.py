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
KIND_AVAILABLE_FOR_PICKUP = "available_for_pickup"
KIND_OUT_FOR_DELIVERY = "out_for_delivery"
KIND_DELIVERED = "delivered"
KIND_FAILED_ATTEMPT = "failed_attempt"
KIND_CUSTOMS_HOLD = "customs_hold"
KIND_RETURNING = "returning"
KIND_RETURNED = "returned"
KIND_LOST = "lost"
KIND_EXCEPTION = "exception"
KIND_OTHER = "other"
KINDS = frozenset(
    {
        KIND_INFO,
        KIND_IN_TRANSIT,
        KIND_AVAILABLE_FOR_PICKUP,
        KIND_OUT_FOR_DELIVERY,
        KIND_DELIVERED,
        KIND_FAILED_ATTEMPT,
        KIND_CUSTOMS_HOLD,
        KIND_RETURNING,
        KIND_RETURNED,
        KIND_LOST,
        KIND_EXCEPTION,
        KIND_OTHER,
    }
)

# Which field gave an event its kind (TrackingEvent.KindSource values).
FROM_STAGE = "stage"
FROM_SUB_STATUS = "sub_status"
FROM_DESCRIPTION = "description"
FROM_PROVIDER = "provider"
UNRECOGNISED = ""


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
    kind_source: str = FROM_PROVIDER
    stage: str = ""
    sub_status: str = ""
    country: str = ""


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
                    kind_source=FROM_PROVIDER if event["status"] in KINDS else UNRECOGNISED,
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

# 17TRACK's per-event `stage` (its milestone `key_stage` vocabulary). Some pushes also put a
# main status here ("InTransit" in `latest_event`), so those are read too.
STAGE_KINDS = {
    "InfoReceived": KIND_INFO,
    "PickedUp": KIND_IN_TRANSIT,
    "Departure": KIND_IN_TRANSIT,
    "Arrival": KIND_IN_TRANSIT,
    "AvailableForPickup": KIND_AVAILABLE_FOR_PICKUP,
    "OutForDelivery": KIND_OUT_FOR_DELIVERY,
    "Delivered": KIND_DELIVERED,
    "Returning": KIND_RETURNING,
    "Returned": KIND_RETURNED,
    "InTransit": KIND_IN_TRANSIT,
    "DeliveryFailure": KIND_FAILED_ATTEMPT,
    "Expired": KIND_EXCEPTION,
    "Exception": KIND_EXCEPTION,
}

# 17TRACK's `sub_status` vocabulary (the main status, an underscore, the detail). NotFound_*
# is not a scan, so it stays unrecognised and shows up in the admin's count.
SUB_STATUS_KINDS = {
    "InfoReceived": KIND_INFO,
    "InTransit_PickedUp": KIND_IN_TRANSIT,
    "InTransit_Other": KIND_IN_TRANSIT,
    "InTransit_Departure": KIND_IN_TRANSIT,
    "InTransit_Arrival": KIND_IN_TRANSIT,
    "InTransit_CustomsProcessing": KIND_IN_TRANSIT,
    "InTransit_CustomsReleased": KIND_IN_TRANSIT,
    "InTransit_CustomsRequiringInformation": KIND_CUSTOMS_HOLD,
    "Expired_Other": KIND_EXCEPTION,
    "AvailableForPickup_Other": KIND_AVAILABLE_FOR_PICKUP,
    "OutForDelivery_Other": KIND_OUT_FOR_DELIVERY,
    "DeliveryFailure_Other": KIND_FAILED_ATTEMPT,
    "DeliveryFailure_NoBody": KIND_FAILED_ATTEMPT,
    "DeliveryFailure_Security": KIND_FAILED_ATTEMPT,
    "DeliveryFailure_Rejected": KIND_FAILED_ATTEMPT,
    "DeliveryFailure_InvalidAddress": KIND_FAILED_ATTEMPT,
    "Delivered_Other": KIND_DELIVERED,
    "Exception_Other": KIND_EXCEPTION,
    "Exception_Returning": KIND_RETURNING,
    "Exception_Returned": KIND_RETURNED,
    "Exception_NoBody": KIND_FAILED_ATTEMPT,
    "Exception_Security": KIND_CUSTOMS_HOLD,
    "Exception_Damage": KIND_EXCEPTION,
    "Exception_Rejected": KIND_EXCEPTION,
    "Exception_Delayed": KIND_EXCEPTION,
    "Exception_Lost": KIND_LOST,
    "Exception_Destroyed": KIND_LOST,
    "Exception_Cancel": KIND_EXCEPTION,
}

# When a scan has neither stage nor sub-status: words carriers use, English and Chinese,
# matched case-insensitively in this order (the specific before the general: "not delivered"
# before "delivered", "out for delivery" before "delivery").
DESCRIPTION_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        KIND_FAILED_ATTEMPT,
        (
            "attempted delivery",
            "delivery attempt",
            "failed delivery",
            "unable to deliver",
            "not delivered",
            "undeliverable",
            "未妥投",
            "投递失败",
            "派送失败",
            "无人签收",
        ),
    ),
    (
        KIND_CUSTOMS_HOLD,
        ("held by customs", "held in customs", "customs hold", "海关扣留", "海关扣押", "扣关"),
    ),
    (KIND_RETURNED, ("returned to sender", "return completed", "已退回", "退回妥投")),
    (KIND_RETURNING, ("return to sender", "returning", "退回中", "退件", "退回")),
    (KIND_LOST, ("lost", "丢失", "遗失")),
    (
        KIND_AVAILABLE_FOR_PICKUP,
        ("ready for pickup", "available for pickup", "awaiting collection", "待自提", "待取件"),
    ),
    (
        KIND_OUT_FOR_DELIVERY,
        ("out for delivery", "with delivery courier", "派送中", "正在派送", "正在投递", "派件中"),
    ),
    (KIND_DELIVERED, ("delivered", "已签收", "已妥投", "签收")),
    (
        KIND_INFO,
        (
            "label created",
            "created a label",
            "shipment information received",
            "order information received",
            "电子信息",
            "已下单",
        ),
    ),
    (
        KIND_IN_TRANSIT,
        (
            "origin scan",
            "destination scan",
            "arrived at",
            "arrival",
            "departed",
            "departure",
            "in transit",
            "picked up",
            "facility",
            "processed",
            "sorting",
            "customs clearance",
            "揽收",
            "揽件",
            "收寄",
            "已收取",
            "到达",
            "离开",
            "发往",
            "运输中",
            "转运",
            "航班",
            "分拣",
            "清关",
        ),
    ),
)


def _aggregator_kind(*, stage: str, sub_status: str, description: str) -> tuple[str, str]:
    """(kind, which field gave it): the stage, then the sub-status, then the description."""
    if stage in STAGE_KINDS:
        return STAGE_KINDS[stage], FROM_STAGE
    if sub_status in SUB_STATUS_KINDS:
        return SUB_STATUS_KINDS[sub_status], FROM_SUB_STATUS
    text = description.casefold()
    for kind, words in DESCRIPTION_KEYWORDS:
        if any(word in text for word in words):
            return kind, FROM_DESCRIPTION
    return KIND_OTHER, UNRECOGNISED


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _place(event: dict) -> tuple[str, str]:
    """(location, country): from the event's `address` object when it names anything, else
    the carrier's free-text `location`."""
    address = event.get("address")
    if isinstance(address, dict):
        parts = [
            _text(address.get(key)) for key in ("street", "city", "state", "postal_code", "country")
        ]
        country = _text(address.get("country")).upper()
        if any(parts):
            return ", ".join(part for part in parts if part)[:160], country[:2]
    return _text(event.get("location"))[:160], ""


class AggregatorTracking:
    """Client for the 17TRACK tracking API v2.2.

    Where each field comes from (17TRACK's API v2.2 documentation and the pushes it documents;
    the test fixture reproduces a real UPS push as published in a public integration's tests):

    - POST {base}/register   body [{"number", "carrier"?, "tag"?}], header `17token`;
      answer {"code": 0, "data": {"accepted": [{"number", "carrier"}],
                                   "rejected": [{"number", "error": {"code", "message"}}]}};
      error -18019901 means "already registered".
    - POST {base}/gettrackinfo   body [{"number", "carrier"?}]; answer
      data.accepted[i].track_info, the same object a push carries.
    - push: {"event": "TRACKING_UPDATED" | "TRACKING_STOPPED", "data": {"number", "carrier",
      "param", "tag", "track_info"}}. In track_info: `latest_status` {status, sub_status,
      sub_status_descr}, `latest_event` (a copy of the newest scan), `milestone`
      [{key_stage, time_iso, time_utc}] and `tracking.providers[].events[]`, each scan with
      `time_iso` (carrier's local time with offset), `time_utc`, `description`, `location`
      (free text), `stage` (a milestone key_stage, often null), `sub_status` (present in some
      pushes, absent in others) and `address` {country, state, city, street, postal_code,
      coordinates{longitude, latitude}}.

    Each scan's kind comes from its `stage`, then its `sub_status`, then (both missing) the
    description's words (`DESCRIPTION_KEYWORDS`, English and Chinese). The newest scan, when it
    has neither, takes `latest_status.sub_status`, which describes it. Location comes from the
    `address` object when it names anything, else from `location`.

    17TRACK's events carry no id: ours is a hash of number, time, sub-status and description,
    stable between a push and a later poll of the same scan.
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
        latest = track_info.get("latest_event") or {}
        latest_sub_status = _text((track_info.get("latest_status") or {}).get("sub_status"))
        events = []
        providers = (track_info.get("tracking") or {}).get("providers") or []
        for provider in providers:
            for event in provider.get("events") or []:
                when = event.get("time_utc") or event.get("time_iso")
                stage = _text(event.get("stage"))
                sub_status = _text(event.get("sub_status"))
                description = _text(event.get("description"))
                digest = hashlib.sha256(
                    "|".join([number, str(when), sub_status, description]).encode()
                ).hexdigest()[:40]
                is_latest = latest and (
                    latest.get("time_utc") == event.get("time_utc")
                    and _text(latest.get("description")) == description
                )
                kind, source = _aggregator_kind(
                    stage=stage,
                    sub_status=sub_status or (latest_sub_status if is_latest else ""),
                    description=description,
                )
                location, country = _place(event)
                events.append(
                    CarrierEvent(
                        external_id=f"17t:{digest}",
                        kind=kind,
                        occurred_at=_parse_time(when),
                        description=description[:300],
                        location=location,
                        raw=event,
                        kind_source=source,
                        stage=stage[:40],
                        sub_status=sub_status[:60],
                        country=country,
                    )
                )
        return events


def tracking_adapter(name: str) -> TrackingAdapter:
    if name == AggregatorTracking.name:
        return AggregatorTracking()
    if name == SandboxTracking.name:
        return SandboxTracking()
    raise KeyError(name)
