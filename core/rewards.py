"""The two-sided reward ledger: entries are written at the friend's first qualifying order
(pending), the release job moves them to held for the refund window and then approves them;
a refund writes reversal entries. Balances are sums over entries, never stored."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, insert, select
from sqlalchemy.orm import Session

from core import webhook_events
from core.clock import as_utc
from core.models import (
    Conversion,
    Customer,
    EntryStatus,
    LedgerEntry,
    Program,
    Referral,
    ReferralStatus,
    Shop,
)
from core.prepared import Prepared
from core.services import Services
from core.stores import jobs as store_jobs

MONEY_KINDS = ("fixed_discount", "gift_card", "cash")


@dataclass(frozen=True)
class ReferralStats:
    joined: int
    converted: int
    pending_minor: int
    held_minor: int
    approved_minor: int
    points_pending: int
    points_approved: int
    currency: str
    # Of pending_minor, the rewards of orders whose referral waits for a person (fraud
    # rules flagged it), and how many such orders: said apart, so counts and amounts agree.
    review_minor: int = 0
    in_review: int = 0


def referral_stats(session: Session, shop_id: int, customer_id: int) -> ReferralStats:
    joined = session.scalar(select(func.count(Referral.id)).where(
        Referral.shop_id == shop_id, Referral.referrer_id == customer_id,
        Referral.status.in_((ReferralStatus.PENDING, ReferralStatus.FLAGGED,
                             ReferralStatus.CONVERTED)))) or 0
    converted = session.scalar(select(func.count(Referral.id)).where(
        Referral.shop_id == shop_id, Referral.referrer_id == customer_id,
        Referral.status == ReferralStatus.CONVERTED)) or 0
    in_review = session.scalar(select(func.count(Referral.id)).join(
        Conversion, Conversion.referral_id == Referral.id).where(
        Referral.shop_id == shop_id, Referral.referrer_id == customer_id,
        Referral.status == ReferralStatus.FLAGGED)) or 0
    review_minor = session.scalar(select(func.sum(LedgerEntry.amount)).join(
        Referral, Referral.id == LedgerEntry.referral_id).where(
        LedgerEntry.shop_id == shop_id, LedgerEntry.customer_id == customer_id,
        LedgerEntry.entry_type == "reward", LedgerEntry.status == EntryStatus.PENDING,
        LedgerEntry.kind.in_(MONEY_KINDS), Referral.status == ReferralStatus.FLAGGED)) or 0
    sums: dict[tuple[str, str], int] = {}
    currency = "USD"
    rows = session.execute(
        select(LedgerEntry.kind, LedgerEntry.status, LedgerEntry.currency,
               func.sum(LedgerEntry.amount))
        .where(LedgerEntry.shop_id == shop_id, LedgerEntry.customer_id == customer_id,
               LedgerEntry.entry_type == "reward", LedgerEntry.status != EntryStatus.REVERSED)
        .group_by(LedgerEntry.kind, LedgerEntry.status, LedgerEntry.currency))
    for kind, status, cur, total in rows:
        group = "points" if kind == "points" else "money" if kind in MONEY_KINDS else "other"
        sums[(group, status)] = sums.get((group, status), 0) + int(total or 0)
        if group == "money":
            currency = cur
    return ReferralStats(
        joined=joined, converted=converted + in_review, review_minor=int(review_minor),
        in_review=in_review,
        pending_minor=sums.get(("money", "pending"), 0),
        held_minor=sums.get(("money", "held"), 0),
        approved_minor=sums.get(("money", "approved"), 0),
        points_pending=sums.get(("points", "pending"), 0) + sums.get(("points", "held"), 0),
        points_approved=sums.get(("points", "approved"), 0),
        currency=currency,
    )


def _month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Terms:
    """A program version's terms as an event reads them: plain values from its row."""

    id: int
    shop_id: int
    currency: str
    min_order_amount: int
    friend_reward_kind: str
    friend_reward_amount: int
    referrer_reward_kind: str
    referrer_reward_amount: int
    cap_total: int | None
    cap_per_referrer_month: int | None
    level2_percent: int | None
    fraud_rules: dict[str, Any]


_programs: Table = Program.__table__  # type: ignore[assignment]
TERMS = [_programs.c[f.name] for f in fields(Terms)]  # the columns, in the fields' order


@dataclass(frozen=True)
class Reward:
    """A ledger entry as granted (the event's answer lists them)."""

    id: int
    side: str
    kind: str
    amount: int
    currency: str
    status: str


_ledger: Table = LedgerEntry.__table__  # type: ignore[assignment]
_referrals: Table = Referral.__table__  # type: ignore[assignment]
# Counted over the shop, not the program version: editing the terms must not reset a cap.
# Reversed rewards give their place back.
_COUNTED = and_(_ledger.c.shop_id == bindparam("shop"), _ledger.c.side == "referrer",
                _ledger.c.entry_type == "reward", _ledger.c.status != EntryStatus.REVERSED)
