"""Support console conversations, kept in the database so whichever web worker takes the
next turn can continue it (platform state can outgrow a 4 KB cookie)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, CreatedMixin, IdMixin, JSONType, now_column


class ConsoleSession(CreatedMixin, Base):
    """One member of staff's current console conversation. `key` is a hash of the random
    key in their signed session cookie; `version` makes a concurrent second write lose
    visibly instead of silently."""

    __tablename__ = "console_sessions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"),
                                          index=True)
    shop_slug: Mapped[str] = mapped_column(String(64))
    user: Mapped[str] = mapped_column(String(128))
    conversation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = now_column(index=True)


class ConsoleTurn(IdMixin, CreatedMixin, Base):
    """A turn of that conversation as the console showed it (for "save as YAML test" and
    the session's outbox)."""

    __tablename__ = "console_turns"

    session_key: Mapped[str] = mapped_column(
        ForeignKey("console_sessions.key", ondelete="CASCADE"), index=True)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)  # for the outbox


class LoginThrottle(Base):
    """Console sign-in attempts counted per account and per client address (both as keyed
    hashes: no email or IP in this table), so every web worker applies the same backoff and
    lock. `attempts` counts since the last quiet period; `next_allowed_at` is when the next
    attempt may be tried."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_allowed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = now_column()


class StaffSession(Base):
    """A signed-in browser: the cookie holds a random token, this table its hash. Deleting
    the row ends the session wherever the cookie was copied to: signing out, "sign out
    everywhere", a password change, a role change and the member's removal (cascade).
    `password_mark` (a fingerprint of the hash signed in with) ends it too when the password
    is changed by a path that does not delete sessions (the demo seed, an operator's SQL)."""

    __tablename__ = "staff_sessions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"),
                                          index=True)
    password_mark: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
