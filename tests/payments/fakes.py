"""A local fake of LianLian Global: it answers payment creation and signs notifications with its
own RSA key, the way the published API overview describes. Nothing reaches the network."""

import json
import secrets
import time
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from payments.adapters.lianlian import (
    SIGNATURE_HEADER,
    parse_signature_header,
    rsa_sign,
    rsa_verify,
    signing_payload,
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
        self.payments: dict[str, dict] = {}

    def settings(self) -> dict:
        """What the merchant configures: its own private key and LianLian's public key."""
        return {
            "PAYMENTS_LIANLIAN_BASE_URL": self.base_url,
            "PAYMENTS_LIANLIAN_TOKEN": self.token,
            "PAYMENTS_LIANLIAN_PRIVATE_KEY": self.merchant_private_key.decode(),
            "PAYMENTS_LIANLIAN_PUBLIC_KEY": self.public_key.decode(),
        }

    # The transport the adapter calls instead of the network.
    def __call__(self, method, url, headers, body):
        uri = urlsplit(url).path
        timestamp, signatures = parse_signature_header(headers[SIGNATURE_HEADER])
        payload = signing_payload(method=method, uri=uri, timestamp=timestamp, body=body)
        authentic = any(rsa_verify(self.merchant_public_key, payload, s) for s in signatures)
        self.requests.append({"uri": uri, "authentic": authentic, "headers": headers})
        if not authentic or headers.get("Authorization") != f"Basic {self.token}":
            return 401, {}, b'{"code":"401","message":"bad signature"}'
        data = json.loads(body)
        payment_id = f"LL{secrets.token_hex(8)}"
        self.payments[payment_id] = data
        response = json.dumps(
            {
                "payment_id": payment_id,
                "checkout_url": f"{self.base_url}/checkout/{payment_id}",
                "status": "PENDING",
            }
        ).encode()
        now = int(time.time())
        signature = rsa_sign(self.private_key, f"{now}&".encode() + response)
        return 200, {SIGNATURE_HEADER: f"t={now}, v={signature}"}, response

    def notification(
        self,
        *,
        payment_id: str,
        event_type: str,
        path: str,
        notification_id: str | None = None,
        amount: str | None = None,
        currency: str | None = None,
        timestamp: int | None = None,
        key: bytes | None = None,
    ) -> tuple[dict, bytes]:
        payment = self.payments.get(payment_id, {"amount": {"currency": "USD", "value": "1"}})
        body = json.dumps(
            {
                "notification_id": notification_id or f"N{secrets.token_hex(8)}",
                "event_type": event_type,
                "payment_id": payment_id,
                "merchant_order_id": payment.get("merchant_order_id", ""),
                "amount": {
                    "currency": currency or payment["amount"]["currency"],
                    "value": amount or payment["amount"]["value"],
                },
            }
        ).encode()
        timestamp = int(time.time()) if timestamp is None else timestamp
        payload = signing_payload(method="POST", uri=path, timestamp=timestamp, body=body)
        signature = rsa_sign(key or self.private_key, payload)
        return {SIGNATURE_HEADER: f"t={timestamp}, v={signature}"}, body