_REWARDS_TOTAL = select(func.count()).select_from(_ledger).where(_COUNTED)
_REWARDS_OF_REFERRER = select(func.count()).select_from(_ledger).where(
    _COUNTED, _ledger.c.customer_id == bindparam("customer"),
    _ledger.c.created_at >= bindparam("since"))
# FOR NO KEY UPDATE: inserts that merely reference the row are not blocked.
_LOCK_SHOP = select(Shop.__table__.c.id).where(Shop.__table__.c.id == bindparam("shop")) \
    .with_for_update(key_share=True)
_LOCK_CUSTOMER = select(Customer.__table__.c.id).where(
    Customer.__table__.c.id == bindparam("customer")).with_for_update(key_share=True)
_UPSTREAM = select(_referrals.c.referrer_id).where(
    _referrals.c.shop_id == bindparam("shop"), _referrals.c.friend_id == bindparam("customer"),
    _referrals.c.status.in_((ReferralStatus.PENDING, ReferralStatus.CONVERTED)))
_ENTRY = ("shop_id", "customer_id", "referral_id", "conversion_id", "side", "kind", "amount",
          "currency", "status", "entry_type", "approved_at", "note", "created_at")


def _grant_of(entries: int) -> Prepared:
    """One INSERT of `entries` ledger entries (1 to 3: friend, referrer, level two), each
    column bound as `<column>_<n>`, returning each entry's side and id."""
    return Prepared(insert(_ledger).values([
        {column: bindparam(f"{column}_{n}", type_=_ledger.c[column].type) for column in _ENTRY}
        for n in range(entries)]).returning(_ledger.c.side, _ledger.c.id))


_GRANTS = {entries: _grant_of(entries) for entries in (1, 2, 3)}


def _caps_reached(session: Session, terms: Terms, referrer_id: int,
                  now: datetime) -> list[str]:
    """Caps count rewards (not money). Counting and granting must not interleave between
    two orders, so the row a cap belongs to is locked first; SQLite serializes writers
    anyway."""
    capped = []
    if terms.cap_total is not None:
        session.execute(_LOCK_SHOP, {"shop": terms.shop_id})
        if (session.scalar(_REWARDS_TOTAL, {"shop": terms.shop_id}) or 0) >= terms.cap_total:
            capped.append("cap_total")
    if terms.cap_per_referrer_month is not None:
        session.execute(_LOCK_CUSTOMER, {"customer": referrer_id})
        if (session.scalar(_REWARDS_OF_REFERRER, {
                "shop": terms.shop_id, "customer": referrer_id, "since": _month_start(now)})
                or 0) >= terms.cap_per_referrer_month:
            capped.append("cap_per_referrer_month")
    return capped


