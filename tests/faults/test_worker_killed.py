"""A Celery worker is killed (SIGKILL) while it builds a settlement XLSX: the task is handed to
another worker and the export finishes, once."""

import os
import subprocess
import sys
import time
import zipfile
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from payments import exports, reports
from payments.models import ExportJob
from tests.faults.conftest import BROKER_URL, assert_ledger_sound, celery_broker, database_url
from tests.orders.factories import paid_order
from tests.payments.factories import finance_user

pytestmark = [
    pytest.mark.xdist_group("redis-faults"),  # one Redis database: one process at a time
    pytest.mark.postgres,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# How long an unacknowledged task stays with a dead worker before another may take it. In
# production it is kombu's default, one hour .
VISIBILITY_SECONDS = 3
TIMEOUT = 90


@contextmanager
def export_worker(broker_url: str, media_root: Path, log_path: Path, *, stall: bool):
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "tests.faults.export_worker"]
    command += [str(media_root), str(VISIBILITY_SECONDS)] + (["--stall"] if stall else [])
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        wait_for(lambda: "ready." in log_path.read_text(), process, log_path)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def wait_for(condition, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the worker exited ({process.returncode}):\n{log_path.read_text()}")
        if time.monotonic() > deadline:
            broker = redis.Redis.from_url(BROKER_URL)
            pytest.fail(
                f"timed out after {TIMEOUT}s; broker keys {broker.keys()}, "
                f"{broker.llen('exports')} waiting; worker log:\n{log_path.read_text()}"
            )
        time.sleep(0.2)


def _job(pk: int) -> ExportJob:
    return ExportJob.objects.get(pk=pk)


def test_export_survives_a_worker_killed_mid_run_and_finishes_once(shop, broker_url, tmp_path):
    company, buyer, product, skus = shop
    paid_order(buyer, company, (product, {skus[0]: 20}))
    finance = finance_user()
    today = timezone.localdate()
    expected_rows = reports.settlement_line_count(
        date_from=today - timedelta(days=1), date_to=today
    )
    assert expected_rows > 0
    media_root = tmp_path / "media"
    media_root.mkdir()

    with export_worker(broker_url, media_root, tmp_path / "a.log", stall=True) as first:
        with celery_broker(broker_url):
            job = exports.export_job_start(
                actor=finance, date_from=today - timedelta(days=1), date_to=today
            )
        wait_for(
            lambda: "export stalled" in (tmp_path / "a.log").read_text(),
            first,
            tmp_path / "a.log",
        )
        assert _job(job.pk).status == ExportJob.Status.RUNNING
        first.kill()  # SIGKILL: no shutdown, no acknowledgement, no clean-up
        first.wait(timeout=10)

    orphaned = _job(job.pk)
    assert (orphaned.status, orphaned.attempts, orphaned.file.name) == (
        ExportJob.Status.RUNNING,
        1,
        "",
    )

    # A new worker takes back unacknowledged tasks older than the visibility timeout when it
    # starts, and after that only every tenth poll (kombu's unacked_restore_throttle), ~100 s.
    time.sleep(VISIBILITY_SECONDS + 1)
    with export_worker(broker_url, media_root, tmp_path / "b.log", stall=False) as second:
        wait_for(
            lambda: _job(job.pk).status in (ExportJob.Status.SUCCEEDED, ExportJob.Status.FAILED),
            second,
            tmp_path / "b.log",
        )

    done = _job(job.pk)
    assert done.status == ExportJob.Status.SUCCEEDED, done.error
    assert done.attempts == 2
    assert done.rows_written == expected_rows
    assert done.progress == 100
    files = [path for path in media_root.rglob("*") if path.is_file()]
    assert [path.relative_to(media_root).as_posix() for path in files] == [done.file.name]
    with zipfile.ZipFile(files[0]) as workbook:
        assert "xl/workbook.xml" in workbook.namelist()

    # A late duplicate delivery of the same message changes nothing.
    duplicate = exports.export_job_run(job_id=job.pk)
    assert (duplicate.status, duplicate.attempts) == (ExportJob.Status.SUCCEEDED, 2)
    assert redis.Redis.from_url(broker_url).llen("exports") == 0
    assert_ledger_sound()
