"""Celery tasks: thin, they call services."""

from celery import shared_task

from payments import services


@shared_task(
    name="payments.tasks.fx_rates_refresh",
    autoretry_for=(OSError,),
    retry_backoff=60,
    max_retries=5,
)
def fx_rates_refresh() -> int:
    """Fetch today's ECB reference rates (FX_ECB_URL) and append the new ones."""
    return services.fx_rates_refresh_from_ecb()


@shared_task(name="payments.tasks.top_ups_expire")
def top_ups_expire() -> int:
    return services.top_ups_expire()
