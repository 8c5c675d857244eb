"""The portal's caches, one per purpose, and cache calls whose failure must not fail a request.

Three aliases, because what each holds suffers differently when Redis runs short of memory:

- `default`: rate-limit counters (allauth's login, signup and reset limits; the API keys'
  per-minute counts) and small shared state (the 1688 access token). Losing a counter lets a
  password guesser start again, so nothing here may be evicted to make room for a page. It is
  "default" because allauth counts on Django's default cache and has no setting to choose
  another.
- `pages`: rendered catalog listings, the category tree, display rates and the catalog's
  generation. Any entry may go at any moment (a page renders again), so this is where memory
  pressure is allowed to evict.
- `sessions`: the short-lived copy of each session (procurement.sessions); the sessions
  themselves stay in the database.

Each alias has its own connection pool: a Redis URL of its own or, by default, another database
number on the same server as CACHE_URL (`cache_aliases`). Redis applies `maxmemory-policy` per
server, not per database, so production gives pages a server of their own (README, "Redis by
purpose").

`cache_call`: sessions (procurement.sessions), the catalog pages and the catalog's generation
(catalog.views, catalog.generation) call the cache through it, so a cache that is down (Redis
away) makes the request slower, never broken.
"""

import logging
from urllib.parse import parse_qs, urlsplit, urlunsplit

from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.utils.connection import ConnectionProxy

logger = logging.getLogger(__name__)

DEFAULT = "default"
PAGES = "pages"
SESSIONS = "sessions"
# What the development and test settings keep per process; the same names in every set-up.
LOCAL_LOCATIONS = {
    DEFAULT: "procurement",
    PAGES: "procurement-pages",
    SESSIONS: "procurement-sessions",
}
# Database numbers after CACHE_URL's that the other purposes take when given no URL of their own.
DATABASE_OFFSETS = {PAGES: 1, SESSIONS: 2}
REDIS_DATABASES = 16  # Redis's default `databases`

# The catalog's cache, as `django.core.cache.cache` is the default one.
page_cache = ConnectionProxy(caches, PAGES)


def redis_database(url: str, offset: int) -> str:
    """`url` with its database number (the path, 0 when absent) moved on by `offset`."""
    parts = urlsplit(url)
    if "db" in parse_qs(parts.query):
        raise ImproperlyConfigured(
            "give the Redis database in the URL's path (redis://host:6379/1)"
        )
    path = parts.path.strip("/")
    number = int(path or 0) + offset
    if number >= REDIS_DATABASES:
        raise ImproperlyConfigured(
            f"database {number} is past Redis's default {REDIS_DATABASES}: give CACHE_URL a lower "
            "database or each purpose a URL of its own"
        )
    return urlunsplit(parts._replace(path=f"/{number}"))


def cache_aliases(*, url: str, pages_url: str = "", sessions_url: str = "") -> dict:
    """The CACHES entries for the three purposes: django-redis when `url` is a Redis URL,
    otherwise local memory per process (development, tests)."""
    if not url.startswith(("redis://", "rediss://")):
        return {
            alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": place}
            for alias, place in LOCAL_LOCATIONS.items()
        }
    locations = {
        DEFAULT: url,
        PAGES: pages_url or redis_database(url, DATABASE_OFFSETS[PAGES]),
        SESSIONS: sessions_url or redis_database(url, DATABASE_OFFSETS[SESSIONS]),
    }
    # django-redis rather than Django's own Redis backend: it keeps one Redis client per
    # connection pool, where Django's builds a client (and its table of response callbacks) on
    # every call.
    return {
        alias: {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": "procurement",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
        for alias, location in locations.items()
    }


def cache_call(cache, method: str, *args, failed=None, purpose: str):
    """`cache.<method>(*args)`, or `failed` if the cache raises; the failure is logged as a
    warning naming `purpose` (what the cache was for)."""
    try:
        return getattr(cache, method)(*args)
    except Exception:  # any cache error: carry on without the cache
        logger.warning("%s cache %s failed; going on without it", purpose, method, exc_info=True)
        return failed
