"""One interface for every channel: send a message, get the provider's id, or learn whether
the failure is worth retrying."""

from __future__ import annotations

from dataclasses import dataclass, field
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


class ChannelError(Exception):
    def __init__(self, message: str, *, retryable: bool, code: str = "") -> None:
        super().__init__(message)
        self.retryable, self.code = retryable, code


class Channel(Protocol):
    name: str

    def send(self, message: Outgoing) -> str: ...
