from celery import shared_task

from procurement.accounts import services


@shared_task
def invitations_expire() -> int:
    return services.invitations_expire_stale()
