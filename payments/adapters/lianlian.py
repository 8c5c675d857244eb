"""LianLian Global: wallet top-ups paid from the merchant's own LianLian Global balance.

Where each piece comes from:

* LianLian Global's public Java SDK (github.com/LLGlobal/java-sdk):
  - requests: `Authorization: Basic <token>` and `LLPAY-Signature: t=<epoch>,v=<signature>`
    (no space), signature = BASE64(SHA256withRSA("METHOD&URI&epoch&BODY")) with our RSA key
    (GatewayHttpInvoker.getSign);
  - responses: the same header signed by LianLian over "epoch&BODY" (verifyResponse);
  - collection from a LianLian Global user's balance is the e-wallet "Request Payment URL":
    `POST /gateway/v1/ew-request-payments/url` with `request_id` (our idempotent id, up to
    128 characters), `amount` (a string, main unit, at most 2 decimals), `currency` (ISO 4217),
    `purpose`, `reference` (shown to the payer), optional `additional_info` [{name, value}] and
    `expire_time`, and `return_url`; the answer echoes them and adds `request_payment_url`,
    where the payer approves the payment on LianLian's dashboard (RequestPayUrlReq/Res). The
    request payment itself (`GET /gateway/v1/ew-request-payments/{id}`) is `id`,
    `request_id`, `user_id`, `payer_id`, `payer_name`, `amount`, `currency`, `purpose`,
    `reference`, `expire_time`, `additional_info`, `status` (e.g. "PAID")
    (RequestOrderDetailRes);
  - webhooks (llosc-gateway-client-webhook-demo's WebhookController and GatewayConstants):
    the body is the resource as JSON, the event id is in the `Event-Id` header, the signature
    header is `LLPAY-Signature: t=<epoch>,v=<signature>` over "epoch&BODY" with LianLian's key,
    a timestamp 600 seconds or more from our clock is refused, and the receiver answers HTTP
    200 when it has the message; any other status makes LianLian send it again (6 times).
* The API overview (LLPAY-Signature, "Preventing replay attacks"): RSA keys exchanged between
  both parties, timestamps inside the signed payload, schemes prefixed by "v".

Assumptions (LianLian publishes nothing more precise; check against the merchant agreement
and captured traffic, and keep this list and the README's in step):

1. Top-ups use the e-wallet Request Payment flow above (collection from the payer's balance).
2. The request-payment webhook body is the request payment object (as the demo's payout
   webhook body is the payout object), so `request_id` finds the top-up and `status` says what
   happened: PAID or COMPLETED credit the wallet; FAILED or CANCELLED fail it; EXPIRED or
   CLOSED expire it; any other status is recorded and moves nothing.
3. Webhook subscriptions are set up in LianLian's Developer Center, so the notify URL we pass
   through the gateway interface is not sent to LianLian.
4. A signature header may carry more than one `v` part after key rotation; any one valid
   signature is accepted.
"""

import base64
import json
import time
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings
from django.utils import timezone

from payments.adapters.base import (
    CreatedPayment,
    GatewayAdapter,
    GatewayNotification,
    PaymentStatus,
)
from payments.exceptions import (
    GatewayError,
    WebhookRejected,
    WebhookSignatureInvalid,
    WebhookTimestampStale,
)

SIGNATURE_HEADER = "LLPAY-Signature"
EVENT_ID_HEADER = "Event-Id"
REQUEST_PAYMENT_PATH = "/gateway/v1/ew-request-payments/url"
# The demo receiver refuses |now - t| >= 600 seconds.
WEBHOOK_TOLERANCE_SECONDS = 600

STATUS = {
    "PAID": PaymentStatus.SUCCEEDED,
    "COMPLETED": PaymentStatus.SUCCEEDED,
    "FAILED": PaymentStatus.FAILED,
    "CANCELLED": PaymentStatus.FAILED,
    "EXPIRED": PaymentStatus.EXPIRED,
    "CLOSED": PaymentStatus.EXPIRED,
}

# (method, url, headers, body) -> (status, headers, body)
Transport = Callable[[str, str, dict[str, str], bytes], tuple[int, Mapping[str, str], bytes]]


def urllib_transport(
    method: str, url: str, headers: dict[str, str], body: bytes
) -> tuple[int, Mapping[str, str], bytes]:
    if not url.startswith("https://"):
        raise GatewayError
    request = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  # nosec B310
        return response.status, dict(response.headers), response.read()


def request_payload(*, method: str, uri: str, timestamp: int, body: bytes) -> bytes:
    """What a request to LianLian signs: METHOD&URI&epoch&BODY."""
    return f"{method.upper()}&{uri}&{timestamp}&".encode() + body


def message_payload(*, timestamp: int, body: bytes) -> bytes:
    """What LianLian signs on its responses and webhooks: epoch&BODY."""
    return f"{timestamp}&".encode() + body


def signature_header(*, timestamp: int, signature: str) -> str:
    return f"t={timestamp},v={signature}"


