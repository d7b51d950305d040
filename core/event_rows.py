"""The rows a signed shop event reads and writes, as plain values through prebuilt Core
statements: no ORM objects, so no identity map, no unit-of-work flush and no per-call
statement building on the event path (most of an event's time when it was ORM).

An event first reads what it needs in one statement (`context`: its first delivery if this
is a replay, the shop's region, its active program, the customer it names, whether it has
webhook endpoints), then writes. On SQLite the write lock is taken at the first write
(core.db), so the handlers in core.events keep every write after every plain read."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import Table, and_, bindparam, exists, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as upsert  # SQLite compiles it alike
from sqlalchemy.orm import Session

from core.contacts import canonical_of_normalized, normalize_email, normalize_phone
from core.errors import InvalidInput
from core.fraud import Party
from core.models import (
    ASSISTANTS,
    CHANNELS,
    Click,
    Conversion,
    Customer,
    Program,
    Referral,
    ReferralStatus,
    Shop,
    ShopEvent,
    WebhookEndpoint,
)
from core.prepared import Prepared, PreparedByColumns
from core.rewards import TERMS, Terms

_shops: Table = Shop.__table__  # type: ignore[assignment]
_customers: Table = Customer.__table__  # type: ignore[assignment]
_referrals: Table = Referral.__table__  # type: ignore[assignment]
_programs: Table = Program.__table__  # type: ignore[assignment]
_conversions: Table = Conversion.__table__  # type: ignore[assignment]
_endpoints: Table = WebhookEndpoint.__table__  # type: ignore[assignment]
_events: Table = ShopEvent.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Known:
    """The customer an event names, as stored before the event."""

    id: int
    external_id: str | None
    name: str
    email: str | None
    email_canonical: str | None
    phone: str | None
    locale: str
    signed_up_at: datetime | None
    first_order_at: datetime | None


_KNOWN = [_customers.c[f.name] for f in fields(Known)]
_N_TERMS = len(TERMS)


@dataclass(frozen=True)
class First:
    """The answer the first delivery of this event (or of this order) got."""

    event_id: str
    type: str
    result: dict[str, Any]


@dataclass(frozen=True)
class Context:
    first: First | None  # a re-delivery: answered with this, nothing else is used
    region: str | None  # of the shop's locale: numbers said without a country code
    program: Terms | None  # the active program
    customer: Known | None
    webhooks: bool  # the shop has an active endpoint (else there is nothing to queue)


_first = _events.alias("first_delivery")
# The replay check: both halves of the OR are unique-index lookups (PostgreSQL: a BitmapOr
# of the two), at most two rows, the first one answers; min(id), not ORDER BY ... LIMIT 1,
# which let the planner walk the shop's whole (shop_id, type, order_id) index in id order
# (EXPLAIN in the README). A NULL order matches nothing.
_FIRST_ID = select(func.min(_events.c.id)).where(
    _events.c.shop_id == bindparam("shop"),
    or_(_events.c.event_id == bindparam("event"),
        and_(_events.c.type == bindparam("kind"), _events.c.order_id == bindparam("order")))
).scalar_subquery()
_CONTEXT = Prepared(
    select(_first.c.event_id, _first.c.type, _first.c.result, _shops.c.locale, *TERMS,
           *_KNOWN, exists().where(_endpoints.c.shop_id == _shops.c.id,
                                   _endpoints.c.active.is_(True)).label("webhooks"))
    .select_from(_shops.outerjoin(_programs, and_(
        _programs.c.shop_id == _shops.c.id, _programs.c.active.is_(True)))
        .outerjoin(_customers, and_(_customers.c.shop_id == _shops.c.id,
                                    _customers.c.external_id == bindparam("external_id")))
        .outerjoin(_first, _first.c.id == _FIRST_ID))
    .where(_shops.c.id == bindparam("shop")))


def context(session: Session, shop_id: int, event_id: str, kind: str, order_key: str | None,
            external_id: str | None) -> Context:
    """Everything an event reads before it decides, in one statement: whether it was
    delivered before, the shop's region and active program, the customer it names
    (`external_id`), and whether the shop has webhook endpoints."""
    row: tuple[Any, ...] = _CONTEXT.one(session, {
        "shop": shop_id, "event": event_id, "kind": kind, "order": order_key,
        "external_id": external_id})
    first = First(row[0], row[1], dict(row[2])) if row[0] is not None else None
    program = Terms(*row[4:4 + _N_TERMS]) if row[4] is not None else None
    known = row[4 + _N_TERMS:-1]
    return Context(first, row[3].split("-")[-1], program,
                   Known(*known) if known[0] is not None else None, bool(row[-1]))


def _contact(raw: dict[str, Any], region: str | None) -> dict[str, str | None]:
    out: dict[str, str | None] = {"email": None, "phone": None}
    try:
        out["email"] = normalize_email(raw["email"]) if raw.get("email") else None
    except InvalidInput as exc:
        raise InvalidInput("Invalid fields: customer.email.", code="schema",
                           details={"fields": ["customer.email"]}) from exc
    try:
        out["phone"] = normalize_phone(raw["phone"], region) if raw.get("phone") else None
    except InvalidInput as exc:
        raise InvalidInput("Invalid fields: customer.phone.", code="schema",
                           details={"fields": ["customer.phone"]}) from exc
    return out


def changes(current: Any, raw: dict[str, Any], region: str | None, now: datetime, *,
            signing_up: bool) -> dict[str, Any]:
    """The columns an event sets on the customer it names (`current`: the stored row or
    object, None for a new customer), only those that differ: the contact details read in
    the shop's region (a bad one is a 422 naming it), a name or a locale when given, and
    the sign-up time the first time they sign up."""
    contact = _contact(raw, region)
    wanted: dict[str, Any] = {}
    if raw.get("name"):
        wanted["name"] = raw["name"]
    if contact["email"]:
        wanted["email"] = contact["email"]
        wanted["email_canonical"] = canonical_of_normalized(contact["email"])
    if contact["phone"]:
        wanted["phone"] = contact["phone"]
    if raw.get("locale"):
        wanted["locale"] = raw["locale"]
    if signing_up and (current is None or current.signed_up_at is None):
        wanted["signed_up_at"] = now
    if current is None:
        return wanted
    return {key: value for key, value in wanted.items() if getattr(current, key) != value}


def party(shop_id: int, external_id: str, known: Known | None,
          values: dict[str, Any]) -> Party:
    """The customer as this event leaves them, for the fraud rules (before it is written)."""
    def now(key: str) -> Any:
        return values[key] if key in values else getattr(known, key, None)

    return Party(known.id if known else None, shop_id, external_id, now("email"),
                 now("email_canonical"), now("phone"))


_INSERT_CUSTOMER = PreparedByColumns(insert(_customers).returning(_customers.c.id))
_UPDATE_CUSTOMER = PreparedByColumns(update(_customers).where(_customers.c.id == bindparam("_id")))


def save_customer(session: Session, shop_id: int, external_id: str, known: Known | None,
                  values: dict[str, Any], now: datetime) -> int:
    """The customer's id: inserted (the unique shop + id decides a race), updated with
    what changed, or left alone when nothing did."""
    if known is None:
        row = {"shop_id": shop_id, "external_id": external_id, "name": "", "created_at": now,
               **values}
        customer_id: int = _INSERT_CUSTOMER.of(row).one(session, row)[0]
        return customer_id
    if values:
        _UPDATE_CUSTOMER.of(values).rows(session, {"_id": known.id, **values})
    return known.id


_REMEMBER = Prepared(upsert(_customers).on_conflict_do_nothing(
    index_elements=[_customers.c.shop_id, _customers.c.external_id]),
    ("shop_id", "external_id", "name", "first_order_at", "created_at"))


def remember_buyer(session: Session, shop_id: int, external_id: str, now: datetime) -> None:
    """A buyer who used no referral code: kept as their id and first order time only (no
    contact details), which is all the existing-customer rule needs later. A concurrent
    order of the same buyer may have remembered them first: nothing more to do."""
    _REMEMBER.rows(session, {"shop_id": shop_id, "external_id": external_id, "name": "",
                             "first_order_at": now, "created_at": now})


@dataclass(frozen=True)
class Referred:
    id: int
    referrer_id: int
    status: str
    reasons: list[str]


# FOR UPDATE OF the referral (PostgreSQL): a review deciding it, or another order of this
# friend, waits for this event, or this event for them. On SQLite this locking read is
# where the write lock is taken (core.db). The program version it was made under comes in
# the same statement.
_REFERRAL_OF_FRIEND = Prepared(
    select(_referrals.c.id, _referrals.c.referrer_id, _referrals.c.status,
           _referrals.c.reasons, *TERMS)
    .join_from(_referrals, _programs, _programs.c.id == _referrals.c.program_id)
    .where(_referrals.c.shop_id == bindparam("shop"),
           _referrals.c.friend_id == bindparam("friend"))
    .with_for_update(of=_referrals))


def referral_of(session: Session, shop_id: int,
                friend_id: int) -> tuple[Referred, Terms] | None:
    row = _REFERRAL_OF_FRIEND.first(session, {"shop": shop_id, "friend": friend_id})
    if row is None:
        return None
    return Referred(row[0], row[1], row[2], list(row[3] or [])), Terms(*row[4:])


_INSERT_REFERRAL = Prepared(insert(_referrals).returning(_referrals.c.id), (
    "shop_id", "program_id", "code_id", "referrer_id", "friend_id", "status", "reasons",
    "ip_hash", "channel", "assistant", "created_at"))
_clicks: Table = Click.__table__  # type: ignore[assignment]
_LAST_CLICK = Prepared(
    select(_clicks.c.channel, _clicks.c.assistant)
    .where(_clicks.c.code_id == bindparam("code"), _clicks.c.is_bot.is_(False),
           _clicks.c.created_at <= bindparam("now", type_=_clicks.c.created_at.type))
    .order_by(_clicks.c.created_at.desc(), _clicks.c.id.desc()).limit(1))


@dataclass(frozen=True)
class Source:
    """Where a referred friend came from, where it is known."""

    channel: str | None = None
    assistant: str | None = None


def source_of(session: Session, code_id: int, ref: str | None, now: datetime) -> Source:
    """The signup's own invite link says it (`c=`, `a=`); else the code's latest human
    click before now (last-click attribution); else unknown. A plain read: call it before
    the event's first write."""
    query = dict(parse_qsl(urlsplit(ref).query)) if ref and "/r/" in ref else {}
    if query.get("c") in CHANNELS:
        assistant = query.get("a")
        return Source(query["c"], assistant if assistant in ASSISTANTS else None)
    row = _LAST_CLICK.first(session, {"code": code_id, "now": now})
    return Source(row[0], row[1]) if row is not None else Source()
