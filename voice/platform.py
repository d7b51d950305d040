"""The one interface every assistant implements, so one webhook runs them all
(fulfillment.webhooks.assistants): read the request, verify it against the shop, turn it
into a Turn, render the dialog's Reply. No Flask here: a request is its headers and bytes.

Each step may raise `Refused` (a 4xx with a reason); a refusal that carries `status_reason`
is a verification failure the connect page's live status shows."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.models import Shop
from voice.turn import Reply, Turn


@dataclass(frozen=True)
class Inbound:
    """One HTTP request as an assistant sent it."""

    headers: Mapping[str, str]
    body: bytes
    parsed: Any = None  # the JSON body as the edge already parsed it, or None
    path_token: str | None = None  # the secret last segment of its URL, where it has one


@dataclass(frozen=True)
class Answer:
    """What goes back: a JSON object and its status."""

    body: dict[str, Any]
    status: int = 200
    reply: Reply | None = None  # what the dialog (or an apology) said, for the console
    one_line: bool = False  # the body on one line, no trailing newline (Salute forbids breaks)


class Refused(Exception):
    """A request answered with `status` and {"error": {code, message}}, nothing processed."""

    def __init__(self, status: int, code: str, message: str, *, variant: str | None = None,
                 status_reason: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.variant = variant  # the live-status row (core.assistants Variant key)
        self.status_reason = status_reason  # for the live status; None: not noted

    def answer(self) -> Answer:
        return Answer({"error": {"code": self.code, "message": self.message}}, self.status)


@dataclass(frozen=True)
class Accepted:
    """What the live status notes of a verified request."""

    variant: str
    intent: str
    locale: str


class AssistantPlatform(ABC):
    """One assistant's webhook side; built once per app by its package's `platform()`."""

    name: str  # as in core.assistants
    budget_seconds: float | None = None  # log a warning when a turn takes longer

    @abstractmethod
    def read(self, inbound: Inbound) -> Any:
        """The request's shape, before the shop is known (Refused: 400)."""

    @abstractmethod
    def verify(self, request: Any, inbound: Inbound, shop: Shop, now: datetime) -> None:
        """Is this the shop's assistant calling? Refused when not."""

    @abstractmethod
    def to_turn(self, request: Any, inbound: Inbound, shop: Shop) -> Turn | Answer:
        """The neutral Turn, or an Answer given without the dialog (a ping)."""

    @abstractmethod
    def accepted(self, request: Any, turn: Turn | None) -> Accepted | None:
        """What the live status notes of a verified request (`turn`: None when it was
        answered without the dialog); None: nothing."""

    @abstractmethod
    def respond(self, reply: Reply, turn: Turn, request: Any, shop: Shop) -> Answer:
        """The platform's answer to the Reply."""

    def apology(self, request: Any, turn: Turn | None, error: Exception) -> Answer | None:
        """An answer for a failed turn (None: the error propagates)."""
        return None
