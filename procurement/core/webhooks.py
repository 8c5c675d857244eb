"""Outbound webhooks: endpoints, events recorded for them, signed deliveries and their sweep.

Every app emits events through this module:

    from procurement.core.webhooks import webhook_event_emit
    webhook_event_emit(company=order.company, event="order.paid", payload={...})

Deliveries are written in the caller's transaction and sent after it commits, by the
`deliver_webhook` task of `procurement.core.tasks` on the `webhooks` queue (queued through the
task outbox, so a broker outage delays them instead of losing them): they never block or break
the request that caused them.

A failed attempt is retried by the task itself with exponential backoff. `next_attempt_at` is
when a delivery may next be tried; while an attempt runs it holds the delivery until a short
lease ends, so a second copy of the task finds it not due and does nothing. Beat runs
`webhook_deliveries_sweep` every minute: a delivery still open well after it was due (its task
lost with the broker's data, a retry that could not be queued, a worker that died mid-attempt)
is queued again. Receivers see each event at least once and deduplicate by `X-Webhook-Id`.

Who may register or change an endpoint (a company's owner) is a rule of
`procurement.accounts.integrations`, which calls the endpoint functions here.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from procurement.core import outbox
from procurement.core.exceptions import DomainError
from procurement.core.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

logger = logging.getLogger(__name__)

RESPONSE_EXCERPT_CHARS = 1000
TEST_EVENT = "endpoint.test"


class WebhookRefused(DomainError):
    """An endpoint that cannot be saved as asked (a URL we must not call, no event)."""


def webhook_max_attempts() -> int:
    return int(getattr(settings, "WEBHOOK_MAX_ATTEMPTS", 8))


def webhook_timeout_seconds() -> float:
    return float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 5))


def webhook_lease_seconds() -> int:
    """How long one attempt holds a delivery: longer than any POST takes (DNS and the timeout)."""
    return int(getattr(settings, "WEBHOOK_LEASE_SECONDS", 120))


def webhook_sweep_after_seconds() -> int:
    """How long past due an open delivery waits for its own task before the sweeper queues it."""
    return int(getattr(settings, "WEBHOOK_SWEEP_AFTER_SECONDS", 300))


def webhook_backoff_seconds(attempt: int) -> int:
    """Seconds before retry after `attempt` failed: 30 s, 1 min, 2 min ... capped at 6 hours."""
    base = int(getattr(settings, "WEBHOOK_BACKOFF_BASE_SECONDS", 30))
    return min(base * 2 ** max(attempt - 1, 0), 6 * 3600)


LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _local_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_HTTP_LOCALHOST", settings.DEBUG))


def _is_public_ip(value: str) -> bool:
    try:
        return ipaddress.ip_address(value).is_global
    except ValueError:
        return False


def webhook_url_check(url: str) -> str:
    """https to a public host only; plain http only to this machine while DEBUG or in tests.

    A host written as an IP address must be a public one, so a merchant cannot point our
    servers at the internal network (the delivery checks the resolved address again).
    """
    url = (url or "").strip()
    parts = urlsplit(url)
    host = parts.hostname or ""
    local = host in LOCAL_HOSTS
    if parts.scheme == "http" and local and _local_allowed():
        return url
    if parts.scheme != "https" or not host:
        raise WebhookRefused(_("Webhook URLs must start with https://."))
    if local or host.endswith((".local", ".internal", ".localhost")):
        raise WebhookRefused(_("Webhook URLs must point to a public internet address."))
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return url  # a name: its addresses are checked at each delivery
    if not _is_public_ip(host):
        raise WebhookRefused(_("Webhook URLs must point to a public internet address."))
    return url


def _delivery_target_refusal(url: str) -> str:
    """Why a delivery must not go to `url` now (an empty string when it may)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host in LOCAL_HOSTS and parts.scheme == "http" and _local_allowed():
        return ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as error:
        return f"could not resolve {host}: {error}"[:300]
    private = sorted({info[4][0] for info in infos if not _is_public_ip(info[4][0])})
    if private:
        return f"{host} resolves to a non-public address ({', '.join(private)}); not delivered"
    return ""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A receiver answers; it does not send our signed request somewhere else."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


@dataclass(frozen=True)
class IssuedEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once


