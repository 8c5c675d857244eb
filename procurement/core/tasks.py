"""The kernel's Celery tasks: webhook deliveries, the outbox and webhook sweeps and the purges
(beat).

Each keeps the registered name it had in `procurement.accounts.tasks`: unsent outbox rows,
messages waiting on the broker (a retry with its countdown) and the beat schedule carry these
names, and a worker drops a message whose name it does not know. A rename would need a data
migration of the outbox rows and a drained broker; the name is an address, not an import path.
"""

from celery import shared_task

from procurement.core import idempotency, outbox, webhooks


@shared_task(bind=True, max_retries=None, name=webhooks.DELIVER_TASK)
def deliver_webhook(self, delivery_id: int) -> bool:
    """One attempt; on failure a retry with exponential backoff (routed to the webhooks queue).
    A copy that finds the delivery done, not yet due or held by another attempt does nothing."""
    result = webhooks.webhook_delivery_attempt(delivery_id=delivery_id)
    if result.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=result.retry_in)
    return result.delivered


@shared_task(name="procurement.accounts.tasks.webhook_deliveries_sweep")
def webhook_deliveries_sweep() -> int:
    return webhooks.webhook_deliveries_sweep()


@shared_task(name="procurement.accounts.tasks.outbox_sweep")
def outbox_sweep() -> int:
    return outbox.outbox_sweep()


@shared_task(name="procurement.accounts.tasks.outbox_purge")
def outbox_purge() -> int:
    return outbox.outbox_purge()


@shared_task(name="procurement.core.tasks.idempotent_requests_purge")
def idempotent_requests_purge() -> int:
    return idempotency.idempotent_requests_purge()
