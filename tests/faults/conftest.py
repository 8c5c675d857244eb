"""Fault injection on PostgreSQL: a connection killed between two statements, a broker that is
not there, a worker killed mid-task. After each test the ledger invariants must still hold."""

import contextlib
import os

import psycopg
import pytest
import redis
from django.db import connection
from kombu import pools

from payments.selectors import ledger_problems
from procurement.accounts.models import Role
from procurement.celery import app
from tests.accounts.factories import CompanyFactory, MembershipFactory
from tests.orders.factories import fund_wallet, product_with_skus, seed_rates
from tests.services import database_url, require_redis

# A Redis database of its own for the tests that need a live broker: emptied before and after.
BROKER_URL = os.environ.get("TEST_FAULTS_BROKER_URL", "redis://127.0.0.1:6379/14")


def backend_pid() -> int:
    """The server process running this thread's current transaction. Asked of the server: behind
    PgBouncer the process id the client was given is the pooler's, not a server's."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate_backend(pid: int) -> None:
    """Kill a server process from a second connection, as a failover or an admin would, and wait
    until it is gone (PostgreSQL 14+: the timeout argument makes the call wait)."""
    with psycopg.connect(database_url(), autocommit=True) as killer:
        row = killer.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()
    assert row == (True,), f"backend {pid} was not terminated"


def _reset_broker_pools() -> None:
    """Forget pooled broker connections (the app's and kombu's shared producer pools), so a
    changed broker URL takes effect and no later test draws from a closed pool."""
    pools.reset()
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def celery_broker(url: str):
    """Send tasks to `url` from this process (the test settings run them in-process)."""
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    _reset_broker_pools()
    app.conf.broker_url = url
    app.conf.task_always_eager = False
    try:
        yield app
    finally:
        _reset_broker_pools()
        app.conf.broker_url, app.conf.task_always_eager = saved


def assert_ledger_sound() -> None:
    """Every transaction balanced, no wallet negative, cached balances equal their postings."""
    connection.close()  # a connection the test broke must not be the one that checks
    assert ledger_problems() == []


@pytest.fixture
def broker_url():
    """The live broker's URL, its database empty; skips (fails in CI) when Redis is not there."""
    require_redis(BROKER_URL, "TEST_FAULTS_BROKER_URL")
    broker = redis.Redis.from_url(BROKER_URL)
    broker.flushdb()
    yield BROKER_URL
    broker.flushdb()


@pytest.fixture
def shop(db):
    """A funded merchant whose buyer (an owner: no spending limit) has goods in the cart."""
    seed_rates()
    company = CompanyFactory()
    buyer = MembershipFactory(company=company, role=Role.OWNER).user
    product, skus = product_with_skus()
    fund_wallet(company, "500.00")
    return company, buyer, product, skus
