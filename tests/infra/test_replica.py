"""A real primary and streaming replica (tests/infra/pgcluster.py): reports read from the
replica, a merchant sees its own payment at once, and lag never shows a stale balance on a page
that acts on it. Each check runs in a process configured with both databases
(tests/infra/replica_scenario.py)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.infra.pgcluster import primary_and_replica
from tests.infra.replica_scenario_names import CHECK_NAMES

# One process builds the servers once for all the checks (pytest-xdist would build one each).
pytestmark = [pytest.mark.replica, pytest.mark.postgres, pytest.mark.xdist_group("replica")]


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and modules
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _env(cluster, database: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "procurement.settings.test",
        "DATABASE_URL": cluster.primary.url(database),
        "DATABASE_REPLICA_URL": cluster.replica.url(database),
        "DATABASE_POOL_MODE": "",
        "CELERY_BROKER_URL": "",
    }


@pytest.fixture(scope="module")
def cluster():
    """The servers, with a migrated database that each check copies (CREATE DATABASE ...
    TEMPLATE), so that checks share no rows."""
    with primary_and_replica() as cluster:
        cluster.primary.execute("CREATE DATABASE portal_template")
        migrated = _run(
            ["manage.py", "migrate", "--no-input", "-v", "0"], _env(cluster, "portal_template")
        )
        assert migrated.returncode == 0, migrated.stderr
        yield cluster


@pytest.mark.parametrize("check", CHECK_NAMES)
def test_replica(cluster, check):
    database = check.removeprefix("check_")[:60]
    cluster.primary.execute(f'CREATE DATABASE "{database}" TEMPLATE portal_template')
    cluster.wait_for_replay()
    result = _run(["-m", "tests.infra.replica_scenario", check], _env(cluster, database))
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
