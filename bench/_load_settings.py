"""Settings for bench/load_test.py: the base settings with DEBUG off, as production runs them,
minus what needs TLS (the load runs over plain HTTP on 127.0.0.1).

bench/load_test.py sets DATABASE_URL, CELERY_BROKER_URL and CACHE_URL in the environment
before Django reads this module, for itself, gunicorn and the Celery worker alike.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/load_bench")

from procurement.settings.base import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
# No collectstatic needed: {% static %} must not look for a manifest.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The webhook sink of the load test listens on http://127.0.0.1 (production requires https).
WEBHOOK_ALLOW_HTTP_LOCALHOST = True
