"""Prometheus metrics at /metrics/: the process's own (prometheus_client's defaults) and the
business figures, read from the database and the broker when Prometheus scrapes.

Business figures come from the database rather than from counters kept in memory: with many
gunicorn and Celery processes, each scrape of any one process then gives the whole
installation's totals, and a restart loses nothing. Totals that only grow are exposed as
counters (orders paid, wallet top-ups, failed webhook attempts, 1688 calls and their errors,
store credentials refused), the rest as gauges.

Partners: every call to 1688's trade API is a row (orders' `AlibabaCall`, kept for staff), so
its errors are counted by API and code; a store connection keeps the outcome of its last call,
so stores are shown as how many connections are failing now, and how often a store refused the
portal's credentials (each is an event on the connection's timeline).

Access: a bearer token (METRICS_TOKEN) or a client address inside METRICS_ALLOWED_NETWORKS
(comma-separated CIDRs: the scraper's network). Anyone else gets a 404, as if it did not exist.
"""

import functools
import hmac
import ipaddress

import redis
from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.registry import Collector

from orders.models import AlibabaCall, AlibabaOrder, Order
from orders.stores.models import Platform, StoreConnection, StoreConnectionEvent, StoreOrder
from payments.models import ExportJob, TopUp
from procurement.core.models import OutboxTask, WebhookAttempt

QUEUES = ("default", "exports", "webhooks")


class BusinessCollector(Collector):
    def describe(self):
        # Without it the registry would collect (query the database) on registering, at import.
        return []

    def collect(self):
        paid = CounterMetricFamily(
            "portal_orders_paid", "Orders paid from a wallet, since the start", labels=["source"]
        )
        for source, n in (
            Order.objects.filter(paid_at__isnull=False)
            .values_list("source")
            .annotate(n=Count("id"))
            .values_list("source", "n")
        ):
            paid.add_metric([source], n)
        yield paid

        top_ups = CounterMetricFamily(
            "portal_wallet_top_ups", "Wallet top-ups by outcome", labels=["status", "currency"]
        )
        amount = CounterMetricFamily(
            "portal_wallet_top_up_amount",
            "Amount credited by succeeded top-ups, in each currency",
            labels=["currency"],
        )
        for status, currency, n, total in (
            TopUp.objects.values_list("status", "currency")
            .annotate(n=Count("id"), total=Sum("amount"))
            .values_list("status", "currency", "n", "total")
        ):
            top_ups.add_metric([status, currency], n)
            if status == TopUp.Status.SUCCEEDED:
                amount.add_metric([currency], float(total or 0))
        yield top_ups
        yield amount

        unsent = OutboxTask.objects.filter(sent_at__isnull=True)
        oldest = unsent.order_by("created_at").values_list("created_at", flat=True).first()
        yield GaugeMetricFamily(
            "portal_outbox_backlog", "Outbox tasks not yet accepted by the broker", unsent.count()
        )
        yield GaugeMetricFamily(
            "portal_outbox_oldest_seconds",
            "Age of the oldest unsent outbox task (0 when none)",
            (timezone.now() - oldest).total_seconds() if oldest else 0,
        )

        failures = CounterMetricFamily(
            "portal_webhook_attempt_failures",
            "Failed webhook delivery attempts by endpoint (error or non-2xx answer)",
            labels=["endpoint"],
        )
        for endpoint, n in (
            WebhookAttempt.objects.filter(
                Q(status_code__isnull=True) | Q(status_code__lt=200) | Q(status_code__gte=300)
            )
            .values_list("delivery__endpoint_id")
            .annotate(n=Count("id"))
            .values_list("delivery__endpoint_id", "n")
        ):
            failures.add_metric([str(endpoint)], n)
        yield failures

        durations = ExportJob.objects.filter(
            status=ExportJob.Status.SUCCEEDED, finished_at__isnull=False
        ).aggregate(n=Count("id"), seconds=Sum(F("finished_at") - F("created_at")))
        yield SummaryMetricFamily(
            "portal_export_duration_seconds",
            "Settlement exports that succeeded: from request to file (purged jobs drop out)",
            count_value=durations["n"],
            sum_value=durations["seconds"].total_seconds() if durations["seconds"] else 0.0,
        )

        yield from _alibaba_metrics()
        yield from _store_metrics()

        lengths = GaugeMetricFamily(
            "portal_celery_queue_length", "Tasks waiting in each broker queue", labels=["queue"]
        )
        if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
            # Celery's Redis transport keeps each queue as a list named after it.
            client = broker()
            for queue in QUEUES:
                lengths.add_metric([queue], client.llen(queue))
        yield lengths


