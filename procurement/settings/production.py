"""Production: refuses to start without what it needs; `check --deploy` is clean.

The development defaults (a SQLite file, tasks run in-process, a per-process cache) would each
let production start and then quietly misbehave: lost tasks, sessions and rate limits that
one process sees and the next does not. Here each must be given, and be what production uses.
"""

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_REQUIRED = {
    "DJANGO_SECRET_KEY": "at least 50 random characters",
    "DJANGO_ALLOWED_HOSTS": "the host names the site answers to, comma-separated",
    "EMAIL_HOST": "the SMTP server mail is sent through",
    "DATABASE_URL": "postgres://USER:PASSWORD@HOST:5432/NAME",
    "CELERY_BROKER_URL": "the task broker, e.g. redis://HOST:6379/0",
    "CACHE_URL": "the Redis every web process shares for rate limits, e.g. redis://HOST:6379/1",
    "STORE_SECRETS_KEY": "a long random key encrypting the merchants' store credentials",
}
for _name, _hint in _REQUIRED.items():
    if not os.environ.get(_name, "").strip():
        raise ImproperlyConfigured(f"{_name} must be set in production ({_hint}).")


def _scheme(name: str) -> str:
    # Only the scheme is ever named in a message: these URLs carry passwords.
    return urlsplit(os.environ[name]).scheme or "a URL without a scheme"


if _scheme("DATABASE_URL") not in ("postgres", "postgresql", "pgsql"):
    raise ImproperlyConfigured(
        "DATABASE_URL must point at PostgreSQL in production (postgres://...), "
        f"not {_scheme('DATABASE_URL')}."
    )
for _name in ("CACHE_URL", "PAGE_CACHE_URL", "SESSION_CACHE_URL"):
    if _name != "CACHE_URL" and not os.environ.get(_name, "").strip():
        continue  # another database on CACHE_URL's server
    if _scheme(_name) not in ("redis", "rediss"):
        raise ImproperlyConfigured(
            f"{_name} must be a redis:// or rediss:// URL in production, not "
            f"{_scheme(_name)}: any other leaves each process a cache of its own."
        )

os.environ.setdefault("DJANGO_LOG_FORMAT", "json")  # one JSON object per line, for collectors

from procurement.settings.base import *  # noqa: E402, F403
from procurement.settings.base import SECRET_KEY  # noqa: E402

if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 random characters.")

DEBUG = False
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)  # noqa: F405
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
