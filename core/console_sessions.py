"""Console conversations in the database (ConsoleSession / ConsoleTurn), so the next turn may
land on any web worker: the signed cookie carries only a random key, the row holds the
platform state (which can outgrow a cookie) and each turn as the console showed it.

Plain values in and out (the conversation state and each turn's result as JSON objects):
the console's store in fulfillment turns them into the simulator's types. Reads and writes
are short transactions around the simulated turn, never across it (the webhook writes in its
own). A second turn of the *same* console session racing the first fails on `version` and
gets a 409 instead of silently overwriting the first one's state.

A conversation as the console's fresh "new voice user" (core.simulation) may pair that voice
id with a customer: once the conversation is over (signed out, reset, replaced by a new one,
idle for an hour) nobody can speak as that id again, so its voice identity link and pairing
rows are deleted with it and the live database keeps no console pairing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from core.db import UnitOfWork
from core.errors import Conflict
from core.models import ConsoleSession, ConsoleTurn, Message, PairingChallenge, VoiceIdentity
from core.services import Services
from core.shop_copy import NEW_VOICE_USER_PREFIX

IDLE = timedelta(hours=1)
OUTBOX_ROWS = 20


class ConcurrentTurn(Conflict):
    code = "concurrent_turn"


@dataclass(frozen=True)
class Saved:
    conversation: dict[str, Any]  # the platform's state, as the simulator dumped it
    user: str
    version: int


@dataclass(frozen=True)
class OutboxLine:
    id: int
    kind: str
    purpose: str  # transactional | marketing (core.messaging.purpose)
    channel: str
    recipient: str
    status: str
    created_at: datetime
    text: str  # the SMS as rendered, else the link it carries


def _voice_user(conversation: object) -> str:
    """The voice id a saved conversation spoke as ("" when it has none)."""
    value = conversation.get("user_id") if isinstance(conversation, dict) else None
    return value if isinstance(value, str) else ""


def forget_fresh_voice_users(uow: UnitOfWork, voice_users: Iterable[str]) -> None:
    """Delete what these console "new voice users" left: their voice identity links and
    pairing challenges. Only ids with the fresh prefix, so a real speaker is never touched."""
    fresh = sorted({u for u in voice_users if u.startswith(NEW_VOICE_USER_PREFIX)})
    if fresh:
        uow.execute(delete(VoiceIdentity).where(VoiceIdentity.assistant_user_id.in_(fresh)))
        uow.execute(delete(PairingChallenge).where(
            PairingChallenge.assistant_user_id.in_(fresh)))


def end_all(services: Services, staff_id: int) -> None:
    """Signed out everywhere: every console conversation of this staff member ends, on
    every device, with what its fresh voice users paired."""
    with services.db.session() as uow:
        mine = ConsoleSession.staff_id == staff_id
        forget_fresh_voice_users(uow, map(_voice_user, uow.scalars(
            select(ConsoleSession.conversation).where(mine))))
        uow.execute(delete(ConsoleSession).where(mine))


def row_key(cookie_key: str) -> str:
    """The cookie's random key is never stored: its hash names the row."""
    return hashlib.sha256(cookie_key.encode()).hexdigest()


