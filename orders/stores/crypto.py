"""Secrets of store connections, encrypted at rest (Fernet: AES-128-CBC with HMAC-SHA256)."""

from cryptography.fernet import InvalidToken

from orders.stores import conf


def encrypt(value: str) -> str:
    if not value:
        return ""
    return conf.secrets_cipher().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """The clear secret; empty when the stored value cannot be read with any configured key
    (the connection then asks for its credentials again)."""
    if not token:
        return ""
    try:
        return conf.secrets_cipher().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""
