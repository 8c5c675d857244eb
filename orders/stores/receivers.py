"""Listening to logistics' public hook (logistics may not import orders)."""

from django.dispatch import receiver

from logistics.signals import parcel_shipped
from procurement.core.outbox import outbox_enqueue


@receiver(parcel_shipped, dispatch_uid="stores-parcel-shipped")
def _parcel_shipped(sender, parcel_id: int, **kwargs) -> None:
    outbox_enqueue(task="orders.stores.tasks.parcel_shipped", args=[parcel_id])
