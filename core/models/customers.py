"""Customers of a shop and the voice identities linked to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, CreatedMixin, IdMixin
from core.models.shops import Shop


class Customer(IdMixin, CreatedMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("shop_id", "external_id"),
        Index("ix_customers_shop_email_canonical", "shop_id", "email_canonical"),
        Index("ix_customers_shop_phone", "shop_id", "phone"),
    )

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    external_id: Mapped[str | None] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200), default="")
    # email as the person typed it (normalized by email-validator) and its canonical form
    # (lowercase, +tag stripped, Gmail dots removed) for duplicate and fraud checks.
    email: Mapped[str | None] = mapped_column(String(320))
    email_canonical: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    locale: Mapped[str] = mapped_column(String(16), default="en-US")
    timezone: Mapped[str | None] = mapped_column(String(64))
    email_confirmed_at: Mapped[datetime | None]
    phone_confirmed_at: Mapped[datetime | None]
    consent_email: Mapped[bool] = mapped_column(default=False)
    consent_sms: Mapped[bool] = mapped_column(default=False)
    signed_up_at: Mapped[datetime | None]
    # The first order we know of (an order event or a store webhook): a customer who has
    # ordered before is not a new customer when a referral code turns up at checkout.
    first_order_at: Mapped[datetime | None]

    shop: Mapped[Shop] = relationship()


class VoiceIdentity(IdMixin, CreatedMixin, Base):
    """An assistant's user id linked to a customer. A household speaker shares one id, so
    the id alone never decides fraud."""

    __tablename__ = "voice_identities"
    __table_args__ = (UniqueConstraint("shop_id", "assistant", "assistant_user_id"),)

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    assistant: Mapped[str] = mapped_column(String(16))  # alexa | google | alice
    assistant_user_id: Mapped[str] = mapped_column(String(512))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    linked_at: Mapped[datetime | None]

    customer: Mapped[Customer] = relationship()


class PairingChallenge(IdMixin, CreatedMixin, Base):
    """A one-time code sent to an address a voice user claims; linking happens only when
    they say it back."""

    __tablename__ = "pairing_challenges"
    __table_args__ = (Index("ix_pairing_voice_user", "shop_id", "assistant", "assistant_user_id"),)

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    assistant: Mapped[str] = mapped_column(String(16))
    assistant_user_id: Mapped[str] = mapped_column(String(512))
    channel: Mapped[str] = mapped_column(String(16))  # sms | email
    address: Mapped[str] = mapped_column(String(320))
    code_hash: Mapped[str] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime]
    verified_at: Mapped[datetime | None]
