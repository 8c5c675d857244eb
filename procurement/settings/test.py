"""Tests: fast hashing, mail kept in the outbox, tasks in-process unless a test starts a worker."""

from procurement.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Local memory per process, one store per purpose as in production, whatever CACHE_URL says.
CACHES = {
    **cache_aliases(url=""),  # noqa: F405
    "template_fragments": TEMPLATE_FRAGMENTS_CACHE,  # noqa: F405
}
# Store calls answered by the in-process fakes; retries without waiting.
STORES_FAKE = True
STORES_BACKOFF_SECONDS = 0
