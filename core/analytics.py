"""A shop's KPIs: shares by channel, clicks, signups, conversions, conversion rate,
revenue and rewards, from the rows the lifecycle writes (nothing pre-aggregated)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Click, Conversion, LedgerEntry, Referral, Share


@dataclass(frozen=True)
class Kpis:
    shares: dict[str, int] = field(default_factory=dict)
    clicks: int = 0
    signups: int = 0
    flagged: int = 0
    conversions: int = 0
    revenue_minor: int = 0
    rewards_minor_by_status: dict[str, int] = field(default_factory=dict)

    @property
    def conversion_rate(self) -> float | None:
        """Conversions per click: the share of friends who clicked and then ordered."""
        return round(self.conversions / self.clicks, 4) if self.clicks else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "conversion_rate": self.conversion_rate}


def kpis(session: Session, shop_id: int) -> Kpis:
    shares = dict(session.execute(select(Share.channel, func.count(Share.id))
                                  .where(Share.shop_id == shop_id).group_by(Share.channel)).all())
    clicks = session.scalar(select(func.count(Click.id)).where(Click.shop_id == shop_id,
                                                               Click.is_bot.is_(False))) or 0
    signups = session.scalar(select(func.count(Referral.id)).where(
        Referral.shop_id == shop_id)) or 0
    flagged = session.scalar(select(func.count(Referral.id)).where(
        Referral.shop_id == shop_id, Referral.status == "flagged")) or 0
    conversions, revenue = session.execute(select(
        func.count(Conversion.id), func.coalesce(func.sum(Conversion.amount), 0))
        .where(Conversion.shop_id == shop_id)).one()
    rewards = dict(session.execute(
        select(LedgerEntry.status, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.shop_id == shop_id,
               LedgerEntry.kind.in_(("fixed_discount", "gift_card", "cash")))
        .group_by(LedgerEntry.status)).all())
    return Kpis(shares={k: int(v) for k, v in shares.items()}, clicks=int(clicks),
                signups=int(signups), flagged=int(flagged), conversions=int(conversions),
                revenue_minor=int(revenue),
                rewards_minor_by_status={k: int(v or 0) for k, v in rewards.items()})
