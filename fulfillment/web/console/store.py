"""The console's conversation between turns, kept by core.console_sessions (so the next turn
may land on any web worker): this adapter turns the simulator's Conversation and
SimulationResult into the plain values core stores, and back."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from core.console_sessions import ConcurrentTurn, ConsoleSessions, OutboxLine, row_key
from core.services import Services
from fulfillment.simulator.turns import SimulationResult
from voice.simulation.requests import Conversation

__all__ = ["ConcurrentTurn", "ConsoleStore", "Stored"]


@dataclass
class Stored:
    conversation: Conversation
    user: str
    version: int


class ConsoleStore:
    def __init__(self, services: Services, cookie_key: str, staff_id: int) -> None:
        self.sessions = ConsoleSessions(services, row_key(cookie_key), staff_id)

    def load(self) -> Stored | None:
        """This staff member's live conversation (idle for less than an hour), if any."""
        saved = self.sessions.load()
        if saved is None:
            return None
        known = {f.name for f in dataclasses.fields(Conversation)}
        state = {k: v for k, v in saved.conversation.items() if k in known}
        return Stored(Conversation(**state), saved.user, saved.version)

    def save(self, conv: Conversation, user: str, result: SimulationResult,
             previous: Stored | None, fresh: bool) -> None:
        """Record the turn; `fresh` starts the saved turns over. Raises ConcurrentTurn when
        another turn of this session was saved since `previous` was loaded."""
        self.sessions.save(shop_slug=conv.shop, conversation=dataclasses.asdict(conv),
                           user=user, result=result.as_dict(),
                           message_ids=[m["id"] for m in result.messages],
                           previous_version=previous.version if previous else None,
                           fresh=fresh)

    def drop(self) -> None:
        self.sessions.drop()

    def results(self) -> list[SimulationResult]:
        return [SimulationResult.from_dict(r) for r in self.sessions.results()]

    def outbox(self, shop_id: int) -> list[OutboxLine]:
        """The messages this console session's turns queued, in this shop only."""
        return self.sessions.outbox(shop_id)
