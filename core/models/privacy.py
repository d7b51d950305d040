"""What customers asked of us about their own data and their own messages: erasure
requests (kept as a record that we did it, holding no personal value), voice reminders and
digest subscriptions (each with the words that gave consent)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, CreatedMixin, IdMixin


class ErasureStatus(StrEnum):
    """An erasure asked by voice stays `requested` until the shop completes it."""

    REQUESTED = "requested"
    COMPLETED = "completed"


class ErasureRequest(IdMixin, CreatedMixin, Base):
    """"Delete my data": asked by voice (requested, the shop sees it) or by the API
    (completed at once). `subject_hash` is a keyed hash of the shop's customer id, so a
    repeated DELETE for an erased id finds the same answer without keeping the id."""

    __tablename__ = "erasure_requests"
    __table_args__ = (Index("ix_erasure_requests_subject", "shop_id", "subject_hash"),
                      Index("ix_erasure_requests_shop_status", "shop_id", "status"))

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"))
    subject_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # api | voice
    status: Mapped[str] = mapped_column(String(16), default=ErasureStatus.REQUESTED)
    tombstone: Mapped[str | None] = mapped_column(String(64))
    completed_at: Mapped[datetime | None]
    # Counts of what was erased (rows per table), no values.
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Reminder(IdMixin, CreatedMixin, Base):
    """"Remind me every Friday": a weekly slot in the customer's own zone, delivered as a
    message on their channel. Stopped reminders stay (stopped_at) as consent history."""

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_due", "active", "next_run_at"),
                      Index("ix_reminders_customer", "customer_id"))

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    weekday: Mapped[int]  # 0 Monday .. 6 Sunday, in `timezone`
    local_time: Mapped[str] = mapped_column(String(5), default="10:00")  # HH:MM
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    active: Mapped[bool] = mapped_column(default=True)
    next_run_at: Mapped[datetime | None]
    last_sent_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    # Consent evidence: the words, the assistant, the locale, when.
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Set when the same reminder was also created through Alexa's Reminders API.
    alexa_alert_token: Mapped[str | None] = mapped_column(String(256))


class DigestSubscription(IdMixin, CreatedMixin, Base):
    """A referrer's opt-in to the shop's periodic digest, on one channel."""

    __tablename__ = "digest_subscriptions"
    __table_args__ = (UniqueConstraint("customer_id"),)

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"),
                                         index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16), default="email")
    only_when_new: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    stopped_at: Mapped[datetime | None]
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The last period handled ("2026-W48", "2026-11"), sent or skipped as nothing new: a
    # restarted job does not look at it again. The outbox key is the guarantee.
    last_period: Mapped[str | None] = mapped_column(String(16))
    last_sent_at: Mapped[datetime | None]
