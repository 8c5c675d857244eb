"""Why pages get a Redis server of their own: real Redis servers with a small `maxmemory`, a
flood of distinct catalog pages, and five failed logins.

`maxmemory-policy` belongs to the server, not to a database: with every purpose on one
`allkeys-lru` server the flood evicts the login counters with the old pages, and a password
guesser gets fresh tries. With the pages on a server of their own, the same flood evicts only
pages and the sixth login is still refused.
"""

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse

from procurement.core.caching import DEFAULT, PAGES, cache_aliases, page_cache
from tests.accounts.factories import PASSWORD, UserFactory
from tests.infra.pgcluster import free_port
from tests.services import missing

pytestmark = pytest.mark.django_db

REFUSED = "Too many failed login attempts. Try again later."
MAXMEMORY = "4mb"
PAGE = "x" * 2000  # about a rendered listing's fragment, compressed
FLOOD = 6000  # about 12 MB of pages: three times what the server may hold


@contextmanager
def redis_server(policy: str) -> Iterator[str]:
    """A Redis server of this test's own, in memory only, holding at most MAXMEMORY."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing("redis-server is not installed (Debian's redis-server package)")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--maxmemory", MAXMEMORY, "--maxmemory-policy", policy]
    process = subprocess.Popen(  # noqa: S603 - a fixed binary and arguments
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _try in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def log_in(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def flood_and_try_again(client, caches_setting: dict, pages_url: str) -> tuple[bool, int]:
    """Five failed logins, the page cache flooded, then the right password: (refused, pages
    evicted by the pages' server)."""
    attacked = UserFactory()
    with override_settings(CACHES={**settings.CACHES, **caches_setting}):
        for _attempt in range(5):
            assert REFUSED not in log_in(client, attacked.email, "wrong").content.decode()
        assert caches[DEFAULT].keys("*")  # the counters are there
        for n in range(FLOOD):
            try:
                page_cache.set(f"catalog:search:{n}", PAGE, 60)
            except redis.exceptions.OutOfMemoryError:
                pytest.fail("the pages' server refused a write instead of evicting")
        refused = REFUSED in log_in(client, attacked.email, PASSWORD).content.decode()
        assert caches[PAGES].get(f"catalog:search:{FLOOD - 1}") == PAGE  # the newest page stays
    evicted = redis.Redis.from_url(pages_url).info("stats")["evicted_keys"]
    return refused, evicted


def test_on_one_lru_server_a_flood_of_pages_evicts_the_login_counters(client):
    with redis_server("allkeys-lru") as url:
        refused, evicted = flood_and_try_again(client, cache_aliases(url=url), url)

    assert evicted > 0
    assert not refused  # the guesser got fresh tries: why pages need a server of their own


def test_with_pages_on_their_own_server_the_counters_survive_the_flood(client):
    with redis_server("noeviction") as counters, redis_server("allkeys-lru") as pages:
        refused, evicted = flood_and_try_again(
            client, cache_aliases(url=counters, pages_url=pages), pages
        )
        counters_evicted = redis.Redis.from_url(counters).info("stats")["evicted_keys"]

    assert evicted > 0
    assert counters_evicted == 0
    assert refused
