"""Backups that restore: a seeded database is dumped with pg_dump, restored with pg_restore into
a new database, and the copy passes `ledger_check` with the same rows as the original (the
procedure is in the README, "Backups and point-in-time recovery")."""

import os
import shutil
import subprocess
import sys

import pytest
from django.conf import settings

from tests.infra.pgcluster import single_server
from tests.services import missing

pytestmark = [pytest.mark.backup, pytest.mark.postgres]

# Tables whose rows must come back one for one (money and orders).
TABLES = [
    "payments_ledgertransaction",
    "payments_posting",
    "payments_account",
    "payments_topup",
    "orders_order",
    "accounts_company",
]


def _run(args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(  # noqa: S603 - our own interpreter, or PostgreSQL's client tools
        args,
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{args[:3]}:\n{result.stdout}\n{result.stderr}"
    return result


def _counts(server, database: str) -> dict[str, int]:
    counts = {}
    for table in TABLES:
        query = f"SELECT count(*) FROM {table}"  # noqa: S608 - our own table names
        counts[table] = server.execute(query, database=database)[0][0]
    return counts


def test_a_dump_restores_into_a_new_database_with_a_sound_ledger(tmp_path):
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        missing("pg_dump and pg_restore (postgresql-client) are needed")
    with single_server() as cluster:
        server = cluster.primary
        server.execute("CREATE DATABASE portal")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "procurement.settings.test",
            "DATABASE_URL": server.url("portal"),
            "DATABASE_POOL_MODE": "",
            "CELERY_BROKER_URL": "",
        }
        _run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], env)
        _run([sys.executable, "manage.py", "seed_demo"], env)
        original = _counts(server, "portal")
        assert original["payments_posting"] > 0, "the seed moved no money: nothing to check"

        dump = tmp_path / "portal.dump"
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", server.url("portal")])
        server.execute("CREATE DATABASE portal_restored")
        restored = server.url("portal_restored")
        _run(["pg_restore", "--no-owner", "--exit-on-error", "-d", restored, str(dump)])

        assert _counts(server, "portal_restored") == original
        checked = _run(
            [sys.executable, "manage.py", "ledger_check"],
            {**env, "DATABASE_URL": server.url("portal_restored")},
        )
        assert "The ledger is sound." in checked.stdout
