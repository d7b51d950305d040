"""Flagged referrals decided by a person: approve (rewards continue through their hold) or
reject (any rewards reversed). One call each inside the caller's unit of work."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import referral_list
from core.errors import NotFound
from core.models import Conversion, Referral, ReferralStatus
from core.paging import Page
from core.referral_list import FLAGGED, ReferralLine
from core.rewards import reverse
from core.services import Services


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


def _flagged(session: Session, shop_id: int, referral_id: int) -> Referral:
    referral = session.scalar(select(Referral).where(
        Referral.id == referral_id, Referral.shop_id == shop_id).with_for_update())
    if referral is None or referral.status != FLAGGED:
        raise NotFound("No flagged referral with this id.", code="not_in_review")
    return referral


def decide(session: Session, services: Services, *, shop_id: int, referral_id: int,
           decision: Decision, reviewer: str) -> Referral:
    """Only a referral of this shop that is still flagged can be decided (NotFound else),
    so two reviewers racing on one referral decide it once (the row is locked)."""
    referral = _flagged(session, shop_id, referral_id)
    now = services.clock()
    conversion = session.scalar(select(Conversion).where(Conversion.referral_id == referral.id))
    if decision is Decision.APPROVE:
        referral.status = (ReferralStatus.CONVERTED if conversion is not None
                           else ReferralStatus.PENDING)
    else:
        referral.status = ReferralStatus.REJECTED
        if conversion is not None:
            reverse(session, conversion, now, note="rejected in review")
    referral.reviewed_at, referral.reviewed_by = now, reviewer
    session.flush()
    return referral


def queue(services: Services, shop_id: int, *, after: int, limit: int) -> Page[ReferralLine]:
    """The shop's flagged referrals waiting for a person, oldest first."""
    return referral_list.page(services, shop_id, status=FLAGGED, after=after, limit=limit)


def decide_as(services: Services, *, shop_id: int, referral_id: int, decision: Decision,
              reviewer: str) -> ReferralLine:
    """`decide` in a unit of work of its own, answering with the decided referral."""
    with services.db.session() as uow:
        referral = decide(uow, services, shop_id=shop_id, referral_id=referral_id,
                          decision=decision, reviewer=reviewer)
        return referral_list.line(uow, shop_id, referral.id)
