"""The default channel: nothing leaves the machine. Messages are kept (rendered, on the
outbox row) for the console and the demo, and in memory for tests."""

from __future__ import annotations

import threading

from core.messaging.channels.base import Outgoing


class SandboxChannel:
    name = "sandbox"

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        self._lock = threading.Lock()

    def send(self, message: Outgoing) -> str:
        with self._lock:
            self.sent.append(message)
        return f"sandbox-{message.message_id}"
