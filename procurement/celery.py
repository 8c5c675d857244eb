"""The Celery application: three queues, autodiscovered tasks, a beat schedule kept in code."""

import os

from celery import Celery
from celery.schedules import crontab
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings.dev")

app = Celery("procurement")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("default"), Queue("exports"), Queue("webhooks"))
app.conf.task_routes = {
    "*.export_*": {"queue": "exports"},
    "*.deliver_webhook*": {"queue": "webhooks"},
}
app.conf.beat_schedule = {
    "expire-stale-invitations": {
        "task": "procurement.accounts.tasks.invitations_expire",
        "schedule": crontab(minute=15),
    },
    # The ECB publishes around 16:00 CET on working days.
    "fx-rates-refresh": {
        "task": "payments.tasks.fx_rates_refresh",
        "schedule": crontab(minute=30, hour="15,17", day_of_week="mon-fri"),
    },
    "finance-exports-purge": {
        "task": "payments.tasks.finance_exports_purge",
        "schedule": crontab(minute=5),
    },
    "top-ups-expire": {"task": "payments.tasks.top_ups_expire", "schedule": crontab(minute="*/10")},
    "logistics-tracking-poll": {
        "task": "logistics.tasks.tracking_poll_due",
        "schedule": crontab(minute="*/30"),
    },
    "logistics-storage-notices": {
        "task": "logistics.tasks.storage_notices_send",
        "schedule": crontab(hour=1, minute=0),
    },
    "logistics-storage-fees": {
        "task": "logistics.tasks.storage_fees_charge",
        "schedule": crontab(hour=2, minute=0),
    },
    "logistics-settle-pending": {
        "task": "logistics.tasks.charges_settle_pending",
        "schedule": crontab(minute=40),
    },
}
app.autodiscover_tasks()
