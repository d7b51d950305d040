"""What each assistant last sent a shop: one small row per shop and platform, upserted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.assistants import VARIANTS
from core.models.base import Base, IdMixin

PLATFORMS = VARIANTS  # one row per shop and assistant variant (core.assistants)
MCP = "mcp"  # the MCP server (fulfillment/mcp): one status for all its hosts


class AssistantStatus(IdMixin, Base):
    """The last verified request (time, intent, locale) and the last refusal (time, reason)
    from one platform for one shop, so the connect page can say whether the console setup
    works. Written coalesced and off the turn (core.assistant_status)."""

    __tablename__ = "assistant_status"
    __table_args__ = (UniqueConstraint("shop_id", "platform"),)

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    accepted_at: Mapped[datetime | None]
    accepted_intent: Mapped[str] = mapped_column(String(100), default="")
    accepted_locale: Mapped[str] = mapped_column(String(16), default="")
    accepted_count: Mapped[int] = mapped_column(default=0)
    refused_at: Mapped[datetime | None]
    refused_reason: Mapped[str] = mapped_column(String(300), default="")
    refused_count: Mapped[int] = mapped_column(default=0)
    latest: Mapped[str] = mapped_column(String(8), default="")  # accepted | refused


class CacheInvalidation(IdMixin, Base):
    """One row per change that per-process caches must not outlive (a shop deleted, a
    customer's codes erased). Every process compares the highest id with the one its caches
    were built against (core.cache_invalidation) and drops them when it grew, so no worker
    keeps redirecting a code that is gone. Nothing references these rows; `shop_id` only
    says whose change it was."""

    __tablename__ = "cache_invalidations"

    shop_id: Mapped[int | None]
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
