"""Liveness and readiness, for the load balancer and the orchestrator.

`/healthz/` (liveness) answers as long as the process can serve a request: it touches nothing
else, so a database outage never gets every web process restarted at once. `/readyz/`
(readiness: whether to send this process traffic) checks what a request needs: the database
with every migration applied, the shared cache (Redis) and the task broker, and reports the
outbox backlog. 200 when all answer, 503 otherwise, with the same JSON body either way.
"""

import time

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Min
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from procurement.celery import app
from procurement.core.caching import DEFAULT, PAGES, SESSIONS
from procurement.core.models import OutboxTask

# Once every migration was applied it stays so for this process's code.
_migrated = False


def _database() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _migrations() -> str:
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if unapplied:
            return f"{len(unapplied)} unapplied"
        _migrated = True
    return "ok"


def _cache() -> str:
    """Every purpose's cache (rate limits, pages, sessions) answers: each may be a Redis of its
    own."""
    if not settings.CACHE_URL:
        return "ok (per process)"
    silent = []
    for alias in (DEFAULT, PAGES, SESSIONS):
        cache = caches[alias]
        cache.set("readyz", 1, timeout=10)
        if cache.get("readyz") != 1:
            silent.append(alias)
    return f"no answer from {', '.join(silent)}" if silent else "ok"


def _broker() -> str:
    if not settings.CELERY_BROKER_URL:
        return "ok (tasks run in-process)"
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=2)
    return "ok"


def _replica() -> str:
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    checks = {
        "database": _database,
        "migrations": _migrations,
        "cache": _cache,
        "broker": _broker,
    }
    if "replica" in settings.DATABASES:
        checks["replica"] = _replica
    results, ready = {}, True
    for name, check in checks.items():
        started = time.perf_counter()
        try:
            outcome = check()
        except Exception as error:  # any failure means not ready; the body says which
            outcome = f"error: {error.__class__.__name__}"
        results[name] = {"status": outcome, "ms": round((time.perf_counter() - started) * 1000)}
        ready = ready and outcome.startswith("ok")
    body = {"status": "ok" if ready else "unavailable", "checks": results}
    if results["database"]["status"] == "ok":
        backlog = OutboxTask.objects.filter(sent_at__isnull=True).aggregate(
            oldest=Min("created_at"), count=Count("id")
        )
        oldest = backlog["oldest"]
        body["outbox"] = {
            "unsent": backlog["count"],
            "oldest_seconds": round((timezone.now() - oldest).total_seconds()) if oldest else 0,
        }
    return JsonResponse(body, status=200 if ready else 503)
