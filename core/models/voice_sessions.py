"""The dialog state of a voice conversation whose platform carries none between turns
(Sber Salute), kept here so whichever web worker takes the next turn continues it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base


class VoiceSession(Base):
    """One caller's state in one shop on one assistant. `caller` is a keyed hash of the
    platform's user id (never the id itself); `session_id` is the platform's session, so a
    row left from an earlier session is never continued."""

    __tablename__ = "voice_sessions"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"),
                                         primary_key=True)
    assistant: Mapped[str] = mapped_column(String(16), primary_key=True)
    caller: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(128))
    state: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(index=True)
