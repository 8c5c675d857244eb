"""The Celery app's wiring, and one task carried by Redis to a real worker process."""

import os
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu import Exchange, Queue

from procurement.accounts.models import Invitation
from procurement.accounts.tasks import invitations_expire
from procurement.celery import app
from procurement.core.models import hash_token
from tests.accounts.factories import CompanyFactory
from tests.services import database_url, require_redis

# A Redis database number of its own, so tests never meet the development worker's messages.
BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
WORKER_START_TIMEOUT = 60
TASK_TIMEOUT = 60


def test_queues_are_declared():
    assert {queue.name for queue in app.conf.task_queues} == {"default", "exports", "webhooks"}
    assert app.conf.task_default_queue == "default"


def test_tasks_run_in_process_when_no_broker_is_configured():
    # The test settings have no CELERY_BROKER_URL, like `make run` on a fresh machine.
    assert settings.CELERY_TASK_ALWAYS_EAGER is True


@pytest.fixture
def broker_url() -> str:
    return require_redis(BROKER_URL, "TEST_CELERY_BROKER_URL")


@dataclass(frozen=True)
class Worker:
    queue: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()


@pytest.fixture
def worker(broker_url, tmp_path):
    """A `celery worker` process on its own queue, reading the test database."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "procurement.settings.test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "PYTHONUNBUFFERED": "1",
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and celery
            [
                sys.executable,
                "-m",
                "celery",
                "--app",
                "procurement",
                "worker",
                "--pool",
                "solo",
                "--queues",
                queue,
                "--hostname",
                f"{queue}@%h",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: "ready." in log_path.read_text(), WORKER_START_TIMEOUT, process, log_path)
        yield Worker(queue=queue, log_path=log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        forget_queue(broker_url, queue)


def forget_queue(broker_url: str, name: str) -> None:
    """Remove the test queue and its binding from the broker (declared here so kombu knows it)."""
    with app.connection_for_write(broker_url) as broker:
        queue = Queue(name, Exchange(name), routing_key=name)(broker.default_channel)
        queue.declare()
        queue.delete()


def wait_for(condition, timeout: float, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the worker exited ({process.returncode}):\n{log_path.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s; worker log:\n{log_path.read_text()}")
        time.sleep(0.2)


@pytest.fixture
def to_broker(broker_url):
    """Send tasks to the broker from this process (the test settings run them in-process)."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with app.connection_for_write(broker_url) as broker:
            yield broker
    finally:
        app.conf.task_always_eager = eager


def invitation(company, *, expired_days_ago: int) -> Invitation:
    return Invitation.objects.create(
        company=company,
        email=f"{uuid.uuid4().hex[:8]}@example.com",
        token_hash=hash_token(uuid.uuid4().hex),
        expires_at=timezone.now() - timedelta(days=expired_days_ago),
    )


@pytest.mark.worker
@pytest.mark.postgres  # the worker must open the test database; in-memory SQLite is per process
# Committed rows, so the worker sees them; serialized rollback restores what the migrations seeded
# (content types, staff groups) after the flush, for the transactional tests that follow.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_process_runs_a_task_sent_on_commit(worker, to_broker):
    company = CompanyFactory()
    stale = invitation(company, expired_days_ago=40)
    recent = invitation(company, expired_days_ago=1)

    with transaction.atomic():
        invitations_expire.apply_async_on_commit(queue=worker.queue, connection=to_broker)

    deadline = time.monotonic() + TASK_TIMEOUT
    while Invitation.objects.filter(pk=stale.pk).exists():
        assert time.monotonic() < deadline, "the worker did not delete the stale invitation"
        time.sleep(0.2)
    assert Invitation.objects.filter(pk=recent.pk).exists()
    assert re.search(
        r"Task procurement\.accounts\.tasks\.invitations_expire\[\S+\] succeeded", worker.log()
    )
