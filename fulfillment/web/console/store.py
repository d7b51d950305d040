"""Console conversations in the database (core.models.ConsoleSession / ConsoleTurn), so the
next turn may land on any web worker: the signed cookie carries only a random key, the row
holds the platform state (which can outgrow a cookie) and each turn as the console showed it.

Reads and writes are short transactions around the simulated turn, never across it (the
webhook writes in its own). A second turn of the *same* console session racing the first
fails on `version` and gets a 409 instead of silently overwriting the first one's state."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import Conflict
from core.models import ConsoleSession, ConsoleTurn, Message
from core.services import Services
from fulfillment.simulator.turns import SimulationResult
from voice.simulation.requests import Conversation

IDLE = timedelta(hours=1)
OUTBOX_ROWS = 20


class ConcurrentTurn(Conflict):
    code = "concurrent_turn"


@dataclass
class Stored:
    conversation: Conversation
    user: str
    version: int


def _row_key(cookie_key: str) -> str:
    return hashlib.sha256(cookie_key.encode()).hexdigest()


class ConsoleStore:
    def __init__(self, services: Services, cookie_key: str, staff_id: int) -> None:
        self.services, self.staff_id = services, staff_id
        self.key = _row_key(cookie_key)

    def load(self) -> Stored | None:
        """This staff member's live conversation (idle for less than an hour), if any."""
        with self.services.db.session() as db:
            row = self._row(db)
            if row is None:
                return None
            known = {f.name for f in dataclasses.fields(Conversation)}
            state = {k: v for k, v in row.conversation.items() if k in known}
            return Stored(Conversation(**state), row.user, row.version)

    def _row(self, db: Session) -> ConsoleSession | None:
        row = db.scalar(select(ConsoleSession).where(
            ConsoleSession.key == self.key, ConsoleSession.staff_id == self.staff_id))
        if row is None or row.updated_at <= self.services.clock() - IDLE:
            return None
        return row

    def save(self, conv: Conversation, user: str, result: SimulationResult,
             previous: Stored | None, fresh: bool) -> None:
        """Record the turn; `fresh` starts the saved turns over. Raises ConcurrentTurn when
        another turn of this session was saved since `previous` was loaded."""
        now = self.services.clock()
        state = dataclasses.asdict(conv)
        try:
            with self.services.db.session() as db:
                db.execute(delete(ConsoleSession).where(ConsoleSession.updated_at <= now - IDLE))
                if previous is None:
                    db.add(ConsoleSession(key=self.key, staff_id=self.staff_id,
                                          shop_slug=conv.shop, user=user, conversation=state,
                                          version=1, updated_at=now))
                    db.flush()
                else:
                    changed = db.execute(
                        update(ConsoleSession)
                        .where(ConsoleSession.key == self.key,
                               ConsoleSession.staff_id == self.staff_id,
                               ConsoleSession.version == previous.version)
                        .values(shop_slug=conv.shop, user=user, conversation=state,
                                version=previous.version + 1, updated_at=now))
                    if changed.rowcount != 1:  # type: ignore[attr-defined]
                        raise ConcurrentTurn("Another turn of this console session ran at "
                                             "the same time; this one was not saved.")
                    if fresh:
                        db.execute(delete(ConsoleTurn).where(ConsoleTurn.session_key == self.key))
                db.add(ConsoleTurn(session_key=self.key, result=result.as_dict(),
                                   message_ids=[m["id"] for m in result.messages],
                                   created_at=now))
        except IntegrityError as exc:  # two first turns at once: the other one won
            raise ConcurrentTurn("Another turn of this console session ran at the same "
                                 "time; this one was not saved.") from exc

    def drop(self) -> None:
        with self.services.db.session() as db:
            db.execute(delete(ConsoleSession).where(ConsoleSession.key == self.key,
                                                    ConsoleSession.staff_id == self.staff_id))

    def results(self) -> list[SimulationResult]:
        with self.services.db.session() as db:
            if self._row(db) is None:
                return []
            rows: Sequence[dict[str, Any]] = db.scalars(select(ConsoleTurn.result).where(
                ConsoleTurn.session_key == self.key).order_by(ConsoleTurn.id)).all()
            return [SimulationResult.from_dict(r) for r in rows]

    def outbox(self, shop_id: int) -> list[Message]:
        """The messages this console session's turns queued, in this shop only, newest
        first: never another shop's, never another session's."""
        with self.services.db.session() as db:
            if self._row(db) is None:
                return []
            ids = [i for turn in db.scalars(select(ConsoleTurn.message_ids).where(
                ConsoleTurn.session_key == self.key)) for i in turn]
            if not ids:
                return []
            rows = db.scalars(select(Message).where(
                Message.id.in_(ids), Message.shop_id == shop_id)
                .order_by(Message.id.desc()).limit(OUTBOX_ROWS)).all()
            db.expunge_all()
            return list(rows)