@transaction.atomic
def webhook_endpoint_create(
    *, company: models.Model, created_by: AbstractBaseUser, url: str, events: list[str]
) -> IssuedEndpoint:
    """A new endpoint of `company` (an `accounts.Company`) for the chosen events."""
    url = webhook_url_check(url)
    if not events or set(events) - set(WebhookEvent.values):
        raise WebhookRefused(_("Choose at least one event from the list."))
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        company=company, url=url, events=sorted(set(events)), secret=secret, created_by=created_by
    )
    return IssuedEndpoint(endpoint=endpoint, secret=secret)


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> IssuedEndpoint:
    """A new signing secret, shown once; deliveries from now on are signed with it."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint.secret = secret
    endpoint.save(update_fields=["secret", "updated_at"])
    return IssuedEndpoint(endpoint=endpoint, secret=secret)


def webhook_endpoints_of(*, company: models.Model):
    """The endpoints of `company` (an `accounts.Company`), newest first."""
    return WebhookEndpoint.objects.filter(company=company).order_by("-pk")


def webhook_deliveries_of(*, company: models.Model, endpoint_id: int | None = None):
    """The deliveries to `company`'s endpoints, newest first, with their endpoint loaded."""
    deliveries = WebhookDelivery.objects.filter(company=company).select_related("endpoint")
    if endpoint_id is not None:
        deliveries = deliveries.filter(endpoint_id=endpoint_id)
    return deliveries.order_by("-pk")


@transaction.atomic
def webhook_delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, with the same event id (receivers deduplicate by it), once more
    whatever became of it; an attempt in flight keeps it until its lease ends."""
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if not delivery.endpoint.is_active and delivery.event != TEST_EVENT:
        raise WebhookRefused(_("Enable the endpoint before sending to it again."))
    if delivery.status not in OPEN_STATUSES:
        # Delivery bookkeeping, as the attempts keep it: a row update, no timeline.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.PENDING, next_attempt_at=None, delivered_at=None
        )
        delivery.refresh_from_db()
    _enqueue([delivery.pk])
    return delivery


@transaction.atomic
def webhook_endpoint_set_active(*, endpoint: WebhookEndpoint, active: bool) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.is_active = active
    endpoint.save(update_fields=["is_active", "updated_at"])
    return endpoint


def _json(payload: dict) -> dict:
    """The payload as plain JSON values (decimals and datetimes as strings)."""
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


# The registered name of `procurement.core.tasks.deliver_webhook`, kept from when the task lived
# in procurement.accounts: queued outbox rows and broker messages carry it.
DELIVER_TASK = "procurement.accounts.tasks.deliver_webhook"
OPEN_STATUSES = (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING)
# A retry's countdown is measured on the worker's clock: it may come a moment before the
# `next_attempt_at` that another machine's clock wrote.
EARLY_SECONDS = 5


def _enqueue(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        outbox.outbox_enqueue(task=DELIVER_TASK, args=[delivery_id])


def webhook_event_emit(
    *, company: models.Model, event: str, payload: dict
) -> list[WebhookDelivery]:
    """Record `event` for every active endpoint of `company` (an `accounts.Company`) that chose
    it, and send each after the caller's transaction commits. Never raises for a delivery
    problem."""
    if event not in WebhookEvent.values:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(company=company, is_active=True)
        if event in endpoint.events
    ]
    if not endpoints:
        return []
    data = _json(payload)
    # As `outbox_enqueue`: checked before writing, and written without a savepoint of its own.
    with transaction.atomic(savepoint=False):
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(endpoint=endpoint, company=company, event=event, payload=data)
            for endpoint in endpoints
        )
        _enqueue([delivery.pk for delivery in deliveries])
    return deliveries


@transaction.atomic
def webhook_endpoint_test(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a harmless test event to one endpoint, even a disabled one."""
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        company=endpoint.company,
        event=TEST_EVENT,
        payload={"message": "This is a test event from the procurement portal."},
    )
    _enqueue([delivery.pk])
    return delivery


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of "<timestamp>.<body>": what X-Webhook-Signature carries (as v1=...)."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_signature_verify(
    *, secret: str, timestamp: str, body: bytes, signature: str, tolerance: int = 300
) -> bool:
    """What a receiver does: recompute the signature and refuse an old timestamp."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(time.time() - stamp) > tolerance:
        return False
    expected = "v1=" + webhook_signature(secret=secret, timestamp=stamp, body=body)
    return hmac.compare_digest(expected, signature or "")


def _delivery_body(delivery: WebhookDelivery) -> bytes:
    envelope = {
        "id": str(delivery.event_id),
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "company_id": delivery.company_id,
        "data": delivery.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True)
class AttemptResult:
    delivered: bool
    retry_in: int | None  # seconds, when another attempt should follow


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """(status code, response excerpt, error) of one POST; never raises."""
    refusal = _delivery_target_refusal(url)
    if refusal:
        return None, "", refusal
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        # Endpoint URLs are validated as https (http only for localhost in development) on
        # registration, so no other scheme reaches the opener.
        with _opener.open(request, timeout=webhook_timeout_seconds()) as response:
            text = response.read(RESPONSE_EXCERPT_CHARS).decode("utf-8", "replace")
            return response.status, text, ""
    except urllib.error.HTTPError as error:
        text = error.read(RESPONSE_EXCERPT_CHARS).decode("utf-8", "replace")
        return error.code, text, ""
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return None, "", str(reason)[:300]


def _delivery_claim(delivery_id: int) -> bool:
    """Take an open delivery that is due for one attempt, in one conditional UPDATE (a
    compare-and-set): of two tasks for the same delivery, only one gets it. Holding it means
    `next_attempt_at` moves to the end of the lease; the attempt's outcome replaces it."""
    now = timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(
        next_attempt_at__lte=now + timedelta(seconds=EARLY_SECONDS)
    )
    claimed = WebhookDelivery.objects.filter(due, pk=delivery_id, status__in=OPEN_STATUSES).update(
        next_attempt_at=now + timedelta(seconds=webhook_lease_seconds())
    )
    return claimed == 1


