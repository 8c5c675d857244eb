from celery import shared_task

from procurement.accounts import integrations, services


@shared_task
def invitations_expire() -> int:
    return services.invitations_expire_stale()


@shared_task(bind=True, max_retries=None)
def deliver_webhook(self, delivery_id: int) -> bool:
    """One attempt; on failure a retry with exponential backoff (routed to the webhooks queue)."""
    result = integrations.webhook_delivery_attempt(delivery_id=delivery_id)
    if result.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=result.retry_in)
    return result.delivered
