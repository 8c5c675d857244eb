"""Store connection settings, each read with its development default."""

import base64
import hashlib

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings

SHOPIFY_API_VERSION = "2025-01"


def api_version() -> str:
    """The Shopify Admin API version every call names in its path (a stable quarterly one)."""
    return getattr(settings, "STORES_SHOPIFY_API_VERSION", SHOPIFY_API_VERSION)


def use_fakes() -> bool:
    """Answer every store call from the in-process fake platforms (tests, `make run`)."""
    return bool(getattr(settings, "STORES_FAKE", False))


def timeout_seconds() -> float:
    return float(getattr(settings, "STORES_TIMEOUT_SECONDS", 15))


def max_attempts() -> int:
    return int(getattr(settings, "STORES_MAX_ATTEMPTS", 4))


def backoff_seconds() -> float:
    """The first wait after a throttled or failed call; each later wait doubles."""
    return float(getattr(settings, "STORES_BACKOFF_SECONDS", 1))


def webhook_base_url() -> str:
    """Where the stores send their webhooks: the portal's public address."""
    return getattr(settings, "STORES_WEBHOOK_BASE_URL", settings.SITE_URL).rstrip("/")


def tracking_url(number: str) -> str:
    """The page the end customer follows to track a parcel."""
    template = getattr(settings, "STORES_TRACKING_URL", "https://t.17track.net/en#nums={number}")
    return template.format(number=number)


def poll_lookback_minutes() -> int:
    """How far before the last poll the next one looks again (clocks and slow commits)."""
    return int(getattr(settings, "STORES_POLL_LOOKBACK_MINUTES", 10))


def _fernet_key(secret: str) -> bytes:
    # Any string of enough entropy is accepted: Fernet wants 32 url-safe base64 bytes.
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())


def secrets_cipher() -> MultiFernet:
    """The cipher of the stores' credentials at rest. STORE_SECRETS_KEYS lists the keys, newest
    first: new secrets are written with the first, old ones still read with the others, so a
    key can be rotated without losing a connection."""
    keys = settings.STORE_SECRETS_KEYS
    return MultiFernet([Fernet(_fernet_key(key)) for key in keys])
