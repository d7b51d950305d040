"""The neutral Replies of a simulated turn, handed back through the request that made it.

The simulator (fulfillment.simulator.turns) calls a webhook in-process through Flask's test client
and puts a fresh `TurnCapture` into *that* request's WSGI environ under ENVIRON_KEY. The
webhook, while handling the very same request, appends its Replies there; the simulator reads
them when the call returns. Nothing is shared between requests, threads or shops (the old
design kept one list in process-global `Services.extras`, so concurrent console turns read
each other's replies), and `flask.g` would not do: the inner request's `g` is gone when the
test client returns.

No HTTP client can set this key: a server turns request headers into `HTTP_*` environ keys,
so a request from outside never carries a capture, and a webhook called by an assistant
behaves exactly as before. That is also why a capture is the simulator's trust: a request
carrying one came from this process (`trusted`: the simulator vouches for it, so no
platform signature is checked and SANDBOX is not needed), and every message its turn
queues is marked simulated, so the worker hands it to the sandbox channel, never a real
one (core.messaging.outbox.simulated_turn)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import request

from voice.turn import Reply

ENVIRON_KEY = "referrals.turn_capture"


@dataclass
class TurnCapture:
    """What one webhook call answered, in neutral form."""

    replies: list[Reply] = field(default_factory=list)
    # The simulator made this request itself (not the connect page testing a shop's own
    # Dialogflow secret, which must be verified like any request).
    trusted: bool = False

    @property
    def message_ids(self) -> list[int]:
        """The outbox rows this turn queued (or found already queued), in order, once each."""
        return list(dict.fromkeys(i for reply in self.replies for i in reply.message_ids))

    def environ(self) -> dict[str, object]:
        """For `client.post(..., environ_overrides=capture.environ())`."""
        return {ENVIRON_KEY: self}


def current() -> TurnCapture | None:
    """The capture of this request when the simulator made it in-process; None for every
    request from outside."""
    capture = request.environ.get(ENVIRON_KEY)
    return capture if isinstance(capture, TurnCapture) else None


def record(replies: Iterable[Reply]) -> None:
    """Called by each webhook with the Replies it produced; a no-op unless the request
    came from the simulator with a capture of its own."""
    capture = request.environ.get(ENVIRON_KEY)
    if isinstance(capture, TurnCapture):
        capture.replies.extend(replies)
