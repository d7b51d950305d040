"""Fraud rules: one small function each, returning its reason code when it fires.

Each program decides per rule: "block" (no referral reward), "flag" (reviewed by a person
first) or "off". Defaults follow the source articles: certain abuse blocks, signals that
also fit honest households (shared IP, bursts) flag. The same voice device is never a rule.
The rules are plain functions of the facts: what they ask of the database is read first,
in one prebuilt statement for all of them (`seen`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from disposable_email_domains import blocklist
from sqlalchemy import bindparam, case, exists, func, or_, select
from sqlalchemy.orm import Session

from core.contacts import canonical_email
from core.models import Customer, Referral
from core.prepared import Prepared

DEFAULT_ACTIONS = {
    "self_referral": "block",
    "existing_customer": "block",
    "already_referred": "block",
    "disposable_email": "flag",
    "velocity_code": "flag",
    "velocity_ip": "flag",
}
DEFAULT_LIMITS = {"velocity_code_per_hour": 10, "velocity_ip_per_day": 20}


@dataclass(frozen=True)
class Party:
    """A customer as the rules compare them: the code's owner, or the friend as this event
    leaves them (id None: the event creates them, so nothing refers to them yet)."""

    id: int | None
    shop_id: int
    external_id: str | None
    email: str | None
    email_canonical: str | None
    phone: str | None


@dataclass(frozen=True)
class SignupFacts:
    rules: dict[str, Any]  # the program's fraud_rules: rule -> action, limit -> number
    referrer: Party
    friend: Party
    friend_existed_before: bool
    code_id: int
    ip_hash: str | None
    now: datetime

    def limit(self, name: str) -> int:
        return int((self.rules or {}).get(name, DEFAULT_LIMITS[name]))


@dataclass(frozen=True)
class Seen:
    """What the database knows that the rules ask about, read in one statement."""

    same_person: bool = False  # another customer who signed up or ordered, same address
    referred: bool = False  # the friend already has a referral
    code_uses_hour: int = 0
    ip_uses_day: int = 0


_customers = Customer.__table__
_referrals = Referral.__table__


def _same_person(column: Any, key: str) -> Any:
    """Another customer who signed up or ordered with this address: each address its own
    EXISTS, so each uses its own (shop, address) index (an OR of the two in one query made
    SQLite walk every customer of the shop)."""
    return exists().where(
        _customers.c.shop_id == bindparam("shop"), column == bindparam(key),
        _customers.c.id != bindparam("friend_or_0"), _customers.c.id != bindparam("referrer"),
        or_(_customers.c.signed_up_at.is_not(None), _customers.c.first_order_at.is_not(None)))


def _count_unless_null(key: str, column: Any, *where: Any) -> Any:
    """Counted where `column` is `key`, unless `key` is bound to NULL (a rule that is off:
    it reads nothing)."""
    return case((bindparam(key, type_=column.type).is_(None), 0),
                else_=select(func.count()).where(column == bindparam(key), *where)
                .scalar_subquery())


# A rule that is off, or has nothing to look for, binds NULL: its lookup finds nothing.
_SEEN = Prepared(select(
    or_(_same_person(_customers.c.email_canonical, "email"),
        _same_person(_customers.c.phone, "phone")).label("same_person"),
    exists().where(_referrals.c.shop_id == bindparam("shop"),
                   _referrals.c.friend_id == bindparam("friend")).label("referred"),
    _count_unless_null("code", _referrals.c.code_id,
                       _referrals.c.created_at >= bindparam("hour_ago")).label("code_uses_hour"),
    _count_unless_null("ip", _referrals.c.ip_hash, _referrals.c.shop_id == bindparam("shop"),
                       _referrals.c.created_at >= bindparam("day_ago")).label("ip_uses_day")))


def seen(session: Session, f: SignupFacts, active: set[str]) -> Seen:
    """One statement for every lookup the active rules need; none when none does."""
    existing = "existing_customer" in active and not f.friend_existed_before
    params = {"email": f.friend.email_canonical if existing else None,
              "phone": f.friend.phone if existing else None,
              "friend": f.friend.id if "already_referred" in active else None,
              "code": f.code_id if "velocity_code" in active else None,
              "ip": f.ip_hash if "velocity_ip" in active else None}
    if all(value is None for value in params.values()):
        return Seen()
    same_person, referred, code_uses_hour, ip_uses_day = _SEEN.one(session, {
        **params, "shop": f.friend.shop_id, "friend_or_0": f.friend.id or 0,
        "referrer": f.referrer.id, "hour_ago": f.now - timedelta(hours=1),
        "day_ago": f.now - timedelta(days=1)})
    return Seen(bool(same_person), bool(referred), int(code_uses_hour or 0),
                int(ip_uses_day or 0))


def self_referral(f: SignupFacts, _seen: Seen) -> bool:
    if f.friend.id is not None and f.friend.id == f.referrer.id:
        return True
    if f.friend.email and f.referrer.email and _canonical(f.friend) == _canonical(f.referrer):
        return True
    return bool(f.friend.phone and f.friend.phone == f.referrer.phone)


def _canonical(customer: Party) -> str:
    """The canonical email stored with the email (no second validation per rule), computed
    for a row that lacks it."""
    return customer.email_canonical or canonical_email(customer.email or "")


def existing_customer(f: SignupFacts, seen: Seen) -> bool:
    """The friend had signed up (or, for a code typed at checkout, ordered) before, or a
    second account of someone who had: another signed-up or ordering customer with the
    same canonical email or phone (the referrer excepted; that is self-referral)."""
    return f.friend_existed_before or seen.same_person


def already_referred(_f: SignupFacts, seen: Seen) -> bool:
    return seen.referred  # a friend this event creates has no referral: nothing is read


def disposable_email(f: SignupFacts, _seen: Seen) -> bool:
    domain = (f.friend.email or "").rpartition("@")[2].lower()
    return bool(domain) and domain in blocklist


def velocity_code(f: SignupFacts, seen: Seen) -> bool:
    return seen.code_uses_hour >= f.limit("velocity_code_per_hour")


def velocity_ip(f: SignupFacts, seen: Seen) -> bool:
    return bool(f.ip_hash) and seen.ip_uses_day >= f.limit("velocity_ip_per_day")


RULES: dict[str, Callable[[SignupFacts, Seen], bool]] = {
    "self_referral": self_referral,
    "existing_customer": existing_customer,
    "already_referred": already_referred,
    "disposable_email": disposable_email,
    "velocity_code": velocity_code,
    "velocity_ip": velocity_ip,
}


@dataclass(frozen=True)
class Verdict:
    action: str  # ok | flag | block
    reasons: tuple[str, ...]


def action_for(rules: dict[str, Any], rule: str) -> str:
    return str((rules or {}).get(rule, DEFAULT_ACTIONS[rule]))


def evaluate(session: Session, facts: SignupFacts) -> Verdict:
    """Every rule the program has not turned off, over one read of what they look up."""
    actions = {name: action_for(facts.rules, name) for name in RULES}
    active = {name for name, action in actions.items() if action != "off"}
    found = seen(session, facts, active)
    blocked: list[str] = []
    flagged: list[str] = []
    for name, rule in RULES.items():
        if name not in active or not rule(facts, found):
            continue
        (blocked if actions[name] == "block" else flagged).append(name)
    if blocked:
        return Verdict("block", tuple(blocked + flagged))
    return Verdict("flag", tuple(flagged)) if flagged else Verdict("ok", ())
