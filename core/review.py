"""Flagged referrals decided by a person: approve (rewards continue through their hold) or
reject (any rewards reversed). One call each inside the caller's unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import referral_list
from core.errors import NotFound
from core.hashing import keyed_hash
from core.marks import N_
from core.models import Conversion, Customer, Referral, ReferralStatus
from core.paging import Page, page_of
from core.referral_list import FLAGGED, ReferralLine
from core.rewards import reverse
from core.services import Services

MAX_REASON = 500


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
           decision: Decision, reviewer: str, reason: str = "") -> Referral:
    """Only a referral of this shop that is still flagged can be decided (NotFound else),
    so two reviewers racing on one referral decide it once (the row is locked). `reason`:
    the reviewer's words, kept with the decision."""
    referral = _flagged(session, shop_id, referral_id)
    referral.review_reason = reason.strip()[:MAX_REASON] or None
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
              reviewer: str, reason: str = "") -> ReferralLine:
    """`decide` in a unit of work of its own, answering with the decided referral."""
    with services.db.session() as uow:
        referral = decide(uow, services, shop_id=shop_id, referral_id=referral_id,
                          decision=decision, reviewer=reviewer, reason=reason)
        return referral_list.line(uow, shop_id, referral.id)


@dataclass(frozen=True)
class BulkOutcome:
    decided: tuple[int, ...]
    not_in_review: tuple[int, ...]  # another reviewer was first, or not this shop's


def decide_many(services: Services, *, shop_id: int, referral_ids: list[int],
                decision: Decision, reviewer: str, reason: str = "") -> BulkOutcome:
    """The same decision for several referrals, each in its own unit of work (one already
    decided elsewhere does not undo the others)."""
    decided, skipped = [], []
    for referral_id in dict.fromkeys(referral_ids):
        try:
            decide_as(services, shop_id=shop_id, referral_id=referral_id, decision=decision,
                      reviewer=reviewer, reason=reason)
            decided.append(referral_id)
        except NotFound:
            skipped.append(referral_id)
    return BulkOutcome(tuple(decided), tuple(skipped))


# --- the evidence a reviewer reads: the rule that fired and its facts, hashed -------------

@dataclass(frozen=True)
class Evidence:
    rule: str  # the fraud reason code
    facts: tuple[tuple[str, str], ...]  # (what, value): counts, short hashes, never PII


def short_hash(services: Services, value: str | None) -> str:
    """A keyed hash's first 12 characters: the same value shows the same, nobody can read
    it back."""
    return keyed_hash(services.settings.hash_key, value)[:12] if value else "—"


def evidence(session: Session, services: Services, referral: Referral) -> list[Evidence]:
    """Per fired rule, the facts behind it as the shop may see them."""
    friend = session.get(Customer, referral.friend_id)
    referrer = session.get(Customer, referral.referrer_id)
    f_email, f_phone = (friend.email, friend.phone) if friend else (None, None)
    r_email, r_phone = (referrer.email, referrer.phone) if referrer else (None, None)
    found: list[Evidence] = []
    for rule in referral.reasons or ():
        facts: list[tuple[str, str]] = []
        if rule == "velocity_ip":
            same_ip = session.scalar(select(func.count(Referral.id)).where(
                Referral.shop_id == referral.shop_id, Referral.ip_hash == referral.ip_hash,
                Referral.created_at >= referral.created_at - timedelta(days=1),
                Referral.created_at <= referral.created_at)) if referral.ip_hash else 0
            facts = [(N_("ip (hashed)"), (referral.ip_hash or "—")[:12]),
                     (N_("signups from this ip in the 24 hours before"), str(same_ip or 0))]
        elif rule == "velocity_code":
            same_code = session.scalar(select(func.count(Referral.id)).where(
                Referral.code_id == referral.code_id,
                Referral.created_at >= referral.created_at - timedelta(hours=1),
                Referral.created_at <= referral.created_at))
            facts = [(N_("signups with this code in the hour before"), str(same_code or 0))]
        elif rule == "disposable_email":
            domain = (f_email or "").partition("@")[2] or "—"
            facts = [(N_("friend's email (hashed)"), short_hash(services, f_email)),
                     (N_("email domain on the disposable list"), domain)]
        elif rule in ("self_referral", "existing_customer", "already_referred"):
            facts = [(N_("friend's email (hashed)"), short_hash(services, f_email)),
                     (N_("referrer's email (hashed)"), short_hash(services, r_email)),
                     (N_("friend's phone (hashed)"), short_hash(services, f_phone)),
                     (N_("referrer's phone (hashed)"), short_hash(services, r_phone))]
        found.append(Evidence(rule, tuple(facts)))
    return found


@dataclass(frozen=True)
class Flagged:
    line: ReferralLine
    channel: str | None
    assistant: str | None
    evidence: tuple[Evidence, ...]


def flagged_with_evidence(services: Services, shop_id: int, *, rule: str = "",
                          after: int = 0, limit: int = 50) -> Page[Flagged]:
    """The queue as a reviewer reads it: oldest first, optionally one rule's only."""
    with services.db.session() as uow:
        where = [Referral.shop_id == shop_id, Referral.status == FLAGGED, Referral.id > after]
        rows = list(uow.scalars(select(Referral).where(*where).order_by(Referral.id)))
        if rule:
            rows = [r for r in rows if rule in (r.reasons or ())]
        rows = rows[:limit + 1]
        return page_of(rows, limit, lambda r: Flagged(
            referral_list.line(uow, shop_id, r.id), r.channel, r.assistant,
            tuple(evidence(uow, services, r))), key=lambda r: r.id)
