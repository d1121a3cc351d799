"""Sign webhook deliveries the Standard Webhooks way, so receivers can verify them with its libraries.

A secret is ``whsec_`` followed by the base64 of 24 to 64 random bytes. A delivery carries three
headers: ``webhook-id`` (the message id, the same on every retry so receivers can drop duplicates),
``webhook-timestamp`` (Unix seconds, so receivers can refuse replays) and ``webhook-signature``.
The signature is ``v1,`` + base64(HMAC-SHA256(secret, "<id>.<timestamp>.<body>")). The header may hold
several space-separated signatures: while a secret is being rotated we sign with the old and the new
one, and a receiver accepts the delivery when any of them matches the secret it knows.
"""

import base64
import binascii
import hashlib
import hmac
import secrets as _random

PREFIX = "whsec_"
MIN_KEY_BYTES = 24
MAX_KEY_BYTES = 64
NEW_KEY_BYTES = 32


def new_secret() -> str:
    """Return a fresh random signing secret (``whsec_`` + base64 of 32 bytes)."""
    return PREFIX + base64.b64encode(_random.token_bytes(NEW_KEY_BYTES)).decode("ascii")


def check_secret(secret) -> bytes:
    """Return the key bytes of a ``whsec_…`` secret; raise ValueError when it is malformed."""
    if not isinstance(secret, str) or not secret.startswith(PREFIX):
        raise ValueError("A webhook secret must be a string starting with 'whsec_'.")
    encoded = secret[len(PREFIX):]
    # Other implementations print secrets without the base64 padding; accept both.
    encoded += "=" * (-len(encoded) % 4)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("A webhook secret must be 'whsec_' followed by standard base64.") from None
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise ValueError(f"A webhook secret must encode {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes "
                         f"(this one encodes {len(key)}).")
    return key


def signature(secret, msg_id, timestamp: int, body: bytes) -> str:
    """Return the ``v1,…`` signature of one delivery under one secret."""
    key = check_secret(secret)
    _check_message(msg_id, timestamp, body)
    signed = f"{msg_id}.{timestamp}.".encode() + bytes(body)
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(secrets, msg_id, timestamp, body) -> dict:
    """Return the three Standard Webhooks headers, with one signature per secret (old and new while rotating)."""
    if isinstance(secrets, str):  # one secret given bare: do not sign with each of its characters
        secrets = [secrets]
    unique = list(dict.fromkeys(secrets))
    if not unique:
        raise ValueError("At least one secret is needed to sign a delivery.")
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(secret, msg_id, timestamp, body) for secret in unique),
    }


def _check_message(msg_id, timestamp, body):
    if not isinstance(msg_id, str) or not msg_id or any(c.isspace() or not c.isprintable() for c in msg_id):
        raise ValueError("A message id must be a non-empty string without spaces or control characters.")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ValueError("A timestamp must be a non-negative integer of Unix seconds.")
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise ValueError("A delivery body must be bytes (the exact bytes that will be sent).")
