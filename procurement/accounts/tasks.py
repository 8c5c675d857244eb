from celery import shared_task

from procurement.accounts import integrations, outbox, services


@shared_task
def invitations_expire() -> int:
    return services.invitations_expire_stale()


@shared_task(bind=True, max_retries=None)
def deliver_webhook(self, delivery_id: int) -> bool:
    """One attempt; on failure a retry with exponential backoff (routed to the webhooks queue).
    A copy that finds the delivery done, not yet due or held by another attempt does nothing."""
    result = integrations.webhook_delivery_attempt(delivery_id=delivery_id)
    if result.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=result.retry_in)
    return result.delivered


@shared_task
def webhook_deliveries_sweep() -> int:
    return integrations.webhook_deliveries_sweep()


@shared_task
def outbox_sweep() -> int:
    return outbox.outbox_sweep()


@shared_task
def outbox_purge() -> int:
    return outbox.outbox_purge()
