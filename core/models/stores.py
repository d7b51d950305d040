"""A shop's online store (Shopify, WooCommerce) and the work we owe it: discounts to create,
reward codes to issue, webhook subscriptions to register. Store credentials are sealed
(core.secrets_box) because we must send them; only their last characters are kept clear."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, CreatedMixin, IdMixin, now_column

STORE_PLATFORMS = ("shopify", "woocommerce")
STORE_JOB_KINDS = ("register_webhooks", "friend_discount", "friend_discount_update",
                   "reward_code")


class StoreJobStatus(StrEnum):
    """A store job is `pending` (and retried) until it is `done` or has `failed` for good."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class StoreConnection(IdMixin, CreatedMixin, Base):
    """One store per shop. `credentials_sealed` holds a sealed JSON object (Shopify: the
    Admin API access token; WooCommerce: consumer key and secret)."""

    __tablename__ = "store_connections"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"),
                                         unique=True)
    platform: Mapped[str] = mapped_column(String(16))
    # Shopify: the shop domain (example.myshopify.com); WooCommerce: the site's base URL.
    store_url: Mapped[str] = mapped_column(String(300))
    api_version: Mapped[str] = mapped_column(String(16), default="")
    credentials_sealed: Mapped[str] = mapped_column(Text)
    webhook_secret_sealed: Mapped[str] = mapped_column(Text)
    hint: Mapped[str] = mapped_column(String(16), default="")  # last characters of the token
    gift_card_rewards: Mapped[bool] = mapped_column(default=False)
    webhooks_registered_at: Mapped[datetime | None]
    last_webhook_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The app was uninstalled (app/uninstalled) or the shop disconnected: credentials are
    # gone, nothing calls the store; the row stays so shop/redact still finds the shop.
    disconnected_at: Mapped[datetime | None]


class StoreJob(IdMixin, CreatedMixin, Base):
    """Work against the store's API, done by a job (never in a voice turn or a webhook),
    retried with backoff. `key` makes enqueueing idempotent; `code` is fixed when the job is
    made, so a retry after a lost answer asks for the same code and the store's "already
    exists" means done. `customer_id` names whose code it is (privacy export)."""

    __tablename__ = "store_jobs"
    __table_args__ = (Index("ix_store_jobs_due", "status", "next_attempt_at"),)

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    key: Mapped[str] = mapped_column(String(128), unique=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    code: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=StoreJobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = now_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    done_at: Mapped[datetime | None]


class InboxStatus(StrEnum):
    """A stored delivery: `pending` until processed (`done`), refused for good with a
    reason (`refused`: a value out of range, a refund for another currency), or given up
    after its retries (`dead`). Refused and dead rows are the dead-letter view."""

    PENDING = "pending"
    DONE = "done"
    REFUSED = "refused"
    DEAD = "dead"


class StoreWebhook(IdMixin, Base):
    """The store inbox: every verified delivery, stored by the store's delivery id before it
    is answered (WooCommerce never sends a delivery again, Shopify at least once), then
    processed from here, retried when processing fails. The body is kept until the delivery
    is done (then cleared: it names the buyer), and kept for a person to see when refused or
    dead."""

    __tablename__ = "store_webhooks"
    __table_args__ = (UniqueConstraint("shop_id", "platform", "delivery_id"),
                      Index("ix_store_webhooks_due", "status", "next_attempt_at"))

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    delivery_id: Mapped[str] = mapped_column(String(128))
    topic: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = now_column()
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=InboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None]


class ShopifyInstall(IdMixin, Base):
    """One Shopify OAuth install in flight: the `state` nonce we sent to the authorization
    page, used once (the callback must bring it back for the same shop domain), within
    INSTALL_TTL. `shop_id`: our shop, when the install began on its store page."""

    __tablename__ = "shopify_installs"

    state: Mapped[str] = mapped_column(String(64), unique=True)
    shop_domain: Mapped[str] = mapped_column(String(255))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = now_column()
    used_at: Mapped[datetime | None]
