"""The transactional outbox: a message row is written in the same transaction as the share
or pairing that causes it, and only a worker ever sends it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, CreatedMixin, IdMixin, now_column


class MessageStatus(StrEnum):
    """Where a message is on its way out. `failed` is retried; `dead` and `suppressed` are
    final; `delivered` only when the provider reports it."""

    CREATED = "created"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"
    SUPPRESSED = "suppressed"


class ReportStatus(StrEnum):
    """A provider's delivery report (`Message.provider_status`): Twilio's final states."""

    DELIVERED = "delivered"
    FAILED = "failed"
    UNDELIVERED = "undelivered"


MESSAGE_STATUSES = tuple(s.value for s in MessageStatus)
MESSAGE_KINDS = ("invite_self", "invite_friend", "pairing_code", "reward_notice", "digest",
                 "reminder")


class Message(IdMixin, CreatedMixin, Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_due", "status", "next_attempt_at"),
        Index("ix_messages_shop_created", "shop_id", "created_at"),
    )

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(24))
    # transactional | marketing (core.messaging.purpose): quiet hours hold marketing only.
    purpose: Mapped[str] = mapped_column(String(16), default="marketing")
    channel: Mapped[str] = mapped_column(String(16))  # email | sms | whatsapp | telegram
    recipient: Mapped[str] = mapped_column(String(320))
    recipient_hash: Mapped[str] = mapped_column(String(64), index=True)
    locale: Mapped[str] = mapped_column(String(16), default="en-US")
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Consent evidence: who asked, on which assistant, when, with which words.
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.CREATED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = now_column()
    lease_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(64))
    provider_message_id: Mapped[str | None] = mapped_column(String(128), index=True)
    # The provider's last delivery report (Twilio: delivered / undelivered / failed). Kept
    # apart from `status` because a report can arrive before the worker recorded `sent`.
    provider_status: Mapped[str | None] = mapped_column(String(24))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    # What was (or would be) sent, kept for the console and for audits.
    rendered: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Suppression(IdMixin, CreatedMixin, Base):
    """An opt-out: nothing more on this channel to this address (for one shop, or for every
    shop when it came through the operator's own number). Lifted, never deleted."""

    __tablename__ = "suppressions"
    __table_args__ = (Index("ix_suppressions_lookup", "channel", "recipient_hash"),)

    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    recipient_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(64))
    lifted_at: Mapped[datetime | None]
