"""Carrier events after the first fulfillment, passed on to the store where the platform has a
place for them: Shopify fulfillment events (in transit, out for delivery, delivered, ...),
WooCommerce customer notes (and the status completed on delivery).

Each event becomes one `TrackingPush` per store order on the parcel: a replayed carrier push
or a repeated poll finds its row and pushes nothing again. A row waits while the store order's
first fulfillment is not in the store yet, and is sent right after it. A failed push keeps its
error on the row; the beat tries the pending rows again (throttling and outages are retried
with backoff inside each call, as for the first push)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from logistics.models import TrackingEvent
from orders.stores import adapters, conf
from orders.stores.exceptions import StoreError
from orders.stores.models import StoreConnection, StoreOrder, TrackingPush
from orders.stores.services.connections import calling
from procurement.core import states

SO = StoreOrder.Status
TP = TrackingPush.Status
# Store orders whose parcel is (about to be) on its way: their events are kept for the store.
FOLLOWING = frozenset({SO.PACKED, SO.SHIPPED, SO.TRACKING_PUSHED})


def store_tracking_event_take(*, parcel_id: int, event_id: int, kind: str) -> list[TrackingPush]:
    """Logistics recorded a new carrier event of a parcel: one push per store order it carries,
    sent at once when that order's first fulfillment is in the store."""
    taken = []
    for store_order in StoreOrder.objects.filter(parcel_id=parcel_id, status__in=FOLLOWING):
        push, created = TrackingPush.objects.get_or_create(
            store_order=store_order, event_id=event_id, defaults={"kind": kind[:20]}
        )
        if created:
            taken.append(tracking_push_send(push=push))
    return taken


def tracking_pushes_send(*, store_order: StoreOrder) -> int:
    """Send the store order's pending events, oldest first; how many went."""
    sent = 0
    pending = TrackingPush.objects.filter(store_order=store_order, status=TP.PENDING)
    for push in pending.order_by("event_id"):
        sent += tracking_push_send(push=push).status == TP.PUSHED
    return sent


def tracking_push_send(*, push: TrackingPush) -> TrackingPush:
    """Push one event, holding its row so that two workers never both push it."""
    with transaction.atomic():
        locked = (
            TrackingPush.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("store_order__connection", "store_order__parcel__channel")
            .filter(pk=push.pk, status=TP.PENDING)
            .first()
        )
        if locked is None:  # pushed, skipped, or being pushed by another worker
            return TrackingPush.objects.get(pk=push.pk)
        store_order = locked.store_order
        if store_order.status != SO.TRACKING_PUSHED:
            return locked  # waits for the first fulfillment
        event = TrackingEvent.objects.filter(pk=locked.event_id).first()
        connection = store_order.connection
        if event is None:
            return _close(locked, TP.SKIPPED)
        if connection.status != StoreConnection.Status.ACTIVE:
            return _failed(locked, _("The store connection is not active."))
        try:
            with adapters.client_for(connection) as client:
                if not client.supports_tracking_event(locked.kind):
                    return _close(locked, TP.SKIPPED)
                with calling(connection):
                    external_id = client.tracking_event(
                        external_id=store_order.external_id,
                        fulfillment_id=store_order.external_fulfillment_id,
                        kind=locked.kind,
                        message=_message(event, store_order),
                        happened_at=event.occurred_at,
                        notify=connection.notify_customer,
                    )
        except StoreError as error:
            return _failed(locked, str(error.message))
        return _close(locked, TP.PUSHED, external_id=external_id)


def _message(event: TrackingEvent, store_order: StoreOrder) -> str:
    """What the store shows: the event in the carrier's words, where, and the tracking link."""
    text = f"{event.get_kind_display()}: {event.description}"
    if event.location:
        text += f" ({event.location})"
    number = store_order.parcel.tracking_number if store_order.parcel else ""
    if number:
        text += f". Tracking number {number}: {conf.tracking_url(number)}"
    return text


def _close(push: TrackingPush, status: str, *, external_id: str = "") -> TrackingPush:
    states.apply(
        push,
        to=status,
        changes={
            "external_id": external_id[:120],
            "error": "",
            "attempts": push.attempts + (status == TP.PUSHED),
            "pushed_at": timezone.now() if status == TP.PUSHED else None,
        },
    )
    return push


def _failed(push: TrackingPush, message: str) -> TrackingPush:
    push.error = message[:500]
    push.attempts += 1
    push.save(update_fields=["error", "attempts", "updated_at"])
    return push
