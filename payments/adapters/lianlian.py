"""LianLian Global adapter, written against its published OpenAPI conventions.

What the published API overview states, and this adapter follows:

* `Authorization: Basic <token>` on every request; JSON bodies; HTTPS.
* `LLPAY-Signature: t=<unix seconds>, v=<signature>` on requests and on LianLian's own messages,
  where signature = BASE64(SHA256withRSA(payload)) and
  payload = METHOD & URI & t & BODY (joined with "&"; with a query string: METHOD&URI&t&&QUERY).
  We sign with our RSA private key; LianLian signs with theirs and we verify with their public key.
* A timestamp too old is rejected (we allow PAYMENTS_WEBHOOK_TOLERANCE_SECONDS, default 300).

What is assumed (the payment-collection endpoint and notification fields are not in the public
overview; adjust these names when the merchant agreement's API reference is at hand):

* Create: `POST {base}/payments/v1/payments` with
  `{"merchant_order_id", "amount": {"currency", "value"}, "description", "notify_url",
  "redirect_url"}` answering `{"payment_id", "checkout_url", "status"}`.
* Notification, POSTed to our notify URL, signed as a request (METHOD=POST, URI=our path):
  `{"notification_id", "event_type": "PAYMENT_SUCCEEDED" | "PAYMENT_FAILED" | "PAYMENT_EXPIRED"
  | ..., "payment_id", "merchant_order_id", "amount": {"currency", "value"}}`.
"""

import base64
import json
import time
import urllib.request
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings

from payments.adapters.base import (
    CreatedPayment,
    GatewayAdapter,
    GatewayNotification,
    PaymentStatus,
    check_timestamp,
)
from payments.exceptions import GatewayError, WebhookRejected, WebhookSignatureInvalid

SIGNATURE_HEADER = "LLPAY-Signature"
CREATE_PATH = "/payments/v1/payments"

EVENT_STATUS = {
    "PAYMENT_SUCCEEDED": PaymentStatus.SUCCEEDED,
    "PAYMENT_FAILED": PaymentStatus.FAILED,
    "PAYMENT_CANCELLED": PaymentStatus.FAILED,
    "PAYMENT_EXPIRED": PaymentStatus.EXPIRED,
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


def signing_payload(
    *, method: str, uri: str, timestamp: int, body: bytes, query: str = ""
) -> bytes:
    head = f"{method.upper()}&{uri}&{timestamp}&".encode()
    if query:
        return head + b"&" + query.encode()
    return head + body


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
    timestamp = None
    signatures = []
    for part in value.split(","):
        key, _sep, item = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(item)
            except ValueError as exc:
                raise WebhookSignatureInvalid from exc
        elif key.startswith("v"):
            # Base64 may end in "="; partition kept everything after the first one.
            signatures.append(item)
    if timestamp is None or not signatures:
        raise WebhookSignatureInvalid
    return timestamp, signatures


def _setting(name: str, default: str = "") -> str:
    return getattr(settings, name, default) or default


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
        payload = signing_payload(method=method, uri=uri, timestamp=timestamp, body=body)
        return {
            "Authorization": f"Basic {self.token}",
            "Content-Type": "application/json",
            SIGNATURE_HEADER: f"t={timestamp}, v={rsa_sign(self.private_key, payload)}",
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
        if not (self.base_url and self.token and self.private_key):
            raise GatewayError
        body = json.dumps(
            {
                "merchant_order_id": merchant_reference,
                "amount": {"currency": currency, "value": str(amount)},
                "description": description,
                "notify_url": notify_url,
                "redirect_url": return_url,
            },
            separators=(",", ":"),
        ).encode()
        uri = urlsplit(self.base_url).path + CREATE_PATH
        headers = self.signed_headers(method="POST", uri=uri, body=body)
        try:
            status, response_headers, response_body = self.transport(
                "POST", self.base_url + CREATE_PATH, headers, body
            )
        except OSError as exc:
            raise GatewayError from exc
        if status // 100 != 2:
            raise GatewayError
        self._verify_response(response_headers, response_body)
        try:
            data = json.loads(response_body)
            return CreatedPayment(
                provider_reference=str(data["payment_id"]), redirect_url=str(data["checkout_url"])
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise GatewayError from exc

    def _verify_response(self, headers: Mapping[str, str], body: bytes) -> None:
        """Responses are signed over `t&BODY` with LianLian's key."""
        header = _header(headers, SIGNATURE_HEADER)
        if not header or not self.provider_public_key:
            raise GatewayError
        try:
            timestamp, signatures = parse_signature_header(header)
        except WebhookSignatureInvalid as exc:
            raise GatewayError from exc
        payload = f"{timestamp}&".encode() + body
        if not any(rsa_verify(self.provider_public_key, payload, s) for s in signatures):
            raise GatewayError

    def parse_webhook(
        self, *, headers: Mapping[str, str], body: bytes, path: str, now: datetime | None = None
    ) -> GatewayNotification:
        header = _header(headers, SIGNATURE_HEADER)
        if not header or not self.provider_public_key:
            raise WebhookSignatureInvalid
        timestamp, signatures = parse_signature_header(header)
        payload = signing_payload(method="POST", uri=path, timestamp=timestamp, body=body)
        if not any(rsa_verify(self.provider_public_key, payload, s) for s in signatures):
            raise WebhookSignatureInvalid
        signed_at = check_timestamp(timestamp, now=now)
        try:
            data = json.loads(body)
            return GatewayNotification(
                event_id=str(data["notification_id"]),
                event_type=str(data["event_type"]),
                status=EVENT_STATUS.get(data["event_type"], PaymentStatus.OTHER),
                provider_reference=str(data["payment_id"]),
                merchant_reference=str(data.get("merchant_order_id", "")),
                amount=Decimal(str(data["amount"]["value"])),
                currency=str(data["amount"]["currency"]).upper(),
                signed_at=signed_at,
                payload=data,
            )
        except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
            raise WebhookRejected from exc


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None
