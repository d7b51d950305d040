"""Short signed tokens for links in staff emails (verify, reset, invitation, first sign-in):
HMAC-SHA256 under a key derived from SECRET_KEY per purpose, an expiry read against the
injected clock, and a `mark` the caller checks so a token works once (e.g. a fingerprint
of the password hash: after the reset it no longer matches)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

from core.errors import DomainError

MAX_TOKEN = 600


class BadToken(DomainError):
    code = "bad_token"
    status = 400


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(secret_key: str, purpose: str) -> bytes:
    return hmac.new(secret_key.encode(), f"signed-token:{purpose}".encode(),
                    hashlib.sha256).digest()


def make(secret_key: str, purpose: str, data: dict[str, Any], now: datetime,
         ttl: timedelta) -> str:
    body = _b64(json.dumps({**data, "exp": int((now + ttl).timestamp())},
                           separators=(",", ":")).encode())
    sig = _b64(hmac.new(_key(secret_key, purpose), body.encode(), hashlib.sha256).digest())
    return f"{body}.{sig}"


def read(secret_key: str, purpose: str, token: str, now: datetime) -> dict[str, Any]:
    """The data, or BadToken (forged, damaged, for another purpose, or expired)."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN or token.count(".") != 1:
        raise BadToken("This link is not valid.")
    body, sig = token.split(".")
    expected = _b64(hmac.new(_key(secret_key, purpose), body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(sig.encode(), expected.encode()):
        raise BadToken("This link is not valid.")
    try:
        data = json.loads(_unb64(body))
        expires = int(data["exp"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadToken("This link is not valid.") from exc
    if now.timestamp() > expires:
        raise BadToken("This link has expired; ask for a new one.", code="expired_token")
    return dict(data)
