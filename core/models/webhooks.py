"""Where a shop wants each kind of event sent: one endpoint (URL + signing secret) per
event type. Deliveries are OutboundWebhook rows pointing at their endpoint."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, CreatedMixin, IdMixin

WEBHOOK_EVENT_TYPES = (
    "reward.approved",
    "reward.reversed",
    "referral.created",
    "referral.flagged",
    "conversion.created",
    "share.created",
    "customer.opted_out",
)


class WebhookEndpoint(IdMixin, CreatedMixin, Base):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (UniqueConstraint("shop_id", "event_type"),)

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(String(500))
    # Sealed (core.secrets_box): HMAC needs the secret itself. Shown once when made.
    secret_encrypted: Mapped[str] = mapped_column(Text)
    secret_prefix: Mapped[str] = mapped_column(String(16), default="")
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime | None]
