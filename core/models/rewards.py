"""The referral lifecycle: referrals, conversions, the reward ledger, shop events and the
webhooks we send back. History is never deleted: a refund is a reversal entry."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, CreatedMixin, IdMixin, JSONType, now_column


class ReferralStatus(StrEnum):
    """A referral's state: `flagged` waits for a person (core.review), `converted` has its
    conversion."""

    PENDING = "pending"
    FLAGGED = "flagged"
    BLOCKED = "blocked"
    REJECTED = "rejected"
    CONVERTED = "converted"


class EntryStatus(StrEnum):
    """A ledger entry's state. `redeemed`: the friend's discount, already taken at checkout
    with the code (never issued); `reversed`: balanced by a reversal row."""

    PENDING = "pending"
    HELD = "held"
    APPROVED = "approved"
    REDEEMED = "redeemed"
    REVERSED = "reversed"


class OutboundStatus(StrEnum):
    """An outbound webhook is `pending` (retried) until a 2xx makes it `delivered`."""

    PENDING = "pending"
    DELIVERED = "delivered"


REFERRAL_STATUSES = tuple(s.value for s in ReferralStatus)
ENTRY_STATUSES = tuple(s.value for s in EntryStatus)


class Referral(IdMixin, CreatedMixin, Base):
    """A friend who signed up with a code. One per friend per shop: a friend is referred
    once ("already referred" is a constraint, not only a rule)."""

    __tablename__ = "referrals"
    __table_args__ = (
        UniqueConstraint("shop_id", "friend_id"),
        Index("ix_referrals_code_created", "code_id", "created_at"),
        Index("ix_referrals_shop_status", "shop_id", "status"),
        # a referrer's referrals: stats, digest, privacy export (migration 0008)
        Index("ix_referrals_referrer_created", "referrer_id", "created_at"),
    )

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    code_id: Mapped[int] = mapped_column(ForeignKey("referral_codes.id"))
    referrer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    friend_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(16), default=ReferralStatus.PENDING)
    reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)  # fraud reason codes
    ip_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    review_reason: Mapped[str | None] = mapped_column(String(500))
    # Where the friend came from, where it is known (migration 0012): the signup's invite
    # link's `c=`/`a=`, else the code's latest human click before the signup.
    channel: Mapped[str | None] = mapped_column(String(16))
    assistant: Mapped[str | None] = mapped_column(String(16))


class Conversion(IdMixin, CreatedMixin, Base):
    """The friend's first qualifying order. Unique per referral and per shop order."""

    __tablename__ = "conversions"
    __table_args__ = (UniqueConstraint("shop_id", "order_id"),)

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), unique=True)
    order_id: Mapped[str] = mapped_column(String(128))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # What each amount means, so a refund is compared with the right one: `amount` is what
    # counts toward the program's minimum (after discounts, before shipping and tax, in the
    # shop's currency); `total_amount` is what the buyer paid in it (None: only `amount` was
    # told); the presentment pair is the buyer's own currency where the store sells in
    # several. `refunded_amount` / `refunded_presentment`: money given back in each;
    # `refunded_subtotal`: the part of it that took back what counts toward the minimum.
    total_amount: Mapped[int | None] = mapped_column(BigInteger)
    presentment_currency: Mapped[str | None] = mapped_column(String(3))
    presentment_total: Mapped[int | None] = mapped_column(BigInteger)
    refunded_presentment: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_subtotal: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerEntry(IdMixin, CreatedMixin, Base):
    """One reward for one side. Amount: minor units for money kinds, points for points,
    whole percent for percent discounts. Reversals are new rows with the opposite sign."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_customer", "customer_id", "id"),
        Index("ix_ledger_status_hold", "status", "hold_until"),
        Index("ix_ledger_conversion", "conversion_id"),  # a refund's reversal (0008)
    )

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    conversion_id: Mapped[int | None] = mapped_column(ForeignKey("conversions.id"))
    side: Mapped[str] = mapped_column(String(16))  # referrer | friend | level2
    kind: Mapped[str] = mapped_column(String(24))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=EntryStatus.PENDING)
    entry_type: Mapped[str] = mapped_column(String(16), default="reward")  # reward | reversal
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    hold_until: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(String(200), default="")


class ShopEvent(IdMixin, Base):
    """Every event a shop sent, with the answer we gave: a replay gets the same answer.
    Unique on the event id, and on the order for order events."""

    __tablename__ = "shop_events"
    __table_args__ = (
        UniqueConstraint("shop_id", "event_id"),
        UniqueConstraint("shop_id", "type", "order_id"),
    )

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str | None] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = now_column()


class OutboundWebhook(IdMixin, CreatedMixin, Base):
    """A signed notification to the shop (reward.approved), retried until a 2xx."""

    __tablename__ = "outbound_webhooks"
    __table_args__ = (Index("ix_outbound_due", "status", "next_attempt_at"),)

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=OutboundStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = now_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    # The endpoint it goes to (core.models.webhooks); None: the shop's legacy webhook_url.
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    last_status_code: Mapped[int | None]
    last_response: Mapped[str | None] = mapped_column(Text)  # the first bytes, for the shop
    last_attempt_at: Mapped[datetime | None]
