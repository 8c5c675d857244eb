"""Request-wide middleware of the composition root: one log line per request, and which
requests may read from the replica."""

import logging
import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY as USER_SESSION_KEY

from procurement.accounts.middleware import SESSION_KEY as COMPANY_SESSION_KEY
from procurement.core import logs, replica

request_logger = logging.getLogger("procurement.requests")

# Cookie holding the time (Unix seconds) until which this client reads from the primary.
PIN_COOKIE = "primary_until"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Pages an anonymous visitor reads: the public home page (the fee schedule) and the catalog.
ANONYMOUS_REPLICA_NAMESPACES = frozenset({"catalog"})
ANONYMOUS_REPLICA_VIEWS = frozenset({"home"})


def _replica_eligible(request) -> bool:
    """Reports and exports (the finance pages) and what an anonymous visitor reads: pages that
    only show data, where a few seconds' lag harms nobody. Nothing that shows a balance a
    merchant then acts on (wallet, cart, checkout, orders) is here."""
    match = request.resolver_match
    if request.method not in SAFE_METHODS or match is None:
        return False
    if match.namespace == "finance":
        return True
    if request.user.is_authenticated:
        return False
    return (
        match.namespace in ANONYMOUS_REPLICA_NAMESPACES
        or match.view_name in ANONYMOUS_REPLICA_VIEWS
    )


def _pinned(request) -> bool:
    try:
        return float(request.COOKIES.get(PIN_COOKIE, "0")) > time.time()
    except ValueError:
        return False


class ReplicaReadsMiddleware:
    """Routes a request's reads (see procurement.core.replica) and pins a client that wrote to
    the primary for DATABASE_REPLICA_PIN_SECONDS, by cookie: read-your-writes across requests,
    whichever web process serves the next one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        replica.request_started(prefer_replica=False, pinned=False)
        response = self.get_response(request)
        if replica.replica_configured() and (replica.wrote() or request.method not in SAFE_METHODS):
            seconds = settings.DATABASE_REPLICA_PIN_SECONDS
            response.set_cookie(
                PIN_COOKIE,
                f"{time.time() + seconds:.3f}",
                max_age=seconds,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Without a replica nothing is decided: not even the user is looked at.
        if replica.replica_configured() and _replica_eligible(request):
            replica.request_started(prefer_replica=True, pinned=_pinned(request))


class RequestLogMiddleware:
    """Outermost: gives the request its id (a proxy's X-Request-ID is kept), binds it to every
    log record written while serving it and to the tasks it enqueues, answers it in
    X-Request-ID, and writes one line when the response is ready: method, path, status,
    duration, user and company (as the session names them, when the request read it: the log
    adds no query)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request_id = logs.new_request_id(request.headers.get("X-Request-ID"))
        logs.clear()
        logs.bind(request_id=request_id)
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.accessed:  # read by the request already: no query
            logs.bind(
                user_id=session.get(USER_SESSION_KEY), company_id=session.get(COMPANY_SESSION_KEY)
            )
        response["X-Request-ID"] = request_id
        request_logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response
