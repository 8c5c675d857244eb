"""Exports left "running" by a worker that died: beat queues them again through the outbox,
or, once they have had every run they get, fails them with a message finance reads. An export
that is making progress, queued or finished is never touched."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from payments import exports, tasks
from payments.models import ExportJob
from procurement.core.models import OutboxTask

pytestmark = pytest.mark.django_db

EXPORT_TASK = "payments.tasks.export_settlement_xlsx"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.FINANCE_EXPORT_STALL_MINUTES = 60
    settings.FINANCE_EXPORT_MAX_ATTEMPTS = 3


def _job(user, *, status=ExportJob.Status.RUNNING, attempts=1, quiet=None, age=None):
    """A job whose last progress was `quiet` ago (None: never recorded) and that was asked for
    `age` ago."""
    today = timezone.localdate()
    job = ExportJob.objects.create(
        kind=ExportJob.Kind.SETTLEMENT_XLSX,
        date_from=today,
        date_to=today,
        requested_by=user,
        status=status,
        attempts=attempts,
        progress=40,
        rows_written=5000,
    )
    now = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=None if quiet is None else now - quiet,
        created_at=now - (age or quiet or timedelta(0)),
    )
    job.refresh_from_db()
    return job


def _queued_tasks(job) -> int:
    return OutboxTask.objects.filter(task=EXPORT_TASK, args=[job.pk]).count()


def test_a_stalled_export_goes_back_to_the_queue_and_then_finishes(
    finance, django_capture_on_commit_callbacks
):
    job = _job(finance, attempts=1, quiet=timedelta(minutes=61))

    with django_capture_on_commit_callbacks(execute=False):
        outcome = exports.export_jobs_recover()

    assert outcome == {"requeued": 1, "failed": 0}
    job.refresh_from_db()
    assert (job.status, job.progress, job.rows_written, job.heartbeat_at) == (
        ExportJob.Status.QUEUED,
        0,
        0,
        None,
    )
    assert _queued_tasks(job) == 1
    job = exports.export_job_run(job_id=job.pk)  # what the queued task does
    assert (job.status, job.attempts) == (ExportJob.Status.SUCCEEDED, 2)
    assert job.heartbeat_at is not None


def test_an_export_from_before_heartbeats_is_judged_by_its_age(finance):
    job = _job(finance, quiet=None, age=timedelta(hours=3))

    assert exports.export_jobs_recover() == {"requeued": 1, "failed": 0}
    job.refresh_from_db()
    assert job.status == ExportJob.Status.QUEUED


def test_exports_that_are_fine_are_not_touched(finance):
    progressing = _job(finance, quiet=timedelta(minutes=59), age=timedelta(hours=5))
    just_started = _job(finance, quiet=None, age=timedelta(minutes=5))
    waiting = _job(finance, status=ExportJob.Status.QUEUED, age=timedelta(hours=5))
    done = _job(finance, status=ExportJob.Status.SUCCEEDED, age=timedelta(hours=5))
    failed = _job(finance, status=ExportJob.Status.FAILED, age=timedelta(hours=5))
    before = {
        job.pk: (job.status, job.attempts, job.progress, job.heartbeat_at)
        for job in (progressing, just_started, waiting, done, failed)
    }

    assert exports.export_jobs_recover() == {"requeued": 0, "failed": 0}

    after = {
        job.pk: (job.status, job.attempts, job.progress, job.heartbeat_at)
        for job in ExportJob.objects.all()
    }
    assert after == before
    assert not OutboxTask.objects.exists()


def test_a_stalled_export_that_had_every_run_fails_with_a_message(client, finance_admin):
    job = _job(finance_admin, attempts=3, quiet=timedelta(hours=2))

    assert exports.export_jobs_recover() == {"requeued": 0, "failed": 1}

    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert job.finished_at is not None
    assert "stopped making progress 3 times" in job.error
    assert not OutboxTask.objects.exists()
    client.force_login(finance_admin)
    page = client.get(reverse("finance:export", args=[job.pk])).content.decode()
    assert "The export failed." in page
    assert "stopped making progress 3 times" in page
    assert reverse("finance:export-retry", args=[job.pk]) in page


def test_the_attempts_limit_follows_the_setting(finance, settings):
    settings.FINANCE_EXPORT_MAX_ATTEMPTS = 1
    job = _job(finance, attempts=1, quiet=timedelta(hours=2))

    assert exports.export_jobs_recover() == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert job.error.startswith("The export stopped making progress (the worker")


def test_progress_keeps_a_running_export_alive(finance, monkeypatch):
    """Each step of progress writes the heartbeat, so a long export is never taken for dead."""
    job = _job(finance, status=ExportJob.Status.QUEUED, attempts=0, age=timedelta(hours=5))
    seen = []

    def slow_writer(path, *, date_from, date_to, on_progress):
        ExportJob.objects.filter(pk=job.pk).update(
            heartbeat_at=timezone.now() - timedelta(hours=2)  # hours since the run started
        )
        on_progress(5000)
        seen.append(exports.export_jobs_recover())
        with open(path, "wb") as handle:
            handle.write(b"xlsx")
        return 5000

    monkeypatch.setattr(exports, "write_settlement_xlsx", slow_writer)
    job = exports.export_job_run(job_id=job.pk)

    assert seen == [{"requeued": 0, "failed": 0}]
    assert job.status == ExportJob.Status.SUCCEEDED


def test_the_beat_task_recovers(finance):
    job = _job(finance, attempts=2, quiet=timedelta(hours=2))

    assert tasks.finance_exports_recover() == {"requeued": 1, "failed": 0}
    job.refresh_from_db()
    assert job.status == ExportJob.Status.QUEUED