_CONVERT = Prepared(update(_referrals).where(_referrals.c.id == bindparam("_id")).values(
    status=ReferralStatus.CONVERTED))
_INSERT_CONVERSION = Prepared(insert(_conversions).returning(_conversions.c.id), (
    "shop_id", "referral_id", "order_id", "amount", "currency", "total_amount",
    "presentment_currency", "presentment_total", "created_at"))


def add_referral(session: Session, *, program: Terms, code_id: int, referrer_id: int,
                 friend_id: int, status: str, reasons: list[str], ip_hash: str | None,
                 now: datetime, source: Source | None = None) -> Referred:
    """The unique friend per shop decides a race (the caller's retry sees the winner's)."""
    source = source or Source()
    referral_id: int = _INSERT_REFERRAL.one(session, {
        "shop_id": program.shop_id, "program_id": program.id, "code_id": code_id,
        "referrer_id": referrer_id, "friend_id": friend_id, "status": status,
        "reasons": reasons, "ip_hash": ip_hash, "channel": source.channel,
        "assistant": source.assistant, "created_at": now})[0]
    return Referred(referral_id, referrer_id, status, reasons)


def add_conversion(session: Session, *, shop_id: int, referral_id: int, order_id: str,
                   amount: int, currency: str, now: datetime, total: int | None = None,
                   presentment: tuple[str, int] | None = None) -> int:
    """Unique per referral and per shop order: a duplicate collides here. `total`: what
    was paid in `currency`; `presentment`: the buyer's currency and total where it differs."""
    conversion_id: int = _INSERT_CONVERSION.one(session, {
        "shop_id": shop_id, "referral_id": referral_id, "order_id": order_id,
        "amount": amount, "currency": currency, "total_amount": total,
        "presentment_currency": presentment[0] if presentment else None,
        "presentment_total": presentment[1] if presentment else None,
        "created_at": now})[0]
    return conversion_id


def mark_converted(session: Session, referral_id: int) -> None:
    _CONVERT.rows(session, {"_id": referral_id})
