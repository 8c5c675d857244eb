"""A sandbox payment gateway for development and tests.

It behaves like a hosted-page provider: `create_payment` returns the URL of its own page
(`payments:sandbox-page`), where the payer presses Pay, Cancel or Fail; the page then delivers a
webhook signed the way real providers sign them, through the same verification as HTTP traffic.

Signature: header `X-Sandbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` where the MAC is
computed with PAYMENTS_SANDBOX_WEBHOOK_SECRET over the bytes `"<t>." + raw body`.
"""

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.urls import reverse

from payments.adapters.base import (
    CreatedPayment,
    GatewayAdapter,
    GatewayNotification,
    PaymentStatus,
    check_timestamp,
)
from payments.exceptions import WebhookRejected, WebhookSignatureInvalid

SIGNATURE_HEADER = "X-Sandbox-Signature"
DEV_SECRET = "sandbox-webhook-secret-for-development-only"  # noqa: S105 (public by design)

EVENT_STATUS = {
    "payment.succeeded": PaymentStatus.SUCCEEDED,
    "payment.failed": PaymentStatus.FAILED,
    "payment.canceled": PaymentStatus.FAILED,
    "payment.expired": PaymentStatus.EXPIRED,
}


def sandbox_secret() -> bytes:
    return getattr(settings, "PAYMENTS_SANDBOX_WEBHOOK_SECRET", DEV_SECRET).encode()


def sign(body: bytes, *, timestamp: int | None = None, secret: bytes | None = None) -> str:
    """The signature header value for `body`, as the sandbox provider sends it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret or sandbox_secret(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def event_body(
    *,
    event_type: str,
    payment_id: str,
    merchant_reference: str,
    amount: Decimal,
    currency: str,
    event_id: str | None = None,
) -> bytes:
    return json.dumps(
        {
            "id": event_id or f"evt_{secrets.token_hex(12)}",
            "type": event_type,
            "created": int(time.time()),
            "data": {
                "payment_id": payment_id,
                "merchant_reference": merchant_reference,
                "amount": str(amount),
                "currency": currency,
            },
        },
        separators=(",", ":"),
    ).encode()


def _parse_signature_header(value: str) -> tuple[int, list[str]]:
    timestamp = None
    macs = []
    for part in value.split(","):
        key, _sep, item = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(item)
            except ValueError as exc:
                raise WebhookSignatureInvalid from exc
        elif key == "v1":
            macs.append(item)
    if timestamp is None or not macs:
        raise WebhookSignatureInvalid
    return timestamp, macs


class SandboxGateway(GatewayAdapter):
    name = "sandbox"

    def create_payment(
        self,
        *,
        merchant_reference: str,
        amount: Decimal,
        currency: str,
        description: str,
        return_url: str,
        notify_url: str,
    ) -> CreatedPayment:
        payment_id = f"sbx_{secrets.token_urlsafe(18)}"
        return CreatedPayment(
            provider_reference=payment_id,
            redirect_url=reverse("payments:sandbox-page", args=[payment_id]),
        )

    def parse_webhook(
        self, *, headers: Mapping[str, str], body: bytes, path: str, now: datetime | None = None
    ) -> GatewayNotification:
        header = headers.get(SIGNATURE_HEADER) or headers.get(SIGNATURE_HEADER.lower())
        if not header:
            raise WebhookSignatureInvalid
        timestamp, macs = _parse_signature_header(header)
        expected = hmac.new(
            sandbox_secret(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        # Signature first, then time: a forged request learns nothing about our clock window.
        if not any(hmac.compare_digest(expected, mac) for mac in macs):
            raise WebhookSignatureInvalid
        signed_at = check_timestamp(timestamp, now=now)
        try:
            payload = json.loads(body)
            data = payload["data"]
            return GatewayNotification(
                event_id=str(payload["id"]),
                event_type=str(payload["type"]),
                status=EVENT_STATUS.get(payload["type"], PaymentStatus.OTHER),
                provider_reference=str(data["payment_id"]),
                merchant_reference=str(data.get("merchant_reference", "")),
                amount=Decimal(str(data["amount"])),
                currency=str(data["currency"]).upper(),
                signed_at=signed_at,
                payload=payload,
            )
        except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
            raise WebhookRejected from exc
