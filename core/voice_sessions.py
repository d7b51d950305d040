"""Dialog state between turns for an assistant that carries none (Sber Salute), in the
database so the next turn may land on any web worker: one short read and one upsert per
turn. A row is the caller's state for one platform session; it is not continued after the
platform's idle timeout or in another session, and `prune` (the retention job) drops it."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core.models import VoiceSession
from core.services import Services

MAX_STATE_CHARS = 16_000  # the dialog's state is a pending question and the last speech
SESSION_ID_CHARS = 128


def caller_key(hash_key: str, assistant: str, user_id: str) -> str:
    """The platform's user id as the row names it: a keyed hash, so the table holds no id
    (erasure hashes the customer's linked ids the same way to find their rows)."""
    return hmac.new(hash_key.encode(), f"voice-session:{assistant}:{user_id}".encode(),
                    hashlib.sha256).hexdigest()


def bounded(state: dict[str, Any]) -> dict[str, Any]:
    """The state as stored: whole when small; without the last speech (only Repeat needs
    it) when that made it too big; nothing when even the rest is too big."""
    if len(json.dumps(state, ensure_ascii=False, default=str)) <= MAX_STATE_CHARS:
        return state
    dialog = state.get("dialog")
    if isinstance(dialog, dict):
        smaller = {**state, "dialog": {**dialog, "last": []}}
        if len(json.dumps(smaller, ensure_ascii=False, default=str)) <= MAX_STATE_CHARS:
            return smaller
    return {}


@dataclass(frozen=True)
class VoiceSessions:
    """The callers' states of one assistant, idle for at most `idle` (the platform's own
    session timeout)."""

    services: Services
    assistant: str
    idle: timedelta

    def _key(self, user_id: str) -> str:
        return caller_key(self.services.settings.hash_key, self.assistant, user_id)

    def load(self, shop_id: int, user_id: str, session_id: str) -> dict[str, Any]:
        """The caller's state in this platform session, or {} (none, idle too long, or left
        from another session)."""
        now = self.services.clock()
        with self.services.db.session() as uow:
            row = uow.execute(select(VoiceSession.session_id, VoiceSession.state,
                                     VoiceSession.updated_at).where(
                VoiceSession.shop_id == shop_id, VoiceSession.assistant == self.assistant,
                VoiceSession.caller == self._key(user_id))).first()
        if row is None or row.session_id != session_id[:SESSION_ID_CHARS] or \
                row.updated_at <= now - self.idle or not isinstance(row.state, dict):
            return {}
        return dict(row.state)

    def save(self, shop_id: int, user_id: str, session_id: str,
             state: dict[str, Any]) -> None:
        """Keep the state for the caller's next turn (an empty one forgets it)."""
        now, caller, state = self.services.clock(), self._key(user_id), bounded(state)
        where = (VoiceSession.shop_id == shop_id, VoiceSession.assistant == self.assistant,
                 VoiceSession.caller == caller)
        with self.services.db.session() as uow:
            if not state:
                uow.execute(delete(VoiceSession).where(*where))
                return
            bind = uow.get_bind()
            insert = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
            values = {"session_id": session_id[:SESSION_ID_CHARS], "state": state,
                      "updated_at": now}
            uow.execute(insert(VoiceSession).values(
                shop_id=shop_id, assistant=self.assistant, caller=caller, **values)
                .on_conflict_do_update(index_elements=["shop_id", "assistant", "caller"],
                                       set_=values))


def prune(services: Services, older_than: timedelta) -> int:
    """Drop states idle for longer than any platform session lasts (the retention job)."""
    cutoff: datetime = services.clock() - older_than
    with services.db.session() as uow:
        result = uow.execute(delete(VoiceSession).where(VoiceSession.updated_at <= cutoff))
        return int(getattr(result, "rowcount", 0) or 0)
