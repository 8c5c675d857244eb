"""Listening to logistics' public hook (logistics may not import orders)."""

from django.dispatch import receiver

from logistics.signals import parcel_shipped, tracking_event_recorded
from procurement.core.outbox import outbox_enqueue


@receiver(parcel_shipped, dispatch_uid="stores-parcel-shipped")
def _parcel_shipped(sender, parcel_id: int, **kwargs) -> None:
    outbox_enqueue(task="orders.stores.tasks.parcel_shipped", args=[parcel_id])


@receiver(tracking_event_recorded, dispatch_uid="stores-tracking-event")
def _tracking_event(sender, parcel_id: int, event_id: int, kind: str, **kwargs) -> None:
    outbox_enqueue(task="orders.stores.tasks.tracking_event", args=[parcel_id, event_id, kind])
