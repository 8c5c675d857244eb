"""A transactional outbox for Celery tasks: a task queued by a committed change is never lost.

`transaction.on_commit(lambda: task.delay(...))` loses the task when the broker is down at the
moment of commit: the change is saved, the mail or webhook it called for is not. Instead a
service calls

    outbox_enqueue(task="orders.tasks.order_paid", args=[order.pk])

which writes an `OutboxTask` row in the caller's transaction, so the row commits or rolls back
with the change, and once the transaction commits tries to hand the task to the broker at once.
A broker that fails within a short timeout is logged and the row is left unsent; `outbox_sweep`
(beat, every minute) sends the unsent rows that are older than a few seconds and marks them sent.

Delivery is at least once: a task can run twice (the broker took it but marking the row failed,
or the first try and the sweeper overlapped), so every task sent this way must tolerate a repeat.

With no broker configured (development, tests) Celery runs tasks in-process: "sent" then means
the task ran, and a task that raised stays unsent for the sweeper, as after a broker failure.
"""

import json
import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from celery import Task, current_app
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from procurement.core.models import OutboxTask

logger = logging.getLogger(__name__)

# One publish try and one reconnect, no pause between: each waits at most the broker's connect
# timeout (CELERY_BROKER_TRANSPORT_OPTIONS), so a request never waits long on a dead broker.
# Celery's default policy retries three times; the sweeper is the retry here.
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0,
    "interval_max": 0,
}
# After a broker failure this process stops trying to send at commit for a while (the sweeper
# sends those rows), so a request that queues several tasks pays for a dead broker only once.
BROKER_REST_SECONDS = 30
ERROR_CHARS = 500

_broker_down_until: dict[str, float] = {}  # broker URL -> time.monotonic() deadline


def outbox_sweep_after_seconds() -> int:
    """Rows younger than this are still being sent at commit; the sweeper leaves them alone."""
    return int(getattr(settings, "OUTBOX_SWEEP_AFTER_SECONDS", 30))


def outbox_batch_size() -> int:
    return int(getattr(settings, "OUTBOX_BATCH_SIZE", 100))


def outbox_retention_days() -> int:
    """Sent rows are kept this long, to answer "was it sent?", then purged."""
    return int(getattr(settings, "OUTBOX_RETENTION_DAYS", 7))


# --- Sending one task ----------------------------------------------------------------------------


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)


def _task(name: str) -> Task:
    tasks = current_app.tasks
    if name not in tasks:
        # A web process imports task modules only as it needs them; autodiscovery, as a worker
        # runs it at start, registers every app's tasks.
        current_app.loader.import_default_modules()
    return tasks[name]  # NotRegistered, a KeyError, for a name no app defines


def is_broker_error(error: BaseException) -> bool:
    """The broker could not be reached (Celery raises connection errors as OperationalError).
    In-process (eager) tasks have no broker: what they raise is the task's own failure."""
    return isinstance(error, OperationalError) and not _eager()


def task_send(*, task: str, args: Sequence) -> None:
    """Hand one task to the broker now, or run it in-process when no broker is configured.

    Raises what the broker (or the in-process task) raised; `is_broker_error` tells them apart.
    """
    found = _task(task)
    if _eager():
        if transaction.get_connection().in_atomic_block:
            # A savepoint, so a task that fails half-way leaves the caller's transaction usable.
            with transaction.atomic():
                found.apply_async(args=list(args)).maybe_throw()
        else:
            found.apply_async(args=list(args)).maybe_throw()
        return
    found.apply_async(args=list(args), retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    _broker_down_until.pop(current_app.conf.broker_url, None)


def _broker_resting() -> bool:
    if _eager():
        return False
    until = _broker_down_until.get(current_app.conf.broker_url)
    return until is not None and time.monotonic() < until


def _broker_failed() -> None:
    _broker_down_until[current_app.conf.broker_url] = time.monotonic() + BROKER_REST_SECONDS


def _call(task: str, args: Sequence) -> str:
    return f"{task}({', '.join(map(repr, args))})"


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:ERROR_CHARS]


# --- The outbox ----------------------------------------------------------------------------------


