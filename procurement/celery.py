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
    # Every minute. A sweep that waited in the queue past the next one's start is dropped.
    # Tasks whose send after commit failed (broker down): procurement/core/outbox.py.
    "outbox-sweep": {
        "task": "procurement.accounts.tasks.outbox_sweep",
        "schedule": crontab(),
        "options": {"expires": 55},
    },
    "outbox-purge": {
        "task": "procurement.accounts.tasks.outbox_purge",
        "schedule": crontab(hour=3, minute=20),
    },
    # Idempotency keys past their window (IDEMPOTENCY_KEY_RETENTION_HOURS), in batches.
    "idempotent-requests-purge": {
        "task": "procurement.core.tasks.idempotent_requests_purge",
        "schedule": crontab(hour=3, minute=35),
    },
    # Webhook deliveries still open well after they were due (their task was lost).
    "webhook-deliveries-sweep": {
        "task": "procurement.accounts.tasks.webhook_deliveries_sweep",
        "schedule": crontab(),
        "options": {"expires": 55},
    },
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
    # Exports left "running" by a worker that died: queued again, or failed with a message.
    "finance-exports-recover": {
        "task": "payments.tasks.finance_exports_recover",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 9 * 60},
    },
    "top-ups-expire": {"task": "payments.tasks.top_ups_expire", "schedule": crontab(minute="*/10")},
    # 1688 order events by polling buyerView: the fallback for a lost pushed message.
    "orders-alibaba-sync": {
        "task": "orders.tasks.alibaba_sync_due",
        "schedule": crontab(minute="*/30"),
        "options": {"expires": 25 * 60},
    },
    # Merchants' stores: orders changed since the last poll (the fallback for a lost webhook),
    # and store orders following their portal orders (parcels prepared, tracking pushed again).
    "stores-poll": {
        "task": "orders.stores.tasks.stores_poll_due",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    "stores-sync": {
        "task": "orders.stores.tasks.store_orders_sync_due",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 9 * 60},
    },
    # The search rows' next partition, made well before the first product id it holds.
    "catalog-search-partitions": {
        "task": "catalog.tasks.search_partitions_extend",
        "schedule": crontab(hour=4, minute=10),
    },
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
