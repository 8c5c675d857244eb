"""Idempotency records are kept for their window, then deleted by beat in batches."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from procurement.core import tasks
from procurement.core.idempotency import idempotent_requests_purge
from procurement.core.models import IdempotentRequest

pytestmark = pytest.mark.django_db


def _record(company, key: str, age: timedelta) -> IdempotentRequest:
    record = IdempotentRequest.objects.create(
        company=company,
        key=key,
        method_path="POST /api/v1/orders",
        body_hash="0" * 64,
        status_code=201,
        response_body={"id": 1},
    )
    IdempotentRequest.objects.filter(pk=record.pk).update(created_at=timezone.now() - age)
    return record


def test_records_past_their_window_are_deleted_in_batches(company, other_company, settings):
    settings.IDEMPOTENCY_KEY_RETENTION_HOURS = 24
    for n in range(5):
        _record(company if n % 2 else other_company, f"old-{n}", timedelta(hours=25 + n))
    fresh = _record(company, "fresh", timedelta(hours=23))

    with CaptureQueriesContext(connection) as queries:
        deleted = idempotent_requests_purge(batch_size=2)

    assert deleted == 5
    assert list(IdempotentRequest.objects.all()) == [fresh]
    deletes = [q for q in queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 3  # 2 + 2 + 1


def test_a_record_inside_its_window_is_kept(company, settings):
    settings.IDEMPOTENCY_KEY_RETENTION_HOURS = 168
    kept = _record(company, "erp-order-4711", timedelta(days=6, hours=23))

    assert idempotent_requests_purge() == 0
    assert IdempotentRequest.objects.get().pk == kept.pk


def test_the_beat_task_purges_with_the_default_window(company):
    _record(company, "a-week-and-a-day", timedelta(days=8))
    _record(company, "yesterday", timedelta(days=1))

    assert tasks.idempotent_requests_purge() == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["yesterday"]


def test_nothing_to_purge_is_one_query(company):
    with CaptureQueriesContext(connection) as queries:
        assert idempotent_requests_purge() == 0

    assert [
        q["sql"].split()[0] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ] == ["SELECT"]
