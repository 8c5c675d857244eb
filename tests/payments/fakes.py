"""A local fake of LianLian Global that signs and answers as its public Java SDK and webhook
demo do (see payments/adapters/lianlian.py for the sources). Nothing reaches the network."""

import json
import secrets
import time
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from payments.adapters.lianlian import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    message_payload,
    parse_signature_header,
    request_payload,
    rsa_sign,
    rsa_verify,
    signature_header,
)


def _keypair() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


class FakeLianLian:
    base_url = "https://fake-lianlian.test"

    def __init__(self):
        self.private_key, self.public_key = _keypair()
        self.merchant_private_key, self.merchant_public_key = _keypair()
        self.token = "fake-token"
        self.requests: list[dict] = []
        self.request_payments: dict[str, dict] = {}

    def settings(self) -> dict:
        """What the platform configures: its own private key and LianLian's public key."""
        return {
            "PAYMENTS_LIANLIAN_BASE_URL": self.base_url,
            "PAYMENTS_LIANLIAN_TOKEN": self.token,
            "PAYMENTS_LIANLIAN_PRIVATE_KEY": self.merchant_private_key.decode(),
            "PAYMENTS_LIANLIAN_PUBLIC_KEY": self.public_key.decode(),
        }

    def _signed(self, status: int, body: bytes) -> tuple[int, dict, bytes]:
        now = int(time.time())
        signature = rsa_sign(self.private_key, message_payload(timestamp=now, body=body))
        return (
            status,
            {SIGNATURE_HEADER: signature_header(timestamp=now, signature=signature)},
            body,
        )

    # The transport the adapter calls instead of the network.
    def __call__(self, method, url, headers, body):
        uri = urlsplit(url).path
        timestamp, signatures = parse_signature_header(headers[SIGNATURE_HEADER])
        payload = request_payload(method=method, uri=uri, timestamp=timestamp, body=body)
        authentic = any(rsa_verify(self.merchant_public_key, payload, s) for s in signatures)
        self.requests.append({"uri": uri, "authentic": authentic, "headers": headers})
        if not authentic or headers.get("Authorization") != f"Basic {self.token}":
            return self._signed(401, b'{"code":"401","message":"Unauthorized"}')
        if uri != "/gateway/v1/ew-request-payments/url":
            return self._signed(404, b'{"code":"404","message":"Resource Not Found"}')
        data = json.loads(body)
        if data["currency"] not in {"USD", "EUR", "GBP", "JPY", "AUD", "CAD", "HKD", "SGD"}:
            return self._signed(400, b'{"code":"154011","message":"Currency not supported"}')
        request_id = data["request_id"]
        if request_id not in self.request_payments:  # idempotent on request_id
            self.request_payments[request_id] = {
                "id": f"{secrets.randbelow(10**18):018d}",
                "request_id": request_id,
                "user_id": "U0001",
                "payer_id": "P0001",
                "payer_name": "Merchant Ltd",
                "amount": data["amount"],
                "currency": data["currency"],
                "purpose": data["purpose"],
                "file_folder_id": None,
                "reference": data.get("reference"),
                "expire_time": data.get("expire_time"),
                "additional_info": data.get("additional_info", []),
                "status": "UNPAID",
            }
        answer = {
            key: data.get(key)
            for key in (
                "request_id",
                "amount",
                "currency",
                "purpose",
                "reference",
                "additional_info",
                "expire_time",
                "return_url",
            )
        }
        answer["request_payment_url"] = f"{self.base_url}/request-payments/{request_id}"
        return self._signed(200, json.dumps(answer).encode())

    def webhook(
        self,
        *,
        request_id: str,
        status: str = "PAID",
        event_id: str | None = None,
        timestamp: int | None = None,
        key: bytes | None = None,
        **changes,
    ) -> tuple[dict[str, str], bytes]:
        """A webhook as the demo's sender makes it: the request payment as the body, its id in
        `Event-Id`, `LLPAY-Signature: t=<epoch>,v=<sig>` over "epoch&body"."""
        resource = {**self.request_payments[request_id], "status": status, **changes}
        body = json.dumps(resource, separators=(",", ":")).encode()
        timestamp = int(time.time()) if timestamp is None else timestamp
        signature = rsa_sign(
            key or self.private_key, message_payload(timestamp=timestamp, body=body)
        )
        return {
            SIGNATURE_HEADER: signature_header(timestamp=timestamp, signature=signature),
            EVENT_ID_HEADER: event_id or secrets.token_hex(8),
        }, body
