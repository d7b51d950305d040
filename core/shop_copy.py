"""Copy one shop's configuration into another (empty) database: the shop row with its
settings, its program versions, its customers with their voice identities, active codes,
uploaded assistant images and the opt-outs that apply to it (so a case hears what the live
shop would say). Conversation tests run against such a copy so that what a case
writes (shares, outbox messages, pairing challenges) never lands in the live data and never
leaks into the next case. The source is only read."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, insert, select

from core.db import Database
from core.errors import NotFound
from core.models import (
    Customer,
    ExternalImage,
    ImageStatus,
    Program,
    ReferralCode,
    Shop,
    Suppression,
    VoiceIdentity,
)

NEW_VOICE_USER_PREFIX = "sandbox-new-"  # core.simulation

# Parents before children, so the copy satisfies its foreign keys row by row.
_COPIED = (Program, Customer, VoiceIdentity, ReferralCode, ExternalImage, Suppression)
_BATCH = 1000


def _rows_filter(model: type, shop_id: int) -> list[Any]:
    if model is Suppression:  # the operator's own opt-outs (no shop) apply to every shop
        return [(Suppression.shop_id == shop_id) | Suppression.shop_id.is_(None),
                Suppression.lifted_at.is_(None)]
    conditions = [model.shop_id == shop_id]  # type: ignore[attr-defined]
    if model is ReferralCode:
        conditions.append(ReferralCode.active.is_(True))
    if model is ExternalImage:
        conditions.append(ExternalImage.status == ImageStatus.READY)
    if model is VoiceIdentity:  # a console's "new voice user", paired there: not a real one
        conditions.append(VoiceIdentity.assistant_user_id.not_like(
            f"{NEW_VOICE_USER_PREFIX}%"))
    return conditions


def copy_shop(source: Database, target: Database, slug: str) -> int:
    """Copy the shop `slug` from `source` into `target` (same ids); returns the shop id.
    Raises NotFound if the source has no such shop."""
    with source.engine.connect() as src, target.engine.begin() as dst:
        shop = src.execute(select(Shop.__table__).where(Shop.slug == slug)).mappings().first()
        if shop is None:
            raise NotFound(f"No shop {slug!r}.", code="unknown_shop")
        dst.execute(insert(cast(Table, Shop.__table__)), [dict(shop)])
        for model in _COPIED:
            table = cast(Table, model.__table__)
            result = src.execute(select(table).where(*_rows_filter(model, shop["id"]))
                                 .order_by(table.c.id))
            while batch := result.mappings().fetchmany(_BATCH):
                dst.execute(insert(table), [dict(row) for row in batch])
        return int(shop["id"])
