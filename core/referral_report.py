"""Every referral of a shop as the back office lists it: referrer, the friend masked, where
the friend came from (channel, assistant), status, the order and the rewards; filtered by
status, channel, assistant, referrer and a date range; newest first in keyset pages, or all
of them for a CSV (one row per referral). The friend's address is never shown whole."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from core.analytics import Period, parse_period
from core.contacts import mask_email, mask_phone
from core.errors import InvalidInput
from core.models import CHANNELS, Conversion, Customer, LedgerEntry, Referral, ReferralCode
from core.models.rewards import REFERRAL_STATUSES
from core.paging import MAX_AFTER, Page, page_of
from core.services import Services

PAGE_SIZE = 50
CSV_BATCH = 500
UNKNOWN = "none"  # a referral whose channel or assistant is not known (the filter's value)
CHANNEL_CHOICES = (*CHANNELS, UNKNOWN)
__all__ = ["CHANNEL_CHOICES", "REFERRAL_STATUSES", "Filters", "ReferralRow", "every", "page",
           "parse_filters"]


@dataclass(frozen=True)
class Filters:
    status: str = ""
    channel: str = ""
    assistant: str = ""
    referrer: str = ""  # the shop's id for the referrer
    period: Period = field(default_factory=Period)

    def as_query(self) -> dict[str, str]:
        """The filters as the page's query string names them (empty ones left out)."""
        found = {"status": self.status, "channel": self.channel, "assistant": self.assistant,
                 "referrer": self.referrer,
                 "from": self.period.start.isoformat() if self.period.start else "",
                 "to": self.period.end.isoformat() if self.period.end else ""}
        return {k: v for k, v in found.items() if v}


def parse_filters(args: Any) -> Filters:
    """From a query string; an unknown status or a bad date is InvalidInput naming it."""
    status = (args.get("status") or "").strip()
    if status and status not in REFERRAL_STATUSES:
        raise InvalidInput(f"`status` is one of {', '.join(REFERRAL_STATUSES)}.",
                           code="schema", details={"fields": ["status"]})
    return Filters(status=status, channel=(args.get("channel") or "").strip()[:16],
                   assistant=(args.get("assistant") or "").strip()[:16],
                   referrer=(args.get("referrer") or "").strip()[:128],
                   period=parse_period(args.get("from"), args.get("to")))


@dataclass(frozen=True)
class Reward:
    side: str  # referrer | friend | level2
    kind: str
    amount: int  # minor units (percent for a percent discount)
    currency: str
    status: str


@dataclass(frozen=True)
class ReferralRow:
    id: int
    created_at: datetime
    status: str
    reasons: tuple[str, ...]
    referrer: str | None  # the shop's id (None once erased)
    referrer_name: str
    friend: str  # masked: "a***@example.com", "+15***23", else "—"
    channel: str | None
    assistant: str | None
    code: str
    order_id: str | None
    order_amount: int | None  # minor units
    refunded: int
    currency: str | None
    rewards: tuple[Reward, ...]
    reviewed_by: str | None
    review_reason: str | None


def masked(email: str | None, phone: str | None) -> str:
    if email:
        return mask_email(email)
    if phone:
        return mask_phone(phone)
    return "—"


_REFERRER, _FRIEND = aliased(Customer), aliased(Customer)


def _where(shop_id: int, filters: Filters) -> list[Any]:
    where: list[Any] = [Referral.shop_id == shop_id, *filters.period.where(Referral.created_at)]
    if filters.status:
        where.append(Referral.status == filters.status)
    for column, value in ((Referral.channel, filters.channel),
                          (Referral.assistant, filters.assistant)):
        if value == UNKNOWN:
            where.append(column.is_(None))
        elif value:
            where.append(column == value)
    if filters.referrer:
        where.append(_REFERRER.external_id == filters.referrer)
    return where


def _rows(session: Session, where: list[Any], limit: int) -> list[ReferralRow]:
    found = session.execute(
        select(Referral, _REFERRER.external_id, _REFERRER.name, _FRIEND.email, _FRIEND.phone,
               ReferralCode.code, Conversion.order_id, Conversion.amount,
               Conversion.refunded_amount, Conversion.currency)
        .join(_REFERRER, _REFERRER.id == Referral.referrer_id)
        .join(_FRIEND, _FRIEND.id == Referral.friend_id)
        .join(ReferralCode, ReferralCode.id == Referral.code_id)
        .outerjoin(Conversion, Conversion.referral_id == Referral.id)
        .where(*where).order_by(Referral.id.desc()).limit(limit)).all()
    rewards: dict[int, list[Reward]] = defaultdict(list)
    ids = [row[0].id for row in found]
    if ids:
        for e in session.scalars(select(LedgerEntry).where(
                LedgerEntry.referral_id.in_(ids), LedgerEntry.entry_type == "reward")
                .order_by(LedgerEntry.id)):
            rewards[e.referral_id].append(Reward(e.side, e.kind, e.amount, e.currency,
                                                 e.status))
    out = []
    for row in found:
        r: Referral = row[0]
        out.append(ReferralRow(
            r.id, r.created_at, r.status, tuple(r.reasons or ()), row[1], row[2] or "",
            masked(row[3], row[4]), r.channel, r.assistant, row[5], row[6], row[7],
            int(row[8] or 0), row[9], tuple(rewards[r.id]), r.reviewed_by, r.review_reason))
    return out


def page(services: Services, shop_id: int, filters: Filters, *, before: int = MAX_AFTER,
         limit: int = PAGE_SIZE) -> Page[ReferralRow]:
    """Newest first, the ones older than id `before`; `next` is the `before` of the next."""
    with services.db.session() as uow:
        rows = _rows(uow, [*_where(shop_id, filters), Referral.id < before], limit + 1)
    return page_of(rows, limit, lambda row: row, key=lambda row: row.id)


def every(services: Services, shop_id: int, filters: Filters) -> Iterator[ReferralRow]:
    """All matching referrals, newest first, read in batches (a CSV of any size)."""
    before = MAX_AFTER
    while True:
        with services.db.session() as uow:
            rows = _rows(uow, [*_where(shop_id, filters), Referral.id < before], CSV_BATCH)
        yield from rows
        if len(rows) < CSV_BATCH:
            return
        before = rows[-1].id
