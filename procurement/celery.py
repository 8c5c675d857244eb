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
}
app.autodiscover_tasks()
