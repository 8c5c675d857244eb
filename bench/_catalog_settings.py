"""Settings for bench/catalog_bench.py: the base settings with DEBUG off."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/catalog_bench")

from procurement.settings.base import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# No collectstatic needed: {% static %} must not look for a manifest.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# BENCH_CACHE=redis (default): the production set-up, Redis caches shared by the workers (one
# database per purpose), sessions read through them.
# BENCH_CACHE=none: no cache at all, so every request renders its results (the cold path).
if os.environ.get("BENCH_CACHE", "redis") == "none":
    CACHES = {
        alias: {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
        for alias in ("default", "pages", "sessions")
    }
    CACHES["template_fragments"] = TEMPLATE_FRAGMENTS_CACHE  # noqa: F405
else:
    CACHES = {
        **cache_aliases(  # noqa: F405
            url=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
        ),
        "template_fragments": TEMPLATE_FRAGMENTS_CACHE,  # noqa: F405
    }
    for alias in CACHES.values():
        if "KEY_PREFIX" in alias:
            alias["KEY_PREFIX"] = "catalog-bench"
    SESSION_ENGINE = "procurement.sessions"

# The API workloads send hundreds of requests a minute with one key: the per-key limit is still
# counted on every call, as in production, but its ceiling is out of the way (a 429 answers
# faster than a page and would be counted as a wrong answer).
API_RATE_LIMIT_PER_MINUTE = 10**9
