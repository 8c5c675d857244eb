"""The task outbox: a task queued by a change commits and rolls back with it, survives a broker
that is down at commit, and is sent later by the sweeper, once."""

import logging
import threading
from contextlib import suppress
from datetime import timedelta

import pytest
from celery import shared_task
from celery.exceptions import NotRegistered
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from procurement.core import outbox
from procurement.core.models import OutboxTask
from tests.faults.conftest import celery_broker

pytestmark = pytest.mark.django_db

# Nothing listens here: connections are refused at once, as when Redis is stopped.
CLOSED_BROKER = "redis://127.0.0.1:6390/0"
RECORD = "tests.accounts.test_outbox.record"
CALLS: list[str] = []


@shared_task(name=RECORD)
def record(value: str) -> None:
    """What a worker would run: notes its argument, fails when asked to."""
    if value == "fail":
        raise RuntimeError("the task failed")
    CALLS.append(value)


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    CALLS.clear()
    # Each test starts with the broker trusted again, whatever an earlier one met.
    monkeypatch.setattr(outbox, "_broker_down_until", {})


class Rollback(Exception):
    pass


def _age(*rows: OutboxTask, seconds: int = 3600) -> None:
    """Backdate rows past the sweeper's wait for the first try."""
    OutboxTask.objects.filter(pk__in=[row.pk for row in rows]).update(
        created_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_the_row_is_written_in_the_transaction_and_sent_once_it_commits(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            row = outbox.outbox_enqueue(task=RECORD, args=["a"])
            assert OutboxTask.objects.get().sent_at is None  # in the transaction, not sent yet
        assert CALLS == []

    for callback in callbacks:
        callback()

    row.refresh_from_db()
    assert CALLS == ["a"]  # no broker configured: the task ran in-process
    assert row.sent_at is not None
    assert row.attempts == 1
    assert row.last_error == ""


def test_a_rolled_back_transaction_leaves_no_row_and_sends_nothing(
    django_capture_on_commit_callbacks,
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        suppress(Rollback),
        transaction.atomic(),
    ):
        outbox.outbox_enqueue(task=RECORD, args=["a"])
        raise Rollback

    assert not OutboxTask.objects.exists()
    assert CALLS == []


def test_with_the_broker_down_the_caller_succeeds_and_the_sweeper_sends_the_task_later_once(
    django_capture_on_commit_callbacks, caplog
):
    with (
        caplog.at_level(logging.WARNING),
        celery_broker(CLOSED_BROKER),
        django_capture_on_commit_callbacks(execute=True),
    ):
        row = outbox.outbox_enqueue(task=RECORD, args=["paid"])  # raises nothing

    row.refresh_from_db()
    assert row.sent_at is None
    assert row.attempts == 1
    assert "OperationalError" in row.last_error
    assert any(RECORD in record.getMessage() for record in caplog.records)
    assert CALLS == []

    # The broker is back (here: tasks run in-process again); a minute later the sweeper runs.
    assert outbox.outbox_sweep() == 0  # too young: the first try may still be under way
    _age(row)
    assert outbox.outbox_sweep() == 1
    assert outbox.outbox_sweep() == 0

    row.refresh_from_db()
    assert CALLS == ["paid"]
    assert row.sent_at is not None
    assert row.attempts == 2
    assert row.last_error == ""


def test_after_a_broker_failure_later_commits_do_not_wait_on_the_broker_again(
    django_capture_on_commit_callbacks, monkeypatch
):
    tries = []
    real_send = outbox.task_send
    monkeypatch.setattr(outbox, "task_send", lambda **call: tries.append(call) or real_send(**call))

    with celery_broker(CLOSED_BROKER):
        with django_capture_on_commit_callbacks(execute=True):
            outbox.outbox_enqueue(task=RECORD, args=["one"])
            outbox.outbox_enqueue(task=RECORD, args=["two"])
        with django_capture_on_commit_callbacks(execute=True):
            outbox.outbox_enqueue(task=RECORD, args=["three"])

    assert tries == [{"task": RECORD, "args": ["one"]}]
    assert OutboxTask.objects.filter(sent_at__isnull=True).count() == 3


def test_the_sweep_stops_at_a_broker_error_and_loses_nothing():
    rows = [OutboxTask.objects.create(task=RECORD, args=[value]) for value in "abc"]
    _age(*rows)

    with celery_broker(CLOSED_BROKER):
        assert outbox.outbox_sweep() == 0

    attempts = list(OutboxTask.objects.order_by("pk").values_list("attempts", "sent_at"))
    assert attempts == [(1, None), (0, None), (0, None)]  # the first failed; the rest waited
    assert outbox.outbox_sweep() == 3
    assert CALLS == ["a", "b", "c"]
    assert not OutboxTask.objects.filter(sent_at__isnull=True).exists()


def test_a_failing_task_stays_unsent_and_does_not_hold_up_the_others(settings):
    settings.OUTBOX_BATCH_SIZE = 2
    rows = [OutboxTask.objects.create(task=RECORD, args=[v]) for v in ["fail", "b", "c", "d"]]
    _age(*rows)

    assert outbox.outbox_sweep() == 3

    failed = OutboxTask.objects.get(args=["fail"])
    assert CALLS == ["b", "c", "d"]
    assert failed.sent_at is None
    assert failed.attempts == 1
    assert "the task failed" in failed.last_error
    assert OutboxTask.objects.filter(sent_at__isnull=False).count() == 3


def test_purge_removes_only_sent_rows_past_their_retention(settings):
    settings.OUTBOX_RETENTION_DAYS = 7
    now = timezone.now()
    old_sent = OutboxTask.objects.create(task=RECORD, sent_at=now - timedelta(days=8))
    recent_sent = OutboxTask.objects.create(task=RECORD, sent_at=now - timedelta(days=1))
    old_unsent = OutboxTask.objects.create(task=RECORD)
    _age(old_unsent, seconds=30 * 86400)

    assert outbox.outbox_purge() == 1

    assert set(OutboxTask.objects.values_list("pk", flat=True)) == {recent_sent.pk, old_unsent.pk}
    assert not OutboxTask.objects.filter(pk=old_sent.pk).exists()


def test_an_unknown_task_or_arguments_that_are_not_json_are_refused_at_once():
    with pytest.raises(NotRegistered):
        outbox.outbox_enqueue(task="orders.tasks.no_such_task", args=[1])
    with pytest.raises(TypeError):
        outbox.outbox_enqueue(task=RECORD, args=[object()])
    assert not OutboxTask.objects.exists()


def test_the_sweep_and_purge_run_as_beat_tasks():
    from procurement.core import tasks

    _age(OutboxTask.objects.create(task=RECORD, args=["beat"]))

    assert tasks.outbox_sweep.delay().get() == 1
    assert CALLS == ["beat"]
    assert tasks.outbox_purge.delay().get() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_row_locked_by_another_sweep_is_skipped_not_waited_for():
    held, other = (OutboxTask.objects.create(task=RECORD, args=[v]) for v in ("held", "free"))
    _age(held, other)
    locked, release = threading.Event(), threading.Event()

    def other_sweep() -> None:
        try:
            with transaction.atomic():
                OutboxTask.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_sweep)
    thread.start()
    try:
        assert locked.wait(10)
        assert outbox.outbox_sweep() == 1
    finally:
        release.set()
        thread.join(10)

    assert CALLS == ["free"]
    assert OutboxTask.objects.get(pk=held.pk).sent_at is None


def test_superusers_see_unsent_tasks_in_the_admin_and_nobody_edits_them(client, staff_user):
    stuck = OutboxTask.objects.create(
        task=RECORD, args=["stuck"], attempts=3, last_error="OperationalError: refused"
    )
    OutboxTask.objects.create(task=RECORD, args=["done"], attempts=1, sent_at=timezone.now())
    changelist = reverse("admin:core_outboxtask_changelist")
    client.force_login(staff_user)

    assert client.get(changelist).status_code == 403  # staff, not superuser

    staff_user.is_superuser = True
    staff_user.save(update_fields=["is_superuser"])
    unsent = client.get(changelist, {"state": "unsent"})
    detail = client.get(reverse("admin:core_outboxtask_change", args=[stuck.pk]))

    assert unsent.status_code == 200
    assert list(unsent.context["cl"].result_list) == [stuck]
    assert "OperationalError: refused" in unsent.text
    assert detail.status_code == 200
    assert not detail.context["has_change_permission"]
    assert client.get(reverse("admin:core_outboxtask_add")).status_code == 403
    assert client.get(reverse("admin:core_outboxtask_delete", args=[stuck.pk])).status_code == 403


def test_a_process_that_registered_its_tasks_sends_without_loading_them_again(monkeypatch):
    """Served processes register every app's tasks as they start (wsgi.py, asgi.py): the first
    task a request sends then finds it registered, instead of loading the task modules (and
    running Django's system checks, as Celery's Django fixup does) inside that request."""
    from celery import current_app

    from procurement.celery import app
    from procurement.startup import tasks_register

    tasks_register()
    loads = []
    monkeypatch.setattr(current_app.loader, "import_default_modules", lambda: loads.append(1))
    for entry in app.conf.beat_schedule.values():
        assert outbox._task(entry["task"]).name == entry["task"]
    assert outbox._task("orders.tasks.order_paid").name == "orders.tasks.order_paid"
    assert loads == []


@pytest.mark.parametrize("module", ["procurement.wsgi", "procurement.asgi"])
def test_served_processes_load_what_first_requests_would_wait_for(monkeypatch, module):
    """wsgi.py and asgi.py get their process ready before it serves: jieba's dictionary, the
    tasks and Django's relation map are loaded (procurement/startup.py)."""
    import importlib

    from procurement import startup

    loaded = []
    monkeypatch.setattr(startup, "segmenter_load", lambda: loaded.append("jieba"))
    monkeypatch.setattr(startup, "tasks_register", lambda: loaded.append("tasks"))
    served = importlib.import_module(module)
    loaded.clear()  # a first import ran it too
    importlib.reload(served)

    assert loaded == ["jieba", "tasks"]
