"""Two gunicorn instances and two Celery workers share PostgreSQL and Redis under the mixed load
of bench/load_test.py; one instance and one worker are killed (SIGKILL) mid-run. Only requests
in flight at the kill may be lost, no task is lost (the outbox, and tasks acknowledged late and
taken back by the restarted worker), and the ledger invariants hold. The load test itself
checks each of these and exits non-zero otherwise; this test runs it and reads its results."""

import json
import os
import random
import socket
import subprocess
import sys
from urllib.parse import quote

import pytest
from django.conf import settings

from tests.services import require_redis

pytestmark = [pytest.mark.multiprocess, pytest.mark.postgres, pytest.mark.worker]

BROKER_URL = os.environ.get("TEST_MANY_PROCESSES_BROKER_URL", "redis://127.0.0.1:6379/11")
USERS = 6


def _free_ports(count: int) -> int:
    """A first port with `count` free ports from it (gunicorn, the sink, the second gunicorn)."""
    for _ in range(50):
        first = random.randint(20000, 40000)
        try:
            for port in range(first, first + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    pytest.fail("no free ports")


def _database_url(name: str) -> str:
    db = settings.DATABASES["default"]
    user = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        user += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


@pytest.fixture
def load_database():
    import psycopg

    name = f"many_processes_{os.getpid()}"
    yield _database_url(name)
    admin = _database_url("postgres")
    with psycopg.connect(admin, autocommit=True, prepare_threshold=None) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_load_survives_a_web_instance_and_a_worker_killed_mid_run(load_database, tmp_path):
    require_redis(BROKER_URL, "TEST_MANY_PROCESSES_BROKER_URL")
    env = {
        **os.environ,
        "DATABASE_URL": load_database,
        "CELERY_BROKER_URL": BROKER_URL,
        "CACHE_URL": BROKER_URL,
        # A worker started after the kill takes back what the dead one held, once it is older
        # than this; tasks are safe to repeat, so a short timeout only costs repeats.
        "CELERY_VISIBILITY_TIMEOUT": "4",
        "LOAD_USERS": str(USERS),
        "LOAD_PRODUCTS": "200",
        "LOAD_WARMUP": "3",
        "LOAD_SECONDS": "16",
        "LOAD_WORKERS": "2",
        "LOAD_CELERY_CONCURRENCY": "2",
        "LOAD_WEB_INSTANCES": "2",
        "LOAD_CELERY_WORKERS": "2",
        "LOAD_KILL_AFTER": "6",
        "LOAD_RESTART_AFTER": "5",
        "LOAD_DRAIN_SECONDS": "60",
        "LOAD_PORT": str(_free_ports(3)),
        "LOAD_RESULTS_DIR": str(tmp_path),
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    result = subprocess.run(
        [sys.executable, "bench/load_test.py"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    (results,) = tmp_path.glob("load-*.json")
    run = json.loads(results.read_text())
    assert run["events"] == [
        f"killed web instance :{env['LOAD_PORT']} and worker load0",
        "worker load0 started again",
    ]
    assert run["counters"].get("requests lost in flight", 0) <= USERS // 2
    assert run["counters"]["web orders paid"] > 0
    assert run["no_task_lost"] is True
    assert run["after"]["ledger_problems"] == []