def outbox_enqueue(*, task: str, args: Sequence = ()) -> OutboxTask:
    """Record `task(*args)` in the caller's transaction and send it once that commits.

    `task` is the Celery task's registered name ("orders.tasks.order_paid"); an unknown name
    raises at once. `args` must be plain JSON values: ids, not model instances or secrets.
    """
    _task(task)
    values = json.loads(json.dumps(list(args)))  # TypeError now, not in the sweeper later
    # Checked before anything is written, so a refusal leaves the caller's transaction usable;
    # the row itself needs no savepoint of its own (two round trips per task): if its insert
    # fails, the caller's transaction fails with it.
    with transaction.atomic(savepoint=False):
        row = OutboxTask.objects.create(task=task, args=values)
        transaction.on_commit(lambda: _send_after_commit(row.pk, task, values))
    return row


def _send_after_commit(row_id: int, task: str, args: list) -> None:
    """The first try, right after commit. Never raises: the change is already committed, and
    the row is there for the sweeper whatever happens here."""
    if _broker_resting():
        logger.warning(
            "outbox: broker unavailable, %s left for the sweeper (row %s)",
            _call(task, args),
            row_id,
        )
        return
    try:
        task_send(task=task, args=args)
    except Exception as error:
        if is_broker_error(error):
            _broker_failed()
        logger.warning(
            "outbox: could not send %s, left for the sweeper (row %s): %s",
            _call(task, args),
            row_id,
            _describe(error),
        )
        try:
            _record_failure(row_id, error)
        except DatabaseError:
            logger.warning("outbox: could not record the failure of row %s", row_id, exc_info=True)
        return
    try:
        _record_sent(row_id)
    except DatabaseError:
        # Sent but not marked: the sweeper sends it again, which tasks tolerate.
        logger.warning(
            "outbox: %s sent but row %s not marked", _call(task, args), row_id, exc_info=True
        )


def _record_sent(row_id: int) -> None:
    OutboxTask.objects.filter(pk=row_id, sent_at__isnull=True).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
    )


def _record_failure(row_id: int, error: BaseException) -> None:
    OutboxTask.objects.filter(pk=row_id).update(
        attempts=F("attempts") + 1, last_error=_describe(error)
    )


def outbox_sweep(*, now: datetime | None = None) -> int:
    """Send the unsent rows older than `outbox_sweep_after_seconds`, oldest first, in batches of
    `outbox_batch_size`, each batch locked (rows another sweep holds are skipped). Stops at the
    first broker error; the rest wait for the next run. Returns how many were sent."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=outbox_sweep_after_seconds())
    size = outbox_batch_size()
    after = Q()
    sent = 0
    while True:
        with transaction.atomic():
            rows = list(
                OutboxTask.objects.select_for_update(skip_locked=True)
                .filter(after, sent_at__isnull=True, created_at__lte=cutoff)
                .order_by("created_at", "pk")[:size]
            )
            batch_sent, broker_down = _send_rows(rows)
        sent += batch_sent
        if broker_down or len(rows) < size:
            return sent
        # Keyset: rows whose task failed stay unsent and must not be read again in this run.
        last = rows[-1]
        after = Q(created_at__gt=last.created_at) | Q(created_at=last.created_at, pk__gt=last.pk)


def _send_rows(rows: list[OutboxTask]) -> tuple[int, bool]:
    """(sent, broker down) for rows locked by the caller."""
    sent = 0
    for row in rows:
        try:
            task_send(task=row.task, args=row.args)
        except Exception as error:
            _record_failure(row.pk, error)
            if is_broker_error(error):
                logger.warning("outbox sweep: broker unavailable: %s", _describe(error))
                return sent, True
            logger.warning("outbox sweep: %s failed", row, exc_info=True)
            continue
        _record_sent(row.pk)
        sent += 1
    return sent, False


def outbox_purge(*, now: datetime | None = None) -> int:
    """Delete sent rows older than `outbox_retention_days`; unsent rows are never purged."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=outbox_retention_days())
    deleted, _by_model = OutboxTask.objects.filter(sent_at__lt=cutoff).delete()
    return deleted
