"""Referrals as the shop sees them: both people by the shop's own ids, the code, the status
and the fraud reasons, read in one query. The shop API's list and review queue read pages
of these; a review decision answers with the decided one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from core.db import UnitOfWork
from core.errors import NotFound
from core.models import Customer, Referral, ReferralCode
from core.models.rewards import REFERRAL_STATUSES, ReferralStatus
from core.paging import Page, page_of
from core.services import Services

__all__ = ["FLAGGED", "REFERRAL_STATUSES", "ReferralLine", "line", "page"]

FLAGGED = ReferralStatus.FLAGGED  # waiting for a person (core.review)


@dataclass(frozen=True)
class ReferralLine:
    id: int
    status: str
    reasons: tuple[str, ...]  # fraud rule reason codes
    referrer: str | None  # the shop's customer ids (None once erased)
    friend: str | None
    code: str
    created_at: datetime
    reviewed_at: datetime | None


_REFERRER, _FRIEND = aliased(Customer), aliased(Customer)


def _lines(uow: UnitOfWork, shop_id: int, *where: Any, limit: int) -> list[ReferralLine]:
    rows = uow.execute(
        select(Referral, _REFERRER.external_id, _FRIEND.external_id, ReferralCode.code)
        .join(_REFERRER, _REFERRER.id == Referral.referrer_id)
        .join(_FRIEND, _FRIEND.id == Referral.friend_id)
        .join(ReferralCode, ReferralCode.id == Referral.code_id)
        .where(Referral.shop_id == shop_id, *where)
        .order_by(Referral.id).limit(limit))
    return [ReferralLine(r.id, r.status, tuple(r.reasons or ()), referrer, friend, code,
                         r.created_at, r.reviewed_at) for r, referrer, friend, code in rows]


def page(services: Services, shop_id: int, *, status: str | None, after: int,
         limit: int) -> Page[ReferralLine]:
    """The shop's referrals after id `after`, oldest first, optionally of one status."""
    where = [Referral.id > after] + ([Referral.status == status] if status else [])
    with services.db.session() as uow:
        rows = _lines(uow, shop_id, *where, limit=limit + 1)
    return page_of(rows, limit, lambda line: line, key=lambda line: line.id)


def line(uow: UnitOfWork, shop_id: int, referral_id: int) -> ReferralLine:
    """One referral of the shop, inside the caller's unit of work."""
    found = _lines(uow, shop_id, Referral.id == referral_id, limit=1)
    if not found:
        raise NotFound("No such referral.", code="unknown_referral")
    return found[0]
