"""Idempotent API requests: the first answer to a POST sent with an `Idempotency-Key`, stored
in the same transaction as its effect and replayed on a retry (`procurement.api_common`).

A key is kept for `idempotency_retention()` (IDEMPOTENCY_KEY_RETENTION_HOURS), then purged by
beat; a retry sent after that runs as a new request.
"""

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from procurement.core.models import IdempotentRequest


def request_body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def idempotent_request_claim(
    *, company: models.Model, key: str, method_path: str, body_hash: str
) -> tuple[IdempotentRequest, bool]:
    """Claim `key` of `company` (an `accounts.Company`) for this request inside the caller's
    transaction: (record, created).

    Under PostgreSQL a concurrent request with the same key waits on the unique index until the
    first commits, then finds its record; if the first rolled back, it claims the key itself.
    The caller raises IdempotencyMismatch when an existing record is for another request.
    """
    record, created = IdempotentRequest.objects.get_or_create(
        company=company,
        key=key,
        defaults={"method_path": method_path, "body_hash": body_hash},
    )
    if not created:
        record = IdempotentRequest.objects.select_for_update().get(pk=record.pk)
    return record, created


def idempotent_request_finish(*, record: IdempotentRequest, status_code: int, body) -> None:
    record.status_code = status_code
    record.response_body = body
    record.save(update_fields=["status_code", "response_body"])


def idempotency_retention() -> timedelta:
    return timedelta(hours=int(getattr(settings, "IDEMPOTENCY_KEY_RETENTION_HOURS", 168)))


PURGE_BATCH = 5_000


def idempotent_requests_purge(*, now: datetime | None = None, batch_size: int = PURGE_BATCH) -> int:
    """Delete the records older than their window, `batch_size` rows per transaction, so no
    single statement holds locks (or builds WAL) for the whole backlog at once."""
    cutoff = (now or timezone.now()) - idempotency_retention()
    expired = IdempotentRequest.objects.filter(created_at__lt=cutoff).order_by("pk")
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(expired.values_list("pk", flat=True)[:batch_size])
            if not batch:
                return deleted
            count, _by_model = IdempotentRequest.objects.filter(pk__in=batch).delete()
        deleted += count
