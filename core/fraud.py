"""Fraud rules: one small function each, returning its reason code when it fires.

Each program decides per rule: "block" (no referral reward), "flag" (reviewed by a person
first) or "off". Defaults follow the source articles: certain abuse blocks, signals that
also fit honest households (shared IP, bursts) flag. The same voice device is never a rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from disposable_email_domains import blocklist
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.contacts import canonical_email
from core.models import Customer, Program, Referral

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
class SignupFacts:
    session: Session
    program: Program
    referrer: Customer
    friend: Customer
    friend_existed_before: bool
    code_id: int
    ip_hash: str | None
    now: datetime
    friend_created: bool = False  # the friend's row was made by this event: no referral yet

    def limit(self, name: str) -> int:
        return int((self.program.fraud_rules or {}).get(name, DEFAULT_LIMITS[name]))


def self_referral(f: SignupFacts) -> bool:
    if f.friend.id == f.referrer.id:
        return True
    if f.friend.email and f.referrer.email and _canonical(f.friend) == _canonical(f.referrer):
        return True
    return bool(f.friend.phone and f.friend.phone == f.referrer.phone)


def _canonical(customer: Customer) -> str:
    """The canonical email stored with the email (no second validation per rule), computed
    for a row that lacks it."""
    return customer.email_canonical or canonical_email(customer.email or "")


def existing_customer(f: SignupFacts) -> bool:
    """The friend had signed up (or, for a code typed at checkout, ordered) before, or a
    second account of someone who had: another signed-up or ordering customer with the
    same canonical email or phone (the referrer excepted; that is self-referral)."""
    if f.friend_existed_before:
        return True
    same_person = []
    if f.friend.email_canonical:
        same_person.append(Customer.email_canonical == f.friend.email_canonical)
    if f.friend.phone:
        same_person.append(Customer.phone == f.friend.phone)
    if not same_person:
        return False
    return f.session.scalar(select(Customer.id).where(
        Customer.shop_id == f.friend.shop_id, Customer.id.not_in((f.friend.id, f.referrer.id)),
        or_(Customer.signed_up_at.is_not(None), Customer.first_order_at.is_not(None)),
        or_(*same_person)).limit(1)) is not None


def already_referred(f: SignupFacts) -> bool:
    if f.friend_created:
        return False
    return f.session.scalar(select(Referral.id).where(
        Referral.shop_id == f.friend.shop_id, Referral.friend_id == f.friend.id)) is not None


def disposable_email(f: SignupFacts) -> bool:
    domain = (f.friend.email or "").rpartition("@")[2].lower()
    return bool(domain) and domain in blocklist


def velocity_code(f: SignupFacts) -> bool:
    since = f.now - timedelta(hours=1)
    count = f.session.scalar(select(func.count(Referral.id)).where(
        Referral.code_id == f.code_id, Referral.created_at >= since)) or 0
    return count >= f.limit("velocity_code_per_hour")


def velocity_ip(f: SignupFacts) -> bool:
    if not f.ip_hash:
        return False
    since = f.now - timedelta(days=1)
    count = f.session.scalar(select(func.count(Referral.id)).where(
        Referral.shop_id == f.friend.shop_id, Referral.ip_hash == f.ip_hash,
        Referral.created_at >= since)) or 0
    return count >= f.limit("velocity_ip_per_day")


RULES: dict[str, Callable[[SignupFacts], bool]] = {
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


def action_for(program: Program, rule: str) -> str:
    return str((program.fraud_rules or {}).get(rule, DEFAULT_ACTIONS[rule]))


def evaluate(facts: SignupFacts) -> Verdict:
    blocked: list[str] = []
    flagged: list[str] = []
    for name, rule in RULES.items():
        action = action_for(facts.program, name)
        if action == "off" or not rule(facts):
            continue
        (blocked if action == "block" else flagged).append(name)
    if blocked:
        return Verdict("block", tuple(blocked + flagged))
    return Verdict("flag", tuple(flagged)) if flagged else Verdict("ok", ())
