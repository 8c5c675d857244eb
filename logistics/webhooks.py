"""Signatures of tracking pushes: HMAC-SHA256 over "<unix timestamp>.<raw body>".

Headers: `X-Tracking-Timestamp` (seconds since the epoch) and `X-Tracking-Signature`
(lowercase hex, optionally prefixed "sha256="). A timestamp further than the tolerance
(LOGISTICS_TRACKING_WEBHOOK_TOLERANCE, 300 s) from our clock is refused, which bounds replays;
replays inside the window are harmless because events are stored once per event id.
"""

import hashlib
import hmac
import time

from django.utils.translation import gettext_lazy as _

from logistics.exceptions import WebhookRejected

TIMESTAMP_HEADER = "X-Tracking-Timestamp"
SIGNATURE_HEADER = "X-Tracking-Signature"


def sign(*, secret: str, timestamp: int | str, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    *,
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    tolerance_seconds: int,
    now: float | None = None,
) -> None:
    if not timestamp or not signature:
        raise WebhookRejected(_("Missing signature."), status=403)
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise WebhookRejected(_("Bad timestamp."), status=403) from None
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance_seconds:
        raise WebhookRejected(_("Stale or future timestamp."), status=403)
    expected = sign(secret=secret, timestamp=timestamp, body=body)
    given = signature.removeprefix("sha256=").strip().lower()
    if not hmac.compare_digest(expected, given):
        raise WebhookRejected(_("Bad signature."), status=403)