def rsa_sign(private_key_pem: bytes, payload: bytes) -> str:
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    return base64.b64encode(key.sign(payload, padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_verify(public_key_pem: bytes, payload: bytes, signature_b64: str) -> bool:
    try:
        key = serialization.load_pem_public_key(public_key_pem)
        key.verify(base64.b64decode(signature_b64), payload, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def parse_signature_header(value: str) -> tuple[int, list[str]]:
    """`t=<epoch>,v=<base64>` into (epoch, [signatures]); keys are case-insensitive and the
    base64 value may itself end in "=", so only the first "=" separates."""
    timestamp = None
    signatures = []
    for part in value.strip().split(","):
        key, _sep, item = part.strip().partition("=")
        key = key.strip().lower()
        if key == "t":
            try:
                timestamp = int(item)
            except ValueError as exc:
                raise WebhookSignatureInvalid from exc
        elif key.startswith("v") and item:
            signatures.append(item.strip())
    if timestamp is None or not signatures:
        raise WebhookSignatureInvalid
    return timestamp, signatures


def _setting(name: str, default: str = "") -> str:
    return getattr(settings, name, default) or default


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


class LianLianGlobalGateway(GatewayAdapter):
    name = "lianlian"

    def __init__(self, *, transport: Transport | None = None):
        self.transport = transport or urllib_transport
        self.base_url = _setting("PAYMENTS_LIANLIAN_BASE_URL", "").rstrip("/")
        self.token = _setting("PAYMENTS_LIANLIAN_TOKEN")
        self.private_key = _setting("PAYMENTS_LIANLIAN_PRIVATE_KEY").encode()
        self.provider_public_key = _setting("PAYMENTS_LIANLIAN_PUBLIC_KEY").encode()

    def signed_headers(self, *, method: str, uri: str, body: bytes) -> dict[str, str]:
        timestamp = int(time.time())
        payload = request_payload(method=method, uri=uri, timestamp=timestamp, body=body)
        return {
            "Authorization": f"Basic {self.token}",
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature_header(
                timestamp=timestamp, signature=rsa_sign(self.private_key, payload)
            ),
        }

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
        """Ask the merchant, as a LianLian Global user, to pay `amount` from its balance; the
        request id is our top-up reference, so a retried call returns the same request."""
        if not (self.base_url and self.token and self.private_key):
            raise GatewayError
        body = json.dumps(
            {
                "request_id": merchant_reference,
                "amount": str(amount),
                "currency": currency,
                "purpose": description[:128],
                "reference": merchant_reference,
                "return_url": return_url,
            },
            separators=(",", ":"),
        ).encode()
        uri = urlsplit(self.base_url).path + REQUEST_PAYMENT_PATH
        headers = self.signed_headers(method="POST", uri=uri, body=body)
        try:
            status, response_headers, response_body = self.transport(
                "POST", self.base_url + REQUEST_PAYMENT_PATH, headers, body
            )
        except OSError as exc:
            raise GatewayError from exc
        if status // 100 != 2:
            raise GatewayError
        self._verify_response(response_headers, response_body)
        try:
            data = json.loads(response_body)
            if data["request_id"] != merchant_reference:
                raise GatewayError
            return CreatedPayment(
                provider_reference=str(data["request_id"]),
                redirect_url=str(data["request_payment_url"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise GatewayError from exc

    def _verify_response(self, headers: Mapping[str, str], body: bytes) -> None:
        header = _header(headers, SIGNATURE_HEADER)
        if not header or not self.provider_public_key:
            raise GatewayError
        try:
            timestamp, signatures = parse_signature_header(header)
        except WebhookSignatureInvalid as exc:
            raise GatewayError from exc
        payload = message_payload(timestamp=timestamp, body=body)
        if not any(rsa_verify(self.provider_public_key, payload, s) for s in signatures):
            raise GatewayError

    def parse_webhook(
        self, *, headers: Mapping[str, str], body: bytes, path: str, now: datetime | None = None
    ) -> GatewayNotification:
        """Verify as LianLian's demo receiver does (signature over epoch&BODY with LianLian's
        key, within 600 seconds), then read the request payment the body carries."""
        header = _header(headers, SIGNATURE_HEADER)
        if not header or not self.provider_public_key:
            raise WebhookSignatureInvalid
        timestamp, signatures = parse_signature_header(header)
        payload = message_payload(timestamp=timestamp, body=body)
        if not any(rsa_verify(self.provider_public_key, payload, s) for s in signatures):
            raise WebhookSignatureInvalid
        now = now or timezone.now()
        if abs(int(now.timestamp()) - timestamp) >= WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookTimestampStale
        event_id = (_header(headers, EVENT_ID_HEADER) or "").strip()
        if not event_id or len(event_id) > 128:
            raise WebhookRejected
        try:
            data = json.loads(body)
            status = str(data["status"]).upper()
            return GatewayNotification(
                event_id=event_id,
                event_type=status,
                status=STATUS.get(status, PaymentStatus.OTHER),
                provider_reference=str(data["request_id"]),
                merchant_reference=str(data["request_id"]),
                amount=Decimal(str(data["amount"])),
                currency=str(data["currency"]).upper(),
                signed_at=datetime.fromtimestamp(timestamp, tz=UTC),
                payload=data,
            )
        except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
            raise WebhookRejected from exc
