"""Referral codes, the shares that hand them out, and the clicks they bring."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.assistants import ATTRIBUTED
from core.models.base import Base, CreatedMixin, IdMixin
from core.models.customers import Customer

# "screen": a link or QR shown on a speaker's screen; "card": a link in the assistant's app
# card. Each carries its own channel, not the channel a message went by.
CHANNELS = ("voice", "sms", "email", "whatsapp", "telegram", "qr", "web", "screen", "card")
ASSISTANTS = ATTRIBUTED  # whose users shared: speakers and MCP hosts (core.assistants)


class ReferralCode(IdMixin, CreatedMixin, Base):
    """Codes are globally unique because `/r/<code>` names no shop; so are their digits,
    which identify a code however its name was heard and spelled (core.referrals.find_code).
    Codes made before the digits carried their own check may have no `digits`."""

    __tablename__ = "referral_codes"
    __table_args__ = (
        Index("uq_referral_codes_digits", "digits", unique=True),
        Index(
            "uq_referral_codes_one_active_per_customer",
            "customer_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    code: Mapped[str] = mapped_column(String(32), unique=True)
    digits: Mapped[str | None] = mapped_column(String(16), nullable=True, default=None)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # The name as the customer would say it ("Алиса"), while `code` holds "ALISA4271xx".
    spoken_name: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(default=True)

    customer: Mapped[Customer] = relationship()


class Share(IdMixin, CreatedMixin, Base):
    __tablename__ = "shares"
    __table_args__ = (Index("ix_shares_shop_created", "shop_id", "created_at"),)

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    code_id: Mapped[int] = mapped_column(ForeignKey("referral_codes.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    assistant: Mapped[str | None] = mapped_column(String(16))
    recipient_kind: Mapped[str] = mapped_column(String(8), default="self")  # self | friend
    recipient_hash: Mapped[str | None] = mapped_column(String(64))


class Click(IdMixin, Base):
    __tablename__ = "clicks"
    __table_args__ = (Index("ix_clicks_code_created", "code_id", "created_at"),)

    code_id: Mapped[int] = mapped_column(ForeignKey("referral_codes.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    # Which assistant handed out the link (the invite link's `a=`); None for links made
    # elsewhere (the shop's own pages, QR codes printed before this existed).
    assistant: Mapped[str | None] = mapped_column(String(16))
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    is_bot: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
