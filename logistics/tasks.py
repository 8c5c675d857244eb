"""Thin Celery tasks: take ids, call a service. Those the services queue go through the task
outbox (procurement.core.outbox): at least once, so each tolerates a repeat.

Beat entries the project schedule needs (procurement/celery.py):
    "logistics-tracking-poll":    logistics.tasks.tracking_poll_due,    every 30 minutes
    "logistics-storage-notices":  logistics.tasks.storage_notices_send, daily
    "logistics-storage-fees":     logistics.tasks.storage_fees_charge,  daily
    "logistics-settle-pending":   logistics.tasks.charges_settle_pending, hourly
"""

from celery import shared_task

from logistics import services
from logistics.adapters.tracking import TrackingProviderError


@shared_task(
    autoretry_for=(TrackingProviderError,), retry_backoff=60, retry_kwargs={"max_retries": 6}
)
def tracking_register(parcel_id: int) -> None:
    services.tracking_register(parcel_id=parcel_id)


@shared_task
def parcel_exception_mail(parcel_id: int) -> None:
    services.parcel_exception_mail_send(parcel_id=parcel_id)


@shared_task
def tracking_alert_mail(alert_id: int) -> None:
    services.tracking_alert_mail_send(alert_id=alert_id)


@shared_task
def storage_notice_mail(company_id: int, item_ids: list[int]) -> None:
    services.storage_notice_mail_send(company_id=company_id, item_ids=item_ids)


@shared_task(
    autoretry_for=(TrackingProviderError,), retry_backoff=60, retry_kwargs={"max_retries": 3}
)
def tracking_poll_parcel(parcel_id: int) -> int:
    return services.tracking_poll(parcel_id=parcel_id)


@shared_task
def tracking_poll_due() -> int:
    parcel_ids = services.tracking_parcels_due()
    for parcel_id in parcel_ids:
        tracking_poll_parcel.delay(parcel_id)
    return len(parcel_ids)


@shared_task
def storage_notices_send() -> int:
    return services.storage_notices_send()


@shared_task
def storage_fees_charge() -> int:
    return services.storage_fees_charge()


@shared_task
def charges_settle_pending() -> int:
    return services.charges_settle_pending()


# Parcel PDFs. The name matches the "*.export_*" route: the `exports` queue.
@shared_task(name="logistics.tasks.export_parcel_document", acks_late=True)
def export_parcel_document(document_id: int) -> str:
    return services.parcel_document_build(document_id=document_id).status
