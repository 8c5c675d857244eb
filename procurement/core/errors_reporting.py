"""Optional error reporting to Sentry (or any Sentry-compatible service), on when SENTRY_DSN is
set. No personal data leaves: no cookies, user emails, IP addresses or request bodies (the SDK
leaves personal data out by default; bodies are never sent), and the scrubber also removes the
fields named below wherever they appear (headers, query strings, a stack trace's variables)."""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, DEFAULT_PII_DENYLIST, EventScrubber

# The portal's own sensitive names, beside Sentry's defaults (password, token, cookie, ...).
DENYLIST = [
    *DEFAULT_DENYLIST,
    *DEFAULT_PII_DENYLIST,
    "email",
    "phone",
    "mobile",
    "address",
    "iban",
    "account_number",
    "app_secret",
    "refresh_token",
    "access_token",
    "signature",
    "totp",
    "idempotency_key",
]


def _drop_user(event, hint):
    # Only the user's id may identify whom an error touched.
    user = event.get("user")
    if user:
        event["user"] = {"id": user["id"]} if "id" in user else {}
    return event


def init(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        max_request_body_size="never",
        event_scrubber=EventScrubber(denylist=DENYLIST, recursive=True),
        before_send=_drop_user,
        traces_sample_rate=traces_sample_rate,
    )