def grant(session: Session, *, terms: Terms, referral_id: int, friend_id: int,
          referrer_id: int, conversion_id: int, now: datetime,
          redeemed_with: str | None = None) -> tuple[list[Reward], list[str]]:
    """Both sides' entries (and level two), minus what the caps forbid; returns the
    entries and the caps that applied. The friend's reward is never capped: the friend
    was promised it when they signed up. `redeemed_with`: the friend typed this referral
    code at checkout, so the store's discount was their reward, already taken; recorded as
    such, so it is never issued or announced again. One INSERT for all the entries."""
    def entry(customer_id: int, side: str, kind: str, amount: int) -> dict[str, Any]:
        return {"shop_id": terms.shop_id, "customer_id": customer_id,
                "referral_id": referral_id, "conversion_id": conversion_id, "side": side,
                "kind": kind, "amount": amount, "currency": terms.currency,
                "status": EntryStatus.PENDING, "entry_type": "reward", "approved_at": None,
                "note": "", "created_at": now}

    rows = [entry(friend_id, "friend", terms.friend_reward_kind, terms.friend_reward_amount)]
    if redeemed_with is not None:
        rows[0].update(status=EntryStatus.REDEEMED, approved_at=now,
                       note=f"discount taken at checkout with {redeemed_with}"[:200])
    capped = _caps_reached(session, terms, referrer_id, now)
    if not capped:
        rows.append(entry(referrer_id, "referrer", terms.referrer_reward_kind,
                          terms.referrer_reward_amount))
        upstream = session.scalar(_UPSTREAM, {"shop": terms.shop_id, "customer": referrer_id}) \
            if terms.level2_percent else None
        if terms.level2_percent and upstream is not None:
            rows.append(entry(upstream, "level2", terms.referrer_reward_kind,
                              terms.referrer_reward_amount * terms.level2_percent // 100))
    ids = dict(cast(Iterable[tuple[str, int]], _GRANTS[len(rows)].rows(session, {
        f"{column}_{n}": row[column] for n, row in enumerate(rows) for column in _ENTRY})))
    return [Reward(ids[row["side"]], row["side"], row["kind"], row["amount"], row["currency"],
                   row["status"]) for row in rows], capped


def reverse(session: Session, conversion: Conversion, now: datetime, note: str) -> int:
    """A reversal entry for every live reward of this conversion; returns how many. A
    reward the shop was already told about (approved) is taken back with reward.reversed."""
    count = 0
    live = session.scalars(select(LedgerEntry).where(
        LedgerEntry.conversion_id == conversion.id, LedgerEntry.entry_type == "reward",
        LedgerEntry.status != EntryStatus.REVERSED
    ).order_by(LedgerEntry.id).with_for_update()).all()
    for entry in live:
        reversal = LedgerEntry(
            shop_id=entry.shop_id, customer_id=entry.customer_id, referral_id=entry.referral_id,
            conversion_id=entry.conversion_id, side=entry.side, kind=entry.kind,
            amount=-entry.amount, currency=entry.currency, status=EntryStatus.APPROVED,
            entry_type="reversal", reverses_id=entry.id, approved_at=now, note=note,
            created_at=now)
        session.add(reversal)
        if entry.status == EntryStatus.APPROVED:
            session.flush()
            notify(session, entry, "reward.reversed", now, reversal=reversal)
        entry.status = EntryStatus.REVERSED
        count += 1
    return count


def notify(session: Session, entry: LedgerEntry, event_type: str, now: datetime,
           reversal: LedgerEntry | None = None) -> None:
    """Queue a signed webhook for the shop (core.outbound delivers it). The payload names
    the customer by the shop's own id and carries a stable id for the shop's dedupe."""
    customer = session.get(Customer, entry.customer_id)
    payload = {"type": event_type, "id": f"rwd_{entry.id}",
               "customer_id": customer.external_id if customer else None,
               "side": entry.side, "kind": entry.kind, "amount": entry.amount,
               "currency": entry.currency, "referral_id": entry.referral_id}
    if reversal is not None:
        payload["reversal_id"] = f"rev_{reversal.id}"
    webhook_events.emit(session, shop_id=entry.shop_id, event_type=event_type,
                        key=str(entry.id), payload=payload, now=now)


@dataclass
class ReleaseResult:
    held: int = 0
    approved: int = 0


def release(session: Session, now: datetime, *, batch: int = 500) -> ReleaseResult:
    """pending -> held (the refund window starts at the order) -> approved when it ends.
    Rewards of a referral waiting for review stay pending. At most `batch` of each per
    call; release_all repeats until nothing is left."""
    result = ReleaseResult()
    pending = session.execute(
        select(LedgerEntry, Conversion.created_at, Program.hold_days)
        .join(Conversion, Conversion.id == LedgerEntry.conversion_id)
        .join(Referral, Referral.id == LedgerEntry.referral_id)
        .join(Program, Program.id == Referral.program_id)
        .where(LedgerEntry.status == EntryStatus.PENDING, LedgerEntry.entry_type == "reward",
               Referral.status.in_((ReferralStatus.PENDING, ReferralStatus.CONVERTED)))
        .order_by(LedgerEntry.id)
        .limit(batch).with_for_update(of=LedgerEntry, skip_locked=True)).all()
    for entry, ordered_at, hold_days in pending:
        entry.status = EntryStatus.HELD
        entry.hold_until = as_utc(ordered_at) + timedelta(days=hold_days)
        result.held += 1
    session.flush()
    due = session.scalars(
        select(LedgerEntry).where(LedgerEntry.status == EntryStatus.HELD,
                                  LedgerEntry.hold_until <= now)
        .order_by(LedgerEntry.id).limit(batch).with_for_update(skip_locked=True)).all()
    for entry in due:
        entry.status, entry.approved_at = EntryStatus.APPROVED, now
        notify(session, entry, "reward.approved", now)
        store_jobs.reward_approved(session, entry, now)  # a code in the shop's store
        result.approved += 1
    return result


def release_due(services: Services, batch: int = 500) -> tuple[ReleaseResult, int]:
    """The release job's pass: every due reward in transactions of `batch` (a long backlog
    never holds one long lock), then every due outbound webhook (reward.approved ...)."""
    from core import outbound  # outbound signs with credentials; rewards need neither

    total = ReleaseResult()
    while True:
        with services.db.session() as session:
            step = release(session, services.clock(), batch=batch)
        total.held += step.held
        total.approved += step.approved
        if step.held < batch and step.approved < batch:
            break
    return total, outbound.deliver_due(services)
