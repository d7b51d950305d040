"""Signed unsubscribe tokens: the link in every email names the shop, channel and address
(hashed), and only we can make one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from core.errors import NotFound


def _sig(key: str, payload: bytes) -> str:
    mac = hmac.new(key.encode(), b"unsubscribe:" + payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def make_token(key: str, shop_id: int, channel: str, recipient_hash: str) -> str:
    payload = json.dumps([shop_id, channel, recipient_hash], separators=(",", ":")).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_sig(key, payload)}"


def read_token(key: str, token: str) -> tuple[int, str, str]:
    try:
        body, sig = token.split(".", 1)
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        shop_id, channel, recipient_hash = json.loads(payload)
    except (ValueError, TypeError) as exc:
        raise NotFound("This unsubscribe link is not valid.", code="bad_token") from exc
    if not hmac.compare_digest(sig, _sig(key, payload)):
        raise NotFound("This unsubscribe link is not valid.", code="bad_token")
    return int(shop_id), str(channel), str(recipient_hash)