@dataclass(frozen=True)
class ConsoleSessions:
    """One staff member's console conversation, named by the hash of the cookie's key."""

    services: Services
    key: str  # row_key(cookie key)
    staff_id: int

    def _row(self, uow: UnitOfWork) -> ConsoleSession | None:
        row = uow.scalar(select(ConsoleSession).where(
            ConsoleSession.key == self.key, ConsoleSession.staff_id == self.staff_id))
        if row is None or row.updated_at <= self.services.clock() - IDLE:
            return None
        return row

    def load(self) -> Saved | None:
        """The live conversation (idle for less than an hour), if any."""
        with self.services.db.session() as uow:
            row = self._row(uow)
            return None if row is None else Saved(dict(row.conversation), row.user,
                                                  row.version)

    def save(self, *, shop_slug: str, conversation: dict[str, Any], user: str,
             result: dict[str, Any], message_ids: list[int], previous_version: int | None,
             fresh: bool) -> None:
        """Record the turn; `fresh` starts the saved turns over. Raises ConcurrentTurn when
        another turn of this session was saved since `previous_version` was loaded."""
        now = self.services.clock()
        try:
            with self.services.db.session() as uow:
                idle = ConsoleSession.updated_at <= now - IDLE
                forget_fresh_voice_users(uow, map(_voice_user, uow.scalars(
                    select(ConsoleSession.conversation).where(idle))))
                uow.execute(delete(ConsoleSession).where(idle))
                if previous_version is None:
                    uow.add(ConsoleSession(key=self.key, staff_id=self.staff_id,
                                           shop_slug=shop_slug, user=user,
                                           conversation=conversation, version=1,
                                           updated_at=now))
                    uow.flush()
                else:
                    before = _voice_user(uow.scalar(select(ConsoleSession.conversation).where(
                        ConsoleSession.key == self.key,
                        ConsoleSession.staff_id == self.staff_id,
                        ConsoleSession.version == previous_version)))
                    changed = uow.execute(
                        update(ConsoleSession)
                        .where(ConsoleSession.key == self.key,
                               ConsoleSession.staff_id == self.staff_id,
                               ConsoleSession.version == previous_version)
                        .values(shop_slug=shop_slug, user=user, conversation=conversation,
                                version=previous_version + 1, updated_at=now))
                    if changed.rowcount != 1:  # type: ignore[attr-defined]
                        raise ConcurrentTurn("Another turn of this console session ran at "
                                             "the same time; this one was not saved.")
                    if before != _voice_user(conversation):  # that conversation is over
                        forget_fresh_voice_users(uow, [before])
                    if fresh:
                        uow.execute(delete(ConsoleTurn).where(ConsoleTurn.session_key == self.key))
                uow.add(ConsoleTurn(session_key=self.key, result=result,
                                    message_ids=message_ids, created_at=now))
        except IntegrityError as exc:  # two first turns at once: the other one won
            raise ConcurrentTurn("Another turn of this console session ran at the same "
                                 "time; this one was not saved.") from exc

    def drop(self) -> None:
        """End the conversation (sign-out, reset): its rows and its fresh voice user's."""
        with self.services.db.session() as uow:
            forget_fresh_voice_users(uow, [_voice_user(uow.scalar(
                select(ConsoleSession.conversation).where(
                    ConsoleSession.key == self.key, ConsoleSession.staff_id == self.staff_id)))])
            uow.execute(delete(ConsoleSession).where(ConsoleSession.key == self.key,
                                                     ConsoleSession.staff_id == self.staff_id))

    def results(self) -> list[dict[str, Any]]:
        """Each turn's result as saved, oldest first (none once the session went idle)."""
        with self.services.db.session() as uow:
            if self._row(uow) is None:
                return []
            rows: Sequence[dict[str, Any]] = uow.scalars(select(ConsoleTurn.result).where(
                ConsoleTurn.session_key == self.key).order_by(ConsoleTurn.id)).all()
            return list(rows)

    def outbox(self, shop_id: int) -> list[OutboxLine]:
        """The messages this console session's turns queued, in this shop only, newest
        first: never another shop's, never another session's."""
        with self.services.db.session() as uow:
            if self._row(uow) is None:
                return []
            ids = [i for turn in uow.scalars(select(ConsoleTurn.message_ids).where(
                ConsoleTurn.session_key == self.key)) for i in turn]
            if not ids:
                return []
            rows = uow.scalars(select(Message).where(
                Message.id.in_(ids), Message.shop_id == shop_id)
                .order_by(Message.id.desc()).limit(OUTBOX_ROWS))
            return [OutboxLine(m.id, m.kind, m.purpose, m.channel, m.recipient, m.status,
                               m.created_at,
                               (m.rendered or {}).get("sms") or m.context.get("link", ""))
                    for m in rows]
