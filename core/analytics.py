"""A shop's KPIs, from the rows the lifecycle writes (nothing pre-aggregated), with the
definitions the dashboard prints beside them, so the numbers and their meaning cannot drift.

Every rate divides a step of the funnel by the step before it: click-through = clicks ÷
shares, signup rate = signups ÷ clicks, conversion rate = conversions ÷ signups. Reward sums
are per status of the reward entries and never negative (a refund moves a reward to
"reversed"; the negative reversal rows only balance the ledger), and net = what is still
owed or paid: pending + held + approved."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from core.marks import N_
from core.models import (
    Click,
    Conversion,
    Customer,
    EntryStatus,
    LedgerEntry,
    Referral,
    ReferralStatus,
    Share,
)
from core.services import Services

MONEY_KINDS = ("fixed_discount", "gift_card", "cash")
REWARD_STATUSES = (EntryStatus.PENDING, EntryStatus.HELD, EntryStatus.APPROVED,
                   EntryStatus.REVERSED)
INTERVALS = ("day", "week")
MAX_BUCKETS = 400
DEFAULT_DAYS = 30
NO_ASSISTANT = "none"


DEFINITIONS = {
    "shares": N_("Invites handed out: each time a customer asked for their invite or sent it to a "
              "friend, whatever the channel: a message (SMS, email, WhatsApp, Telegram), the "
              "code spoken by the assistant (voice) or shown on a speaker's screen (screen). "
              "A share with nothing sent counts too."),
    "clicks": N_("Visits to an invite link (/r/<code>), link-preview bots and scripts left out. "
              "A click counts under the channel its link carries: the message's, or screen, "
              "card (the assistant app's card), qr."),
    "click_through_rate": N_("clicks ÷ shares."),
    "signups": N_("Friends who signed up with a code (flagged and blocked ones included; "
               "flagged are also counted apart)."),
    "signup_rate": N_("signups ÷ clicks."),
    "conversions": N_("Referred friends' first qualifying orders."),
    "conversion_rate": N_("conversions ÷ signups."),
    "revenue_minor": N_("Those first orders' amounts less what was refunded (the API and CSV "
                     "give minor units, e.g. cents)."),
    "splits": N_("By channel and by assistant: shares by the channel they went by, clicks by "
              "their link's channel, signups and conversions by where the friend came from "
              "(the signup's invite link, else the code's latest click before the signup); "
              "“none” where that is not known."),
    "rewards_minor": N_("Money rewards (fixed discount, gift card, cash) per status, never "
                     "negative: pending (order seen, refund window not started), "
                     "held (in the refund window), approved (usable), reversed (taken back "
                     "after a refund). net = pending + held + approved."),
}


@dataclass(frozen=True)
class Period:
    """Inclusive UTC calendar days; `None` ends mean unbounded."""

    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        if self.start and self.end and self.start > self.end:
            raise InvalidInput("The range starts after it ends.", code="schema",
                               details={"fields": ["from", "to"]})

    @property
    def since(self) -> datetime | None:
        return datetime.combine(self.start, time.min, UTC) if self.start else None

    @property
    def until(self) -> datetime | None:
        if self.end is None or self.end == date.max:
            return None
        return datetime.combine(self.end + timedelta(days=1), time.min, UTC)

    def where(self, column: Any) -> list[Any]:
        clauses = []
        if self.since is not None:
            clauses.append(column >= self.since)
        if self.until is not None:
            clauses.append(column < self.until)
        return clauses


def parse_period(start: str | None, end: str | None) -> Period:
    """From `YYYY-MM-DD` strings (a form or a query); 422 naming the field otherwise."""
    def one(name: str, value: str | None) -> date | None:
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"`{name}` must be a date like 2026-11-24.", code="schema",
                               details={"fields": [name]}) from None
    return Period(one("from", start), one("to", end))


def rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


@dataclass(frozen=True)
class Split:
    shares: int = 0
    clicks: int = 0
    signups: int = 0
    conversions: int = 0

    @property
    def click_through_rate(self) -> float | None:
        return rate(self.clicks, self.shares)

    def as_dict(self) -> dict[str, Any]:
        return {"shares": self.shares, "clicks": self.clicks,
                "click_through_rate": self.click_through_rate, "signups": self.signups,
                "conversions": self.conversions}


@dataclass(frozen=True)
class Bucket:
    start: date
    shares: int = 0
    clicks: int = 0
    signups: int = 0
    conversions: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "shares": self.shares, "clicks": self.clicks,
                "signups": self.signups, "conversions": self.conversions}


@dataclass(frozen=True)
class Referrer:
    customer: str  # the shop's id for the customer, else "#<our id>"
    name: str
    signups: int
    conversions: int
    revenue_minor: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Kpis:
    shares: dict[str, int] = field(default_factory=dict)  # by channel (the original key)
    clicks: int = 0
    signups: int = 0
    flagged: int = 0
    conversions: int = 0
    revenue_minor: int = 0
    rewards_minor_by_status: dict[str, int] = field(default_factory=dict)
    refunded_minor: int = 0
    by_channel: dict[str, Split] = field(default_factory=dict)
    by_assistant: dict[str, Split] = field(default_factory=dict)
    series: list[Bucket] = field(default_factory=list)
    interval: str = "day"
    top_referrers: list[Referrer] = field(default_factory=list)
    period: Period = field(default_factory=Period)

    @property
    def shares_total(self) -> int:
        return sum(self.shares.values())

    @property
    def click_through_rate(self) -> float | None:
        return rate(self.clicks, self.shares_total)

    @property
    def signup_rate(self) -> float | None:
        return rate(self.signups, self.clicks)

    @property
    def conversion_rate(self) -> float | None:
        """Conversions per signup: of the friends who joined, the share who then ordered."""
        return rate(self.conversions, self.signups)

    @property
    def rewards_minor(self) -> dict[str, int]:
        sums = {s.value: self.rewards_minor_by_status.get(s, 0) for s in REWARD_STATUSES}
        return {**sums, "net": sums["pending"] + sums["held"] + sums["approved"]}

    @property
    def funnel(self) -> list[dict[str, Any]]:
        steps = [("shares", self.shares_total), ("clicks", self.clicks),
                 ("signups", self.signups), ("conversions", self.conversions)]
        out, previous = [], None
        for name, count in steps:
            out.append({"step": name, "count": count,
                        "rate": None if previous is None else rate(count, previous)})
            previous = count
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "shares": dict(self.shares), "clicks": self.clicks, "signups": self.signups,
            "flagged": self.flagged, "conversions": self.conversions,
            "revenue_minor": self.revenue_minor,
            "rewards_minor_by_status": dict(self.rewards_minor_by_status),
            "conversion_rate": self.conversion_rate,
            "shares_total": self.shares_total, "click_through_rate": self.click_through_rate,
            "signup_rate": self.signup_rate, "refunded_minor": self.refunded_minor,
            "rewards_minor": self.rewards_minor,
            "by_channel": {k: v.as_dict() for k, v in sorted(self.by_channel.items())},
            "by_assistant": {k: v.as_dict() for k, v in sorted(self.by_assistant.items())},
            "interval": self.interval, "series": [b.as_dict() for b in self.series],
            "top_referrers": [r.as_dict() for r in self.top_referrers],
            "funnel": self.funnel,
            "range": {"from": self.period.start.isoformat() if self.period.start else None,
                      "to": self.period.end.isoformat() if self.period.end else None},
            "definitions": DEFINITIONS,
        }


def _days_before(day: date, days: int) -> date:
    """`days` before `day`, or the first day a date can be (a range ending in year 1 is
    still a range, not an overflow)."""
    return day - timedelta(days=days) if day.toordinal() > days else date.min


def _bucket_start(day: date, interval: str) -> date:
    return day - timedelta(days=day.weekday()) if interval == "week" else day


def _series(session: Session, shop_id: int, period: Period, interval: str,
            today: date) -> list[Bucket]:
    end = period.end or today
    start = period.start or _days_before(end, DEFAULT_DAYS - 1)
    step = timedelta(days=7 if interval == "week" else 1)
    last = _bucket_start(end, interval)
    first = _bucket_start(start, interval)
    if (last - first) // step >= MAX_BUCKETS:  # a long range: its latest buckets only
        first = last - step * (MAX_BUCKETS - 1)  # (the totals still cover all of it)
    window = Period(first, end)
    counts: dict[str, Counter[date]] = {}
    for name, model, extra in (
            ("shares", Share, ()), ("clicks", Click, (Click.is_bot.is_(False),)),
            ("signups", Referral, ()), ("conversions", Conversion, ())):
        stamps = session.scalars(select(model.created_at).where(
            model.shop_id == shop_id, *extra, *window.where(model.created_at)))
        counts[name] = Counter(_bucket_start(s.astimezone(UTC).date(), interval)
                               for s in stamps)
    starts = [first + step * n for n in range((last - first) // step + 1)]  # none past last
    return [Bucket(day, **{name: c[day] for name, c in counts.items()}) for day in starts]


def _splits(*counts: Iterable[Any]) -> dict[str, Split]:
    """(key, count) rows of shares, clicks, signups and conversions -> one Split per key
    (None -> "none")."""
    by = [Counter[str]() for _ in range(4)]
    for target, rows in zip(by, counts, strict=False):
        for k, v in rows:
            target[k or NO_ASSISTANT] += int(v)
    keys = sorted(set().union(*by))
    return {k: Split(*(c[k] for c in by)) for k in keys}


def _referral_splits(session: Session, shop_id: int, period: Period,
                     column: Any) -> tuple[list[Any], list[Any]]:
    """Signups and conversions per value of a referral column (channel or assistant)."""
    signups = session.execute(
        select(column, func.count(Referral.id))
        .where(Referral.shop_id == shop_id, *period.where(Referral.created_at))
        .group_by(column)).all()
    conversions = session.execute(
        select(column, func.count(Conversion.id))
        .join(Referral, Referral.id == Conversion.referral_id)
        .where(Conversion.shop_id == shop_id, *period.where(Conversion.created_at))
        .group_by(column)).all()
    return list(signups), list(conversions)


def _top_referrers(session: Session, shop_id: int, period: Period,
                   limit: int) -> list[Referrer]:
    rows = session.execute(
        select(Referral.referrer_id, Customer.external_id, Customer.name,
               func.count(Referral.id), func.count(Conversion.id),
               func.coalesce(func.sum(Conversion.amount - Conversion.refunded_amount), 0))
        .join(Customer, Customer.id == Referral.referrer_id)
        .outerjoin(Conversion, Conversion.referral_id == Referral.id)
        .where(Referral.shop_id == shop_id, *period.where(Referral.created_at))
        .group_by(Referral.referrer_id, Customer.external_id, Customer.name)
        .order_by(func.count(Conversion.id).desc(), func.count(Referral.id).desc(),
                  Referral.referrer_id)
        .limit(limit)).all()
    return [Referrer(external or f"#{rid}", name or "", int(signups), int(conversions),
                     int(revenue)) for rid, external, name, signups, conversions, revenue
            in rows]


def kpis(session: Session, shop_id: int, *, today: date, period: Period | None = None,
         interval: str = "day", top: int = 10) -> Kpis:
    """Totals over `period` (all time when None); the series covers the period, or the last
    30 days up to `today` (the injected clock's date) when it has no ends."""
    period = period or Period()
    if interval not in INTERVALS:
        raise InvalidInput("`interval` is day or week.", code="schema",
                           details={"fields": ["interval"]})
    share_where = [Share.shop_id == shop_id, *period.where(Share.created_at)]
    click_where = [Click.shop_id == shop_id, Click.is_bot.is_(False),
                   *period.where(Click.created_at)]
    shares = dict(session.execute(select(Share.channel, func.count(Share.id))
                                  .where(*share_where).group_by(Share.channel)).all())
    clicks_by_channel = session.execute(select(Click.channel, func.count(Click.id))
                                        .where(*click_where).group_by(Click.channel)).all()
    referral_where = [Referral.shop_id == shop_id, *period.where(Referral.created_at)]
    signups = session.scalar(select(func.count(Referral.id)).where(*referral_where)) or 0
    flagged = session.scalar(select(func.count(Referral.id)).where(
        *referral_where, Referral.status == ReferralStatus.FLAGGED)) or 0
    conversions, gross, refunded = session.execute(select(
        func.count(Conversion.id), func.coalesce(func.sum(Conversion.amount), 0),
        func.coalesce(func.sum(Conversion.refunded_amount), 0))
        .where(Conversion.shop_id == shop_id, *period.where(Conversion.created_at))).one()
    rewards = dict(session.execute(
        select(LedgerEntry.status, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.shop_id == shop_id, LedgerEntry.kind.in_(MONEY_KINDS),
               LedgerEntry.entry_type == "reward", *period.where(LedgerEntry.created_at))
        .group_by(LedgerEntry.status)).all())
    by_assistant = _splits(
        session.execute(select(Share.assistant, func.count(Share.id)).where(*share_where)
                        .group_by(Share.assistant)).all(),
        session.execute(select(Click.assistant, func.count(Click.id)).where(*click_where)
                        .group_by(Click.assistant)).all(),
        *_referral_splits(session, shop_id, period, Referral.assistant))
    return Kpis(
        shares={k: int(v) for k, v in shares.items()},
        clicks=sum(int(v) for _, v in clicks_by_channel), signups=int(signups),
        flagged=int(flagged), conversions=int(conversions),
        revenue_minor=int(gross) - int(refunded), refunded_minor=int(refunded),
        rewards_minor_by_status={k: max(0, int(v or 0)) for k, v in rewards.items()},
        by_channel=_splits(list(shares.items()), list(clicks_by_channel),
                           *_referral_splits(session, shop_id, period, Referral.channel)),
        by_assistant=by_assistant, interval=interval,
        series=_series(session, shop_id, period, interval, today),
        top_referrers=_top_referrers(session, shop_id, period, top), period=period)


def report(services: Services, shop_id: int, *, start: str | None = None,
           end: str | None = None, interval: str = "day") -> Kpis:
    """The shop's KPIs over the UTC days `start`..`end` (ISO dates, either may be absent;
    InvalidInput naming the field otherwise), today by the injected clock."""
    period = parse_period(start, end)
    with services.db.session() as uow:
        return kpis(uow, shop_id, today=services.clock().date(), period=period,
                    interval=interval)
