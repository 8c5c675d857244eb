"""The outside services some tests need (Redis, a browser) and the test database's address for
processes a test starts: skipped when a service is missing, failed in CI, which sets
TEST_REQUIRE_SERVICES=1 so a missing service can never pass unnoticed."""

import os
import socket
from urllib.parse import quote, urlsplit

import pytest
from django.db import connection

REQUIRE_SERVICES = os.environ.get("TEST_REQUIRE_SERVICES", "") == "1"


def missing(message: str):
    """Skip the test, or fail it where services are required."""
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


def redis_reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def require_redis(url: str, setting: str) -> str:
    """`url` if Redis answers there; otherwise skip (fail in CI), naming the variable to set."""
    if not redis_reachable(url):
        missing(f"Redis is not reachable at {url} (set {setting})")
    return url


def database_url() -> str:
    """The URL of the test database this process uses, for another process to open it."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or "5432"
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


class BrokenCache:
    """A cache whose every call fails, as Redis does when it is down."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache is down")

        return fail
