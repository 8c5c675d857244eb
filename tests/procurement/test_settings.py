"""Production settings fail fast without their secrets, database, broker and cache, and pass
Django's deployment checks.

Each case runs in a fresh interpreter: settings are read once per process.
"""

import os
import subprocess
import sys

import pytest
from django.conf import settings

SECRET = "prod-test-secret-7b1e4c9a2f6d8035ae17c4b9d2e6f0a3c8b5d1e7f94a2c6b"
HOSTS = "portal.example.com"
# Well-formed but never connected to: importing settings and `check --deploy` open neither.
SERVICES = {
    "DATABASE_URL": "postgres://portal:secret-pw@db.invalid:5432/portal",
    "CELERY_BROKER_URL": "redis://redis.invalid:6379/0",
    "CACHE_URL": "redis://redis.invalid:6379/1",
}
# Everything production requires, valid.
COMPLETE = {
    "DJANGO_SECRET_KEY": SECRET,
    "DJANGO_ALLOWED_HOSTS": HOSTS,
    "EMAIL_HOST": "smtp.example.com",
    "STORE_SECRETS_KEY": "prod-test-store-secrets-key-5c2e9a7d1b3f",
    **SERVICES,
}
# Removed from the inherited environment, so each case states exactly what it provides.
UNSET = (
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
    "EMAIL_HOST",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "STORE_SECRETS_KEY",
    "PAGE_CACHE_URL",
    "SESSION_CACHE_URL",
    *SERVICES,
)


def run_python(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run our interpreter with `args` in an environment holding none of the production vars."""
    clean = {key: value for key, value in os.environ.items() if key not in UNSET}
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def import_production(**env: str) -> subprocess.CompletedProcess:
    return run_python("-c", "import procurement.settings.production", **env)


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_ALLOWED_HOSTS": HOSTS}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": SECRET}, "DJANGO_ALLOWED_HOSTS"),
        ({"DJANGO_SECRET_KEY": "  ", "DJANGO_ALLOWED_HOSTS": HOSTS}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": SECRET, "DJANGO_ALLOWED_HOSTS": HOSTS}, "EMAIL_HOST"),
    ],
    ids=["nothing", "no-secret", "no-hosts", "blank-secret", "no-mail-server"],
)
def test_production_settings_refuse_to_start_without_secret_hosts_and_mail(env, missing):
    result = import_production(**env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


@pytest.mark.parametrize(
    "missing", ["DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "STORE_SECRETS_KEY"]
)
@pytest.mark.parametrize("value", [None, " "], ids=["unset", "blank"])
def test_production_settings_refuse_to_start_without_database_broker_or_cache(missing, value):
    env = {name: v for name, v in COMPLETE.items() if name != missing}
    if value is not None:
        env[missing] = value

    result = import_production(**env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} must be set in production" in result.stderr


@pytest.mark.parametrize(
    ("name", "url", "says"),
    [
        ("DATABASE_URL", "sqlite:///var/db.sqlite3", "must point at PostgreSQL"),
        ("DATABASE_URL", "mysql://portal:secret-pw@db.invalid/portal", "must point at PostgreSQL"),
        ("CACHE_URL", "locmem://", "must be a redis:// or rediss:// URL"),
        ("CACHE_URL", "memcached://portal:secret-pw@cache.invalid", "must be a redis://"),
        ("PAGE_CACHE_URL", "locmem://", "must be a redis:// or rediss:// URL"),
        ("SESSION_CACHE_URL", "memcached://portal:secret-pw@cache.invalid", "must be a redis://"),
    ],
)
def test_production_settings_refuse_a_database_other_than_postgresql_or_a_cache_other_than_redis(
    name, url, says
):
    result = import_production(**{**COMPLETE, name: url})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name} {says}" in result.stderr
    assert "secret-pw" not in result.stderr  # the message names the scheme, not the URL


def test_production_settings_refuse_a_short_secret():
    result = import_production(**{**COMPLETE, "DJANGO_SECRET_KEY": "too-short"})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "at least 50" in result.stderr


def test_production_settings_start_with_everything_they_need():
    result = run_python(
        "-c",
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.DEBUG, settings.ALLOWED_HOSTS, settings.SESSION_COOKIE_SECURE, "
        "settings.CSRF_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS > 0, "
        "settings.DATABASES['default']['ENGINE'], settings.CACHES['default']['BACKEND'], "
        "settings.CELERY_TASK_ALWAYS_EAGER)",
        DJANGO_SETTINGS_MODULE="procurement.settings.production",
        **COMPLETE,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "False ['portal.example.com'] True True True django.db.backends.postgresql "
        "django_redis.cache.RedisCache False"
    )


def test_check_deploy_is_clean_under_production_settings():
    result = run_python(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="procurement.settings.production",
        **COMPLETE,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