def webhook_delivery_attempt(*, delivery_id: int) -> AttemptResult:
    """Try one delivery once, outside any transaction, and record the attempt. Does nothing
    for a delivery that is finished, not due yet, or held by an attempt in flight."""
    if not _delivery_claim(delivery_id):
        return AttemptResult(delivered=False, retry_in=None)
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:  # its endpoint was deleted meanwhile
        return AttemptResult(delivered=False, retry_in=None)
    endpoint = delivery.endpoint
    if not endpoint.is_active and delivery.event != TEST_EVENT:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.FAILED, next_attempt_at=None
        )
        return AttemptResult(delivered=False, retry_in=None)
    body = _delivery_body(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "procurement-webhooks/1",
        "X-Webhook-Id": str(delivery.event_id),
        "X-Webhook-Event": delivery.event,
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": "v1="
        + webhook_signature(secret=endpoint.secret, timestamp=timestamp, body=body),
    }
    started = time.monotonic()
    status_code, excerpt, error = _post(endpoint.url, body, headers)
    duration_ms = int((time.monotonic() - started) * 1000)
    number = delivery.attempt_count + 1
    delivered = status_code is not None and 200 <= status_code < 300
    retry_in = None
    if delivered:
        status = WebhookDelivery.Status.SUCCEEDED
    elif number >= webhook_max_attempts():
        status = WebhookDelivery.Status.FAILED
    else:
        status = WebhookDelivery.Status.RETRYING
        retry_in = webhook_backoff_seconds(number)
    now = timezone.now()
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            status_code=status_code,
            response_excerpt=excerpt,
            error=error,
            duration_ms=duration_ms,
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=status,
            attempt_count=number,
            delivered_at=now if delivered else None,
            next_attempt_at=now + timedelta(seconds=retry_in) if retry_in else None,
        )
    return AttemptResult(delivered=delivered, retry_in=retry_in)


def webhook_deliveries_sweep(*, now: datetime | None = None) -> int:
    """Queue `deliver_webhook` again for open deliveries whose own task should have run more
    than `webhook_sweep_after_seconds` ago. Each is marked due at `now` in the same savepoint
    as its send, so it is swept at most once per that interval and a task that was only slow
    finds it held or done. Stops at the first broker error. Returns how many were queued."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=webhook_sweep_after_seconds())
    overdue = Q(next_attempt_at__lte=cutoff) | Q(
        next_attempt_at__isnull=True, created_at__lte=cutoff
    )
    size = outbox.outbox_batch_size()
    queued, last_pk = 0, 0
    while True:
        with transaction.atomic():
            ids = list(
                WebhookDelivery.objects.select_for_update(skip_locked=True)
                .filter(overdue, status__in=OPEN_STATUSES, pk__gt=last_pk)
                .order_by("pk")
                .values_list("pk", flat=True)[:size]
            )
            for delivery_id in ids:
                try:
                    with transaction.atomic():
                        WebhookDelivery.objects.filter(pk=delivery_id).update(next_attempt_at=now)
                        outbox.task_send(task=DELIVER_TASK, args=[delivery_id])
                except Exception as error:
                    if outbox.is_broker_error(error):
                        logger.warning("webhook sweep: broker unavailable: %s", error)
                        return queued
                    logger.warning("webhook sweep: delivery %s failed", delivery_id, exc_info=True)
                    continue
                queued += 1
        if len(ids) < size:
            return queued
        last_pk = ids[-1]
