"""Carrier tracking: pushed and polled events move a parcel along its table."""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics import conf, signals
from logistics.adapters.tracking import CarrierEvent, TrackingUpdate, tracking_adapter
from logistics.exceptions import WebhookRejected
from logistics.models import Parcel, TrackingAlert, TrackingEvent
from logistics.services.parcels import parcel_step
from procurement.core.outbox import outbox_enqueue
from procurement.core.webhooks import webhook_event_emit

logger = logging.getLogger(__name__)


_KIND_TO_STATUS = {
    TrackingEvent.Kind.IN_TRANSIT: Parcel.Status.IN_TRANSIT,
    TrackingEvent.Kind.AVAILABLE_FOR_PICKUP: Parcel.Status.IN_TRANSIT,
    TrackingEvent.Kind.OUT_FOR_DELIVERY: Parcel.Status.IN_TRANSIT,
    TrackingEvent.Kind.FAILED_ATTEMPT: Parcel.Status.IN_TRANSIT,
    TrackingEvent.Kind.DELIVERED: Parcel.Status.DELIVERED,
    TrackingEvent.Kind.CUSTOMS_HOLD: Parcel.Status.CUSTOMS_HOLD,
    TrackingEvent.Kind.RETURNED: Parcel.Status.RETURNED,
    TrackingEvent.Kind.LOST: Parcel.Status.LOST,
}


def _parcel_for_update(*, provider: str, update: TrackingUpdate) -> Parcel:
    """The parcel an update is about; refused when unknown or when its reference names a
    different parcel (another company's, or a mix-up) than the tracking number does."""
    number = "".join(update.tracking_number.split()).upper()
    parcel = (
        Parcel.objects.select_for_update()
        .filter(tracking_number=number, channel__tracking=provider)
        .exclude(tracking_number="")
        .first()
    )
    if parcel is None:
        raise WebhookRejected(_("Unknown parcel."), status=404)
    if update.reference and update.reference != f"parcel:{parcel.pk}":
        raise WebhookRejected(_("The event does not belong to this parcel."), status=404)
    return parcel


def _alerts_raise(*, parcel: Parcel, events: list[TrackingEvent]) -> None:
    """Queue one mail per exception kind per parcel, the first time that kind is seen; a
    repeated scan, a replayed push or a parcel that re-enters the state mails nothing."""
    by_kind: dict[str, TrackingEvent] = {}
    for event in sorted(events, key=lambda e: e.occurred_at):
        if event.kind in TrackingEvent.ALERT_KINDS:
            by_kind.setdefault(event.kind, event)
    if not by_kind:
        return
    told = set(
        TrackingAlert.objects.filter(parcel=parcel, kind__in=by_kind).values_list("kind", flat=True)
    )
    for kind, event in by_kind.items():
        if kind in told:
            continue
        alert = TrackingAlert.objects.create(parcel=parcel, kind=kind, event=event)
        outbox_enqueue(task="logistics.tasks.tracking_alert_mail", args=[alert.pk])


@transaction.atomic
def tracking_events_record(*, provider: str, update: TrackingUpdate) -> int:
    """Store new carrier events of one parcel and move the parcel along; returns how many
    events were new (0 for a replay)."""
    parcel = _parcel_for_update(provider=provider, update=update)
    known = set(
        TrackingEvent.objects.filter(
            provider=provider, external_id__in=[event.external_id for event in update.events]
        ).values_list("external_id", flat=True)
    )
    fresh: list[CarrierEvent] = []
    for event in update.events:
        if event.external_id in known:
            continue
        known.add(event.external_id)
        fresh.append(event)
    stored = TrackingEvent.objects.bulk_create(
        [
            TrackingEvent(
                parcel=parcel,
                provider=provider,
                external_id=event.external_id,
                kind=event.kind,
                kind_source=event.kind_source,
                stage=event.stage,
                sub_status=event.sub_status,
                occurred_at=event.occurred_at,
                description=event.description,
                location=event.location,
                country=event.country,
                raw=event.raw,
            )
            for event in fresh
        ]
    )
    for event in sorted(fresh, key=lambda e: e.occurred_at):
        target = _KIND_TO_STATUS.get(event.kind)
        if target is None or target == parcel.status:
            continue
        if parcel.can_become(target):
            note = (
                f"{event.description} ({event.location})" if event.location else event.description
            )
            parcel_step(parcel, to=target, actor=None, note=note, notify=False)
        else:
            logger.info("tracking: %s stays %s on %s", parcel.reference, parcel.status, event.kind)
    _alerts_raise(parcel=parcel, events=stored)
    _announce(parcel_id=parcel.pk, events=stored)
    for event in sorted(fresh, key=lambda e: e.occurred_at):
        webhook_event_emit(
            company=parcel.company,
            event="tracking.event",
            payload={
                "parcel_id": parcel.pk,
                "reference": parcel.reference,
                "tracking_number": parcel.tracking_number,
                "kind": event.kind,
                "occurred_at": event.occurred_at,
                "description": event.description,
                "location": event.location,
                "parcel_status": parcel.status,
            },
        )
    return len(fresh)


def _announce(*, parcel_id: int, events: list[TrackingEvent]) -> None:
    """Tell the layers above about each new event, in the order the carrier saw them."""
    announced = [
        (event.pk, event.kind) for event in sorted(events, key=lambda e: (e.occurred_at, e.pk))
    ]
    if not announced:
        return

    def send() -> None:
        for event_id, kind in announced:
            answers = signals.tracking_event_recorded.send_robust(
                sender=TrackingEvent, parcel_id=parcel_id, event_id=event_id, kind=kind
            )
            for receiver, answer in answers:
                if isinstance(answer, Exception):
                    logger.warning(
                        "tracking: %s failed on event %s: %r", receiver, event_id, answer
                    )

    transaction.on_commit(send, robust=True)


def tracking_register(*, parcel_id: int) -> None:
    """Tell the parcel's tracking provider about its number (outside any transaction)."""
    parcel = Parcel.objects.select_related("channel").get(pk=parcel_id)
    if not parcel.tracking_number or parcel.tracking_registered_at:
        return
    adapter = tracking_adapter(parcel.channel.tracking)
    adapter.register(
        tracking_number=parcel.tracking_number,
        carrier_code=parcel.channel.carrier_code,
        reference=f"parcel:{parcel.pk}",
    )
    Parcel.objects.filter(pk=parcel.pk).update(tracking_registered_at=timezone.now())


def tracking_poll(*, parcel_id: int) -> int:
    """Fallback when pushes are missed: fetch the parcel's events and record the new ones."""
    parcel = Parcel.objects.select_related("channel").get(pk=parcel_id)
    if parcel.status not in Parcel.TRACKED or not parcel.tracking_number:
        return 0
    adapter = tracking_adapter(parcel.channel.tracking)
    events = adapter.fetch(
        tracking_number=parcel.tracking_number, carrier_code=parcel.channel.carrier_code
    )
    Parcel.objects.filter(pk=parcel.pk).update(tracking_polled_at=timezone.now())
    if not events:
        return 0
    update = TrackingUpdate(parcel.tracking_number, f"parcel:{parcel.pk}", tuple(events))
    return tracking_events_record(provider=adapter.name, update=update)


def tracking_parcels_due(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    cutoff = now - timedelta(hours=conf.tracking_poll_interval_hours())
    return list(
        Parcel.objects.filter(status__in=Parcel.TRACKED)
        .exclude(tracking_number="")
        .filter(Q(tracking_polled_at__isnull=True) | Q(tracking_polled_at__lt=cutoff))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
