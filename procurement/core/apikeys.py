"""API keys: issuing, revoking and finding them by their bearer token, and the per-key rate limit.

A token reads `pk_<prefix>.<secret>`. Only a hash of the secret is stored; the prefix finds the
row without comparing every hash. Who may issue or revoke a key, and whether its creator still
belongs to the company, are rules of `procurement.accounts.integrations`, which calls these.
"""

import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from procurement.core.exceptions import DomainError
from procurement.core.models import ApiKey, ApiScope, hash_token

KEY_PREFIX = "pk_"
PREFIX_LENGTH = 12


class ApiKeyRefused(DomainError):
    """A key that cannot be issued as asked (no name, an unknown scope)."""


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    token: str  # shown once, never stored


def _split_token(token: str) -> tuple[str, str] | None:
    if not token.startswith(KEY_PREFIX) or "." not in token:
        return None
    prefix, _dot, secret = token[len(KEY_PREFIX) :].partition(".")
    if len(prefix) != PREFIX_LENGTH or not secret:
        return None
    return prefix, secret


@transaction.atomic
def api_key_create(
    *, company: models.Model, created_by: AbstractBaseUser, name: str, scopes: list[str]
) -> IssuedKey:
    """A new key of `company` (an `accounts.Company`) acting as `created_by`."""
    name = name.strip()
    if not name:
        raise ApiKeyRefused(_("Name the key after the system that will use it."))
    unknown = set(scopes) - set(ApiScope.values)
    if unknown or not scopes:
        raise ApiKeyRefused(_("Choose at least one scope from the list."))
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        company=company,
        name=name[:100],
        prefix=prefix,
        secret_hash=hash_token(secret),
        scopes=sorted(set(scopes)),
        created_by=created_by,
    )
    return IssuedKey(key=key, token=f"{KEY_PREFIX}{prefix}.{secret}")


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> ApiKey:
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
    return key


def api_key_find(*, token: str, keys: models.QuerySet[ApiKey] | None = None) -> ApiKey | None:
    """The unrevoked key whose secret the bearer token carries (company and creator loaded),
    or None. `keys` is what the key is read from, for a caller that reads more with it in the
    same query (accounts: the creator's membership)."""
    parts = _split_token(token or "")
    if parts is None:
        return None
    prefix, secret = parts
    if keys is None:
        keys = ApiKey.objects.select_related("company", "created_by")
    key = keys.filter(prefix=prefix, revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.secret_hash, hash_token(secret)):
        return None
    return key


def api_key_touch(*, key: ApiKey) -> None:
    """Note that the key was used: at most once a minute per key, or a busy ERP would write on
    every call."""
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


def api_rate_limit_per_minute() -> int:
    return int(getattr(settings, "API_RATE_LIMIT_PER_MINUTE", 120))


def api_rate_limit_hit(*, key: ApiKey) -> int | None:
    """Count one call for the key; the seconds to wait when over the limit, else None."""
    now = int(time.time())
    window = now // 60
    cache_key = f"api-rate:{key.pk}:{window}"
    # One round trip on every call but the minute's first: counting is what an API call pays
    # for on every request.
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # The minute's first call starts the count, unless another process just did.
        count = 1 if cache.add(cache_key, 1, timeout=70) else cache.incr(cache_key)
    if count > api_rate_limit_per_minute():
        return 60 - now % 60
    return None
