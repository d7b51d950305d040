"""A shop, its credentials, its referral program (versioned) and its staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, CreatedMixin, IdMixin


class Shop(IdMixin, CreatedMixin, Base):
    __tablename__ = "shops"

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    invocation_name: Mapped[str] = mapped_column(String(100), default="")
    locale: Mapped[str] = mapped_column(String(16), default="en-US")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    landing_url: Mapped[str] = mapped_column(String(500))
    # Where /r/<code> links point; empty means the server's own public base URL.
    link_base_url: Mapped[str] = mapped_column(String(500), default="")
    # Assistant ids, channel configuration, review settings: small and shop-specific.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)

    programs: Mapped[list[Program]] = relationship(back_populates="shop")

    def setting(self, key: str, default: Any = None) -> Any:
        return (self.settings or {}).get(key, default)


class ShopCredential(IdMixin, CreatedMixin, Base):
    """API keys are stored as a hash; webhook secrets must be usable for HMAC, so they are
    stored encrypted (core.secrets) rather than hashed."""

    __tablename__ = "shop_credentials"
    __table_args__ = (Index("ix_shop_credentials_shop_kind", "shop_id", "kind"),)

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # api_key | webhook_secret | ...
    key_hash: Mapped[str | None] = mapped_column(String(128), unique=True)
    secret_encrypted: Mapped[str | None] = mapped_column(Text)
    prefix: Mapped[str] = mapped_column(String(16), default="")
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    # API keys only: what the key may do (core.accounts.Role; None = manager, the level
    # every key had before roles existed). A label helps a shop tell its keys apart.
    role: Mapped[str | None] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(100), default="")


class Program(IdMixin, CreatedMixin, Base):
    """One row per version; exactly one active per shop. Amounts are integers: minor units
    for money kinds, points for `points`, whole percent for `percent_discount`."""

    __tablename__ = "programs"
    __table_args__ = (
        UniqueConstraint("shop_id", "version"),
        Index(
            "uq_programs_one_active_per_shop",
            "shop_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)
    referrer_reward_kind: Mapped[str] = mapped_column(String(24), default="fixed_discount")
    referrer_reward_amount: Mapped[int] = mapped_column(BigInteger, default=1000)
    friend_reward_kind: Mapped[str] = mapped_column(String(24), default="percent_discount")
    friend_reward_amount: Mapped[int] = mapped_column(BigInteger, default=10)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    min_order_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    hold_days: Mapped[int] = mapped_column(default=14)
    cap_per_referrer_month: Mapped[int | None]
    cap_total: Mapped[int | None]
    level2_percent: Mapped[int | None]
    terms: Mapped[dict[str, Any]] = mapped_column(default=dict)  # locale -> text
    fraud_rules: Mapped[dict[str, Any]] = mapped_column(default=dict)  # rule -> block|flag|off

    shop: Mapped[Shop] = relationship(back_populates="programs")


class StaffUser(IdMixin, CreatedMixin, Base):
    """A shop's staff account (its membership: one shop and one role, core.accounts.Role);
    shop_id None means staff of the operator, who hold their role in every shop.

    password_hash "" means no password yet (an invited or a CLI-created owner who has not
    used their one-time link): nobody can sign in with it."""

    __tablename__ = "staff_users"

    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    # Least privilege for rows of unknown origin: the migration gives existing rows support.
    role: Mapped[str] = mapped_column(String(16), default="support", server_default="support")
    email_verified_at: Mapped[datetime | None]
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"))
    # The language the merchant pages speak to this person (en | de | ru); None: the
    # browser's Accept-Language (migration 0016).
    language: Mapped[str | None] = mapped_column(String(8))


ALLOWED_HOLD_DAYS = (0, 7, 14, 30, 60, 90)
REWARD_KINDS = ("points", "percent_discount", "fixed_discount", "gift_card", "cash")
