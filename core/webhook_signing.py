"""Stripe-style signatures for webhooks in both directions:
`X-Referral-Signature: t=<unix seconds>,v1=<hex>` where v1 = HMAC-SHA256(secret, f"{t}.{body}").
Several v1 values may be sent (and several secrets tried) while a secret is rotated."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from core.errors import Unauthorized

HEADER = "X-Referral-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_header(secrets: Iterable[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={timestamp}", *(f"v1={signature(s, timestamp, body)}" for s in secrets)])


def parse_header(header: str | None) -> tuple[int, list[str]]:
    if not header:
        raise Unauthorized(f"Missing {HEADER} header.", code="missing_signature")
    timestamp, candidates = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value.strip())
    if timestamp is None or not candidates:
        raise Unauthorized(f"{HEADER} must look like t=<unix>,v1=<hex>.", code="bad_signature")
    return timestamp, candidates


def verify(header: str | None, body: bytes, secrets: Iterable[str], now: float) -> None:
    """Raises Unauthorized with the reason; constant-time comparison of every candidate."""
    timestamp, candidates = parse_header(header)
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise Unauthorized("Signature timestamp is outside the 300 s tolerance.",
                           code="stale_signature")
    expected = [signature(s, timestamp, body) for s in secrets]
    matched = False
    for want in expected:
        for got in candidates:
            # Bytes: compare_digest refuses non-ASCII str, and a header may carry anything.
            matched |= hmac.compare_digest(want.encode(), got.encode("utf-8", "replace"))
    if not matched:
        raise Unauthorized("Signature does not match the body.", code="bad_signature")
