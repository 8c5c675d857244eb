"""API keys as members of a company: the bearer authentication every app's router uses.

A key acts as the member who created it (approval limits, event authors), so resolving it needs
the company's memberships; that is why it lives here and not in the kernel's `apikeys`.
"""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from procurement.accounts import integrations
from procurement.core import apikeys
from procurement.core.api import ApiError
from procurement.core.models import ApiKey


class KeyAuth(HttpBearer):
    """`Authorization: Bearer pk_<prefix>.<secret>`; the key must hold `scope`.

    An unknown or revoked key -> 401; a key without the scope -> 403; over the per-key rate
    limit -> 429 with `Retry-After` and the `RateLimit-*` headers. `request.auth` is the ApiKey,
    with `.company` and `.membership` loaded.

    The keys whose prefixes `settings.API_RATE_LIMIT_EXEMPT_KEYS` lists are not counted: the
    schema fuzzer's own key, so that it can run hundreds of requests while every other key,
    and every test of the limit, keeps it. Production settings leave the list empty.
    """

    def __init__(self, scope: str):
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = integrations.api_key_authenticate(token=token)
        if key is None:
            return None
        exempt = key.prefix in getattr(settings, "API_RATE_LIMIT_EXEMPT_KEYS", ())
        wait = None if exempt else apikeys.api_rate_limit_hit(key=key)
        if wait is not None:
            raise ApiError(
                429,
                "rate_limited",
                _("Too many requests; try again in %(s)s seconds.") % {"s": wait},
                headers={
                    "Retry-After": str(wait),
                    "RateLimit-Limit": str(apikeys.api_rate_limit_per_minute()),
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": str(wait),
                },
            )
        if self.scope not in key.scopes:
            raise ApiError(
                403,
                "scope_missing",
                _("This API key lacks the “%(scope)s” scope.") % {"scope": self.scope},
            )
        return key
