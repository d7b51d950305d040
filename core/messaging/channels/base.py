"""One interface for every channel: send a message, get the provider's id, or learn whether
the failure is worth retrying."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from core.messaging.rendering import Rendered


@dataclass(frozen=True)
class Outgoing:
    """What a channel needs; no database object crosses into a provider call."""

    message_id: int
    idempotency_key: str
    channel: str
    recipient: str
    kind: str
    locale: str
    rendered: Rendered
    context: dict[str, Any] = field(default_factory=dict)
    qr_png: bytes | None = None
    unsubscribe_url: str = ""
    created_at: datetime | None = None  # the outbox row's, fixed for all its attempts

    @property
    def delivery_key(self) -> str:
        """What every retry of this outbox row presents to a provider (SMTP Message-ID,
        idempotency headers): a pure function of the row's idempotency key and creation
        instant, never of time, pid or chance, so a copy re-sent after a crash is
        recognisably the same message. The instant keeps keys that repeat across
        databases (`pairing:1` after a reset) from naming an older, different message."""
        return delivery_key(self.idempotency_key, self.created_at)


def delivery_key(idempotency_key: str, created_at: datetime | None = None) -> str:
    """32 hex digits (128 bits of SHA-256): a safe charset and length for any header."""
    stamp = ""
    if created_at is not None:
        if created_at.tzinfo is not None:
            created_at = created_at.astimezone(UTC).replace(tzinfo=None)
        stamp = created_at.isoformat(timespec="seconds")
    return hashlib.sha256(f"{idempotency_key}\x00{stamp}".encode()).hexdigest()[:32]


class ChannelError(Exception):
    def __init__(self, message: str, *, retryable: bool, code: str = "") -> None:
        super().__init__(message)
        self.retryable, self.code = retryable, code


class Channel(Protocol):
    name: str

    def send(self, message: Outgoing) -> str: ...