# A 1688 exchange that went wrong: no answer (timeout, network), an HTTP error, or an error code
# in the answer (a refusal, a rate limit, an expired token).
ALIBABA_FAILED = Q(http_status__isnull=True) | Q(http_status__gte=400) | ~Q(error_code="")
# What staff must look at: refused, unknown outcome, made on 1688 but not recorded, half made.
ALIBABA_TROUBLE = (
    AlibabaOrder.Status.FAILED,
    AlibabaOrder.Status.UNKNOWN,
    AlibabaOrder.Status.CREATED,
    AlibabaOrder.Status.PARTIAL,
)


def _alibaba_metrics():
    calls = CounterMetricFamily(
        "portal_1688_calls", "Requests sent to 1688's trade API, by API", labels=["api"]
    )
    for api, n in AlibabaCall.objects.values_list("api").annotate(n=Count("id")).order_by():
        calls.add_metric([api], n)
    yield calls

    errors = CounterMetricFamily(
        "portal_1688_call_errors",
        "1688 trade API requests that failed (timeout, network, HTTP error or an error code in "
        "the answer), by API and code",
        labels=["api", "code"],
    )
    by_code: dict[tuple[str, str], int] = {}
    for api, code, status, n in (
        AlibabaCall.objects.filter(ALIBABA_FAILED)
        .values_list("api", "error_code", "http_status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        # One series per code, whatever HTTP status the answers carrying it had.
        key = (api, code or f"http_{status}")
        by_code[key] = by_code.get(key, 0) + n
    for labels, n in sorted(by_code.items()):
        errors.add_metric(list(labels), n)
    yield errors

    trouble = GaugeMetricFamily(
        "portal_1688_orders_needing_staff",
        "Purchase orders whose passage through 1688 failed or is uncertain, by status",
        labels=["status"],
    )
    counts = dict(
        AlibabaOrder.objects.filter(status__in=ALIBABA_TROUBLE)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for status in ALIBABA_TROUBLE:
        trouble.add_metric([status], counts.get(status, 0))
    yield trouble


def _store_metrics():
    failing = GaugeMetricFamily(
        "portal_store_connections_failing",
        "Open store connections whose last call to the store failed, by platform",
        labels=["platform"],
    )
    # A failed call writes its time to both fields; a later success moves last_call_at on.
    counts = dict(
        StoreConnection.objects.filter(
            status__in=StoreConnection.OPEN,
            last_error_at__isnull=False,
            last_error_at__gte=F("last_call_at"),
        )
        .values_list("platform")
        .annotate(n=Count("id"))
        .order_by()
    )
    refused = CounterMetricFamily(
        "portal_store_credentials_refused",
        "Times a store refused the portal's credentials (the connection then needs attention)",
        labels=["platform"],
    )
    refusals = dict(
        StoreConnectionEvent.objects.filter(to_status=StoreConnection.Status.NEEDS_ATTENTION)
        .values_list("connection__platform")
        .annotate(n=Count("id"))
        .order_by()
    )
    errors = CounterMetricFamily(
        "portal_store_call_errors",
        "Failed calls to merchants' stores (refused, throttled past the retries, unreachable)",
        labels=["platform"],
    )
    error_counts = dict(
        StoreConnection.objects.values_list("platform").annotate(n=Sum("error_count")).order_by()
    )
    pushes = GaugeMetricFamily(
        "portal_store_tracking_pushes_failing",
        "Shipped store orders whose tracking the store has refused so far, by platform",
        labels=["platform"],
    )
    unpushed = dict(
        StoreOrder.objects.filter(status=StoreOrder.Status.SHIPPED)
        .exclude(push_error="")
        .values_list("connection__platform")
        .annotate(n=Count("id"))
        .order_by()
    )
    for platform in Platform.values:
        failing.add_metric([platform], counts.get(platform, 0))
        refused.add_metric([platform], refusals.get(platform, 0))
        errors.add_metric([platform], error_counts.get(platform) or 0)
        pushes.add_metric([platform], unpushed.get(platform, 0))
    yield failing
    yield refused
    yield errors
    yield pushes


@functools.cache
def broker() -> redis.Redis:
    return redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2
    )


REGISTRY.register(BusinessCollector())


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


@never_cache
def metrics(request):
    if not _allowed(request):
        raise Http404
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
