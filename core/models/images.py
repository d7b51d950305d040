"""Images an assistant must host itself (Alice shows only images uploaded to Yandex):
one row per shop, platform and code, with the platform's image id once uploaded."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, CreatedMixin, IdMixin, now_column


class ImageStatus(StrEnum):
    """An image is `pending` until the platform holds it (`ready`) or gave up (`failed`)."""

    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


class ExternalImage(IdMixin, CreatedMixin, Base):
    __tablename__ = "external_images"
    __table_args__ = (UniqueConstraint("shop_id", "platform", "code"),
                      Index("ix_external_images_due", "status", "next_attempt_at"))

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))  # alice
    code: Mapped[str] = mapped_column(String(32))
    image_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default=ImageStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = now_column()
    last_error: Mapped[str | None] = mapped_column(Text)
