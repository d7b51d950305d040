"""Program configuration: every change is a new version, exactly one active per shop, the
old versions kept (referrals point at the version they signed up under)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import session_now
from core.errors import InvalidInput, NotFound
from core.fraud import DEFAULT_ACTIONS, DEFAULT_LIMITS
from core.models import Program, Shop
from core.models.shops import ALLOWED_HOLD_DAYS, REWARD_KINDS
from core.stores import jobs as store_jobs

__all__ = ["ALLOWED_HOLD_DAYS", "REWARD_KINDS", "active", "as_dict", "history", "save_version"]

FIELDS = ("referrer_reward_kind", "referrer_reward_amount", "friend_reward_kind",
          "friend_reward_amount", "currency", "min_order_amount", "hold_days",
          "cap_per_referrer_month", "cap_total", "level2_percent", "terms", "fraud_rules")


def as_dict(program: Program) -> dict[str, Any]:
    return {"version": program.version, "active": program.active,
            "created_at": program.created_at.isoformat() if program.created_at else None,
            **{f: getattr(program, f) for f in FIELDS}}


def active(session: Session, shop: Shop) -> Program:
    program = session.scalar(select(Program).where(Program.shop_id == shop.id,
                                                   Program.active.is_(True)))
    if program is None:
        raise NotFound("This shop has no active program.", code="no_program")
    return program


def check(values: dict[str, Any]) -> None:
    """Business rules the schema cannot say; 422 naming the fields."""
    bad = []
    for side in ("referrer", "friend"):
        if values[f"{side}_reward_kind"] not in REWARD_KINDS:
            bad.append(f"{side}_reward_kind")
        if values[f"{side}_reward_kind"] == "percent_discount" and \
                not 0 < values[f"{side}_reward_amount"] <= 100:
            bad.append(f"{side}_reward_amount")
    if values["hold_days"] not in ALLOWED_HOLD_DAYS:
        bad.append("hold_days")
    if values.get("level2_percent") is not None and not 0 <= values["level2_percent"] <= 100:
        bad.append("level2_percent")
    for rule, action in (values.get("fraud_rules") or {}).items():
        known_action = rule in DEFAULT_ACTIONS and action in ("block", "flag", "off")
        known_limit = (rule in DEFAULT_LIMITS and isinstance(action, int)
                       and not isinstance(action, bool) and 0 < action < 10**6)
        if not (known_action or known_limit):
            bad.append(f"fraud_rules.{rule}")
    if bad:
        raise InvalidInput("Invalid fields: " + ", ".join(bad) + ".", code="schema",
                           details={"fields": bad})


def save_version(session: Session, shop: Shop, changes: dict[str, Any]) -> Program:
    """A new active version from the current one plus `changes`."""
    current = session.scalar(select(Program).where(Program.shop_id == shop.id,
                                                   Program.active.is_(True)).with_for_update())
    base = as_dict(current) if current else {
        "referrer_reward_kind": "fixed_discount", "referrer_reward_amount": 1000,
        "friend_reward_kind": "percent_discount", "friend_reward_amount": 10,
        "currency": shop.currency, "min_order_amount": 0, "hold_days": 14,
        "cap_per_referrer_month": None, "cap_total": None, "level2_percent": None,
        "terms": {}, "fraud_rules": {}}
    values = {f: changes.get(f, base[f]) for f in FIELDS}
    check(values)
    latest = session.scalar(select(func.max(Program.version)).where(Program.shop_id == shop.id))
    if current is not None:
        current.active = False
        session.flush()
    program = Program(shop_id=shop.id, version=(latest or 0) + 1, active=True, **values)
    session.add(program)
    session.flush()
    friend_terms = ("friend_reward_kind", "friend_reward_amount", "min_order_amount",
                    "currency")
    if current is not None and any(base[f] != values[f] for f in friend_terms):
        store_jobs.friend_terms_changed(session, shop.id, program.version,
                                        session_now(session))
    return program


def history(session: Session, shop: Shop) -> list[Program]:
    return list(session.scalars(select(Program).where(Program.shop_id == shop.id)
                                .order_by(Program.version.desc())))
