"""Thin Celery tasks of store connections: take ids, call a service."""

from celery import shared_task

from orders.stores import notifications, services
from orders.stores.exceptions import StoreError
from orders.stores.models import StoreConnection, StoreOrder, TrackingPush


@shared_task
def parcel_shipped(parcel_id: int) -> int:
    return services.store_order_parcel_shipped(parcel_id=parcel_id)


@shared_task
def tracking_event(parcel_id: int, event_id: int, kind: str) -> int:
    return len(
        services.store_tracking_event_take(parcel_id=parcel_id, event_id=event_id, kind=kind)
    )


@shared_task
def store_order_push(store_order_id: int) -> str:
    store_order = StoreOrder.objects.filter(pk=store_order_id).first()
    if store_order is None:
        return "gone"
    return services.store_order_push(store_order=store_order).status


@shared_task
def connection_attention_mail(connection_id: int) -> int:
    return notifications.connection_attention(connection_id)


@shared_task
def stores_poll_due() -> int:
    """Beat: every active connection's orders changed since its last poll."""
    taken = 0
    for connection in StoreConnection.objects.filter(status=StoreConnection.Status.ACTIVE):
        try:
            taken += services.store_orders_poll(connection=connection)
        except StoreError:
            continue  # recorded on the connection's health; the next poll tries again
    return taken


@shared_task
def store_orders_sync_due() -> int:
    """Beat: store orders still moving follow their portal orders and parcels; shipped ones
    whose tracking could not be pushed are pushed again, and so are carrier events the store
    did not take."""
    moved = 0
    for store_order in StoreOrder.objects.filter(status__in=StoreOrder.MOVING).order_by("pk"):
        services.store_order_retry(store_order=store_order)
        moved += 1
    # A paused or removed store keeps its pending events until it is active again.
    waiting = TrackingPush.objects.filter(
        status=TrackingPush.Status.PENDING,
        store_order__status=StoreOrder.Status.TRACKING_PUSHED,
        store_order__connection__status=StoreConnection.Status.ACTIVE,
    )
    for push in waiting.order_by("pk"):
        services.tracking_push_send(push=push)
    return moved
