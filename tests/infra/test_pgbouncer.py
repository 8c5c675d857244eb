"""What the portal relies on when its connections go through PgBouncer in transaction pooling
mode (`.ci/pgbouncer`; CI runs the non-browser suite through it with DATABASE_POOL_MODE set).
Outside that pass these tests skip: they say nothing about a direct connection."""

import os

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from procurement.accounts.models import Company
from tests.accounts.factories import CompanyFactory
from tests.services import database_url

pytestmark = [
    pytest.mark.pgbouncer,
    pytest.mark.postgres,
    pytest.mark.skipif(
        os.environ.get("DATABASE_POOL_MODE") != "transaction",
        reason="runs behind PgBouncer only (DATABASE_POOL_MODE=transaction)",
    ),
]


@pytest.mark.django_db
def test_the_connection_goes_through_the_pooler():
    with connection.cursor() as cursor:
        cursor.execute("SELECT inet_server_port()")
        (server_port,) = cursor.fetchone()
    assert int(settings.DATABASES["default"]["PORT"]) != server_port


def test_pooled_settings_hold_no_server_state_across_transactions():
    db = settings.DATABASES["default"]
    # .iterator() and chunked cursors would declare WITH HOLD cursors outside transactions.
    assert db["DISABLE_SERVER_SIDE_CURSORS"] is True
    # Django keeps psycopg from preparing statements unless told otherwise (PgBouncer before
    # 1.21 cannot carry a prepared statement from one server connection to the next).
    assert db["OPTIONS"].get("prepare_threshold") is None


@pytest.mark.django_db(transaction=True)
def test_iterator_outside_a_transaction_reads_every_row():
    """In autocommit, with other clients busy on the pool in between chunks. (The other client
    prepares nothing either: psycopg's own default, after five runs of a statement, would leave
    a prepared statement on a server connection the next client then collides with.)"""
    CompanyFactory.create_batch(7)
    assert not connection.in_atomic_block
    names = []
    with psycopg.connect(database_url(), autocommit=True, prepare_threshold=None) as other:
        for company in Company.objects.order_by("pk").iterator(chunk_size=2):
            other.execute("SELECT 1")
            names.append(company.legal_name)
    assert len(names) == Company.objects.count() >= 7


@pytest.mark.django_db
def test_a_time_zone_set_by_one_client_never_reaches_another():
    """Django sends SET TIME ZONE on connecting when the server's zone is not UTC: PgBouncer
    tracks TimeZone per client and restores it on whichever server connection a client gets."""
    url = database_url()
    with (
        psycopg.connect(url, autocommit=True, prepare_threshold=None) as first,
        psycopg.connect(url, autocommit=True, prepare_threshold=None) as second,
    ):
        default = second.execute("SHOW TimeZone").fetchone()[0]
        first.execute("SET TIME ZONE 'Asia/Shanghai'")
        for _ in range(5):
            assert second.execute("SHOW TimeZone").fetchone()[0] == default
            assert first.execute("SHOW TimeZone").fetchone()[0] == "Asia/Shanghai"
