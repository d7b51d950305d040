"""Keyed hashes for data we must match but need not read back (recipients, IPs)."""

from __future__ import annotations

import hashlib
import hmac


def keyed_hash(key: str, value: str) -> str:
    return hmac.new(key.encode(), value.strip().lower().encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    """API keys and one-time codes: unkeyed SHA-256 is enough for high-entropy tokens and
    lets a lookup be a single indexed equality."""
    return hashlib.sha256(token.encode()).hexdigest()
