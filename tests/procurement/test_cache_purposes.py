"""One cache per purpose: rate-limit counters ("default", where allauth counts), rendered pages
("pages") and sessions ("sessions") are separate stores, so a flood of distinct searches filling
the page cache, or the page cache emptied, never touches a login counter or a session."""

import os
import time
import uuid

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.urls import reverse

from procurement.core.apikeys import api_key_create, api_rate_limit_hit
from procurement.core.caching import (
    DEFAULT,
    PAGES,
    SESSIONS,
    cache_aliases,
    page_cache,
    redis_database,
)
from procurement.core.models import ApiScope
from procurement.sessions import SessionStore
from tests.accounts.factories import PASSWORD, UserFactory
from tests.services import require_redis

pytestmark = pytest.mark.django_db

# Three databases from this one on: the test writes under a prefix of its own and deletes only
# its own keys, so the databases may be shared with anything else.
REDIS_URL = os.environ.get("TEST_CACHE_PURPOSES_REDIS_URL", "redis://127.0.0.1:6379/8")
REFUSED = "Too many failed login attempts. Try again later."
FLOOD = 3000  # distinct pages: ten times local memory's default MAX_ENTRIES


def log_in(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def fail_five_logins(client, email: str) -> None:
    for _attempt in range(5):
        assert REFUSED not in log_in(client, email, "wrong-password").content.decode()


def flood_the_page_cache() -> None:
    """What a crawler asking for thousands of distinct searches leaves behind."""
    for n in range(FLOOD):
        page_cache.set(f"catalog:search:{n}", {"html": "x" * 200}, 60)


def test_a_redis_cache_url_gives_each_purpose_a_database_of_its_own():
    aliases = cache_aliases(url="redis://redis.internal:6379/1")

    assert {alias: entry["LOCATION"] for alias, entry in aliases.items()} == {
        DEFAULT: "redis://redis.internal:6379/1",
        PAGES: "redis://redis.internal:6379/2",
        SESSIONS: "redis://redis.internal:6379/3",
    }
    assert {entry["BACKEND"] for entry in aliases.values()} == {"django_redis.cache.RedisCache"}


def test_each_purpose_may_have_a_server_of_its_own():
    aliases = cache_aliases(
        url="rediss://:pw@counters.internal:6380/0",
        pages_url="redis://pages.internal:6379/0",
        sessions_url="redis://sessions.internal:6379/4",
    )

    assert aliases[DEFAULT]["LOCATION"] == "rediss://:pw@counters.internal:6380/0"
    assert aliases[PAGES]["LOCATION"] == "redis://pages.internal:6379/0"
    assert aliases[SESSIONS]["LOCATION"] == "redis://sessions.internal:6379/4"


def test_a_url_without_a_database_starts_at_database_zero():
    assert redis_database("redis://redis.internal:6379", 2) == "redis://redis.internal:6379/2"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("redis://redis.internal:6379/14", "database 16 is past"),
        ("redis://redis.internal:6379?db=1", "in the URL's path"),
    ],
)
def test_a_cache_url_whose_databases_cannot_follow_is_refused(url, says):
    with pytest.raises(ImproperlyConfigured, match=says):
        cache_aliases(url=url)


def test_without_redis_each_purpose_is_its_own_local_memory():
    aliases = cache_aliases(url="")

    assert len({entry["LOCATION"] for entry in aliases.values()}) == 3
    assert settings.SESSION_CACHE_ALIAS == SESSIONS


def test_the_stores_are_apart():
    for alias in (DEFAULT, PAGES, SESSIONS):
        caches[alias].set("written-to", alias)

    assert [caches[alias].get("written-to") for alias in (DEFAULT, PAGES, SESSIONS)] == [
        DEFAULT,
        PAGES,
        SESSIONS,
    ]


def test_failed_logins_are_counted_in_the_rate_limit_cache_not_the_page_cache(client):
    user = UserFactory()
    fail_five_logins(client, user.email)

    page_cache.clear()
    assert REFUSED in log_in(client, user.email, PASSWORD).content.decode()

    caches[DEFAULT].clear()
    assert REFUSED not in log_in(client, user.email, PASSWORD).content.decode()


def test_a_flooded_or_emptied_page_cache_leaves_login_counters_and_sessions(client, owner):
    attacked = UserFactory()
    fail_five_logins(client, attacked.email)
    signed_in = Client()
    signed_in.force_login(owner)
    session_key = SessionStore.cache_key_prefix + signed_in.cookies["sessionid"].value
    with override_settings(SESSION_ENGINE="procurement.sessions"):
        assert signed_in.get(reverse("dashboard")).status_code == 200
        assert caches[SESSIONS].get(session_key) is not None

        flood_the_page_cache()
        page_cache.clear()

        assert caches[SESSIONS].get(session_key) is not None
    assert REFUSED in log_in(client, attacked.email, PASSWORD).content.decode()


def test_api_key_counters_are_kept_with_the_rate_limits(company, owner):
    key = api_key_create(
        company=company, created_by=owner, name="ERP", scopes=[ApiScope.values[0]]
    ).key
    for _call in range(3):
        api_rate_limit_hit(key=key)

    page_cache.clear()

    counters = caches[DEFAULT].get_many(
        [f"api-rate:{key.pk}:{minute}" for minute in _this_and_last_minute()]
    )
    assert sum(counters.values()) == 3


def _this_and_last_minute() -> list[int]:
    now = int(time.time()) // 60
    return [now, now - 1]


def test_on_redis_each_purpose_has_its_own_pool_and_database(client):
    """The production set-up from one CACHE_URL: three connection pools on three databases; a
    failed-login counter and a session survive the page cache flooded and emptied."""
    from django_redis import get_redis_connection

    url = require_redis(REDIS_URL, "TEST_CACHE_PURPOSES_REDIS_URL")
    prefix = f"purposes-{uuid.uuid4().hex}"
    redis_caches = {**settings.CACHES, **cache_aliases(url=url)}
    for alias in (DEFAULT, PAGES, SESSIONS):
        redis_caches[alias]["KEY_PREFIX"] = prefix
    attacked = UserFactory()

    with override_settings(CACHES=redis_caches):
        try:
            pools = [
                get_redis_connection(alias).connection_pool for alias in (DEFAULT, PAGES, SESSIONS)
            ]
            assert len({id(pool) for pool in pools}) == 3
            first = int(url.rsplit("/", 1)[1])
            assert [pool.connection_kwargs["db"] for pool in pools] == [first, first + 1, first + 2]

            fail_five_logins(client, attacked.email)
            caches[SESSIONS].set("session-copy", {"company": 1}, 300)
            assert not caches[PAGES].keys("*")  # nothing counted among the pages

            flood_the_page_cache()
            caches[PAGES].delete_pattern("*")  # everything the page cache held, gone

            assert caches[DEFAULT].keys("*")
            assert caches[SESSIONS].get("session-copy") == {"company": 1}
            assert REFUSED in log_in(client, attacked.email, PASSWORD).content.decode()
        finally:
            for alias in (DEFAULT, PAGES, SESSIONS):
                caches[alias].delete_pattern("*")
