"""Program configuration: every change is a new version, exactly one active per shop, the
old versions kept (referrals point at the version they signed up under)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jsonschema
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import currencies, shops
from core.db import session_now
from core.errors import InvalidInput, NotFound
from core.fraud import DEFAULT_ACTIONS, DEFAULT_LIMITS
from core.marks import N_
from core.models import Program, Shop
from core.models.shops import ALLOWED_HOLD_DAYS, REWARD_KINDS
from core.services import Services
from core.stores import jobs as store_jobs

__all__ = ["ALLOWED_HOLD_DAYS", "FIELDS", "REWARD_KINDS", "SCHEMA", "Editing", "active",
           "active_of", "as_dict", "draft", "editing", "field_errors", "history", "publish",
           "save_version", "versions"]

FIELDS = ("referrer_reward_kind", "referrer_reward_amount", "friend_reward_kind",
          "friend_reward_amount", "currency", "min_order_amount", "hold_days",
          "cap_per_referrer_month", "cap_total", "level2_percent", "terms", "fraud_rules")


MAX_MINOR = 10**15  # minor units, as core.events: far above any order, far below BIGINT
MAX_TERMS = 300  # characters per locale, quoted whole in invites; said only as far as fits
TERMS_LOCALE = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")
FRAUD_ACTIONS = ("block", "flag", "off")
FRAUD_LIMIT_MAX = 10**6

# The one description of a program's fields: the shop API's PUT /program body validates
# against it, and so does the program editor (after turning its form into these types).
SCHEMA: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": {
    "referrer_reward_kind": {"type": "string", "enum": list(REWARD_KINDS)},
    "referrer_reward_amount": {"type": "integer", "minimum": 0, "maximum": MAX_MINOR},
    "friend_reward_kind": {"type": "string", "enum": list(REWARD_KINDS)},
    "friend_reward_amount": {"type": "integer", "minimum": 0, "maximum": MAX_MINOR},
    "currency": {"type": "string", "enum": list(currencies.codes())},  # ISO 4217 in use
    "min_order_amount": {"type": "integer", "minimum": 0, "maximum": MAX_MINOR},
    "hold_days": {"type": "integer", "enum": list(ALLOWED_HOLD_DAYS)},
    "cap_per_referrer_month": {"type": ["integer", "null"], "minimum": 0, "maximum": 2**31 - 1},
    "cap_total": {"type": ["integer", "null"], "minimum": 0, "maximum": 2**31 - 1},
    "level2_percent": {"type": ["integer", "null"], "minimum": 0, "maximum": 100},
    "terms": {"type": "object", "propertyNames": {"pattern": TERMS_LOCALE.pattern},
              "additionalProperties": {"type": "string", "maxLength": MAX_TERMS},
              "description": f"locale (en, en-US, ...) -> the shop's own words, at most "
                             f"{MAX_TERMS} characters; sent with every invite, the first "
                             "sentence spoken after the terms we build when it fits"},
    "fraud_rules": {"type": "object", "additionalProperties": False,
                    "description": "rule -> block|flag|off, or a limit: "
                    "velocity_code_per_hour, velocity_ip_per_day",
                    "properties": {
                        **{rule: {"enum": list(FRAUD_ACTIONS)} for rule in DEFAULT_ACTIONS},
                        **{limit: {"type": "integer", "minimum": 1,
                                   "maximum": FRAUD_LIMIT_MAX - 1}
                           for limit in DEFAULT_LIMITS}}}}}
_AMOUNT_NOTE = ("minor units; points; or, for percent_discount, a whole percent 1-100 "
                "(checked on the program as it will be: 422 naming the field)")
for _side in ("referrer", "friend"):
    SCHEMA["properties"][f"{_side}_reward_amount"]["description"] = _AMOUNT_NOTE

MESSAGES = {
    "reward_kind": "Choose one of: " + ", ".join(REWARD_KINDS) + ".",
    "percent": N_("A percent discount is between 1 and 100."),
    "amount": N_("A whole number from 0 up."),
    "currency": N_("A currency in use (ISO 4217), such as USD, EUR or RUB."),
    "hold_days": "One of " + ", ".join(str(d) for d in ALLOWED_HOLD_DAYS) + " days.",
    "cap": N_("Empty for no cap, or a whole number from 0 up."),
    "level2_percent": N_("Empty for none, or a percent from 0 to 100."),
    "terms": f"At most {MAX_TERMS} characters, for a locale like en or de-DE.",
    "fraud_action": N_("block, flag or off."),
    "fraud_limit": f"A whole number from 1 to {FRAUD_LIMIT_MAX - 1}.",
}


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(SCHEMA)


def _schema_field(error: jsonschema.ValidationError) -> str:
    path = [str(p) for p in error.absolute_path]
    if not path and error.validator == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message)
        return extra[0] if extra else "body"
    return ".".join(path[:2]) if path else "body"


def _message_for(name: str) -> str:
    base = name.split(".")[0]
    if base.endswith("_kind"):
        return MESSAGES["reward_kind"]
    if base.startswith("cap_"):
        return MESSAGES["cap"]
    if base in MESSAGES:
        return MESSAGES[base]
    if base == "fraud_rules":
        rule = name.split(".", 1)[1] if "." in name else ""
        return MESSAGES["fraud_limit"] if rule in DEFAULT_LIMITS else MESSAGES["fraud_action"]
    return MESSAGES["amount"] if base.endswith("amount") else "Not a valid value."


def field_errors(values: dict[str, Any]) -> dict[str, str]:
    """Field -> message for a full or partial program: the schema's types first, then the
    business rules the schema cannot say (only for fields whose type was right)."""
    errors = {name: _message_for(name) for name in
              (_schema_field(e) for e in _validator().iter_errors(values))}
    for side in ("referrer", "friend"):
        kind, amount = values.get(f"{side}_reward_kind"), values.get(f"{side}_reward_amount")
        if kind == "percent_discount" and isinstance(amount, int) and not 0 < amount <= 100:
            errors.setdefault(f"{side}_reward_amount", MESSAGES["percent"])
    currency = values.get("currency")
    if isinstance(currency, str) and "currency" not in errors and not currencies.is_known(
            currency):
        errors["currency"] = MESSAGES["currency"]
    terms = values.get("terms")
    if isinstance(terms, dict):
        for locale, text in terms.items():
            if isinstance(text, str) and (not TERMS_LOCALE.match(str(locale))
                                          or len(text) > MAX_TERMS or "\x00" in text):
                errors.setdefault(f"terms.{locale}"[:80], MESSAGES["terms"])
    rules = values.get("fraud_rules")
    if "fraud_rules" in values and not isinstance(rules, dict):
        errors["fraud_rules"] = MESSAGES["fraud_action"]
    for rule, action in (rules.items() if isinstance(rules, dict) else ()):
        known_action = rule in DEFAULT_ACTIONS and action in FRAUD_ACTIONS
        known_limit = (rule in DEFAULT_LIMITS and isinstance(action, int)
                       and not isinstance(action, bool) and 0 < action < FRAUD_LIMIT_MAX)
        if not (known_action or known_limit):
            errors[f"fraud_rules.{rule}"[:80]] = (MESSAGES["fraud_limit"] if rule in
                                                  DEFAULT_LIMITS else MESSAGES["fraud_action"])
    return errors


DEFAULTS: dict[str, Any] = {
    "referrer_reward_kind": "fixed_discount", "referrer_reward_amount": 1000,
    "friend_reward_kind": "percent_discount", "friend_reward_amount": 10,
    "currency": "USD", "min_order_amount": 0, "hold_days": 14,
    "cap_per_referrer_month": None, "cap_total": None, "level2_percent": None,
    "terms": {}, "fraud_rules": {}}


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
    """422 naming the fields (details.fields; details.messages says why, per field)."""
    bad = field_errors(values)
    if bad:
        fields = sorted(bad)
        raise InvalidInput("Invalid fields: " + ", ".join(fields) + ".", code="schema",
                           details={"fields": fields, "messages": bad})


def save_version(session: Session, shop: Shop, changes: dict[str, Any]) -> Program:
    """A new active version from the current one plus `changes`. Publishes of one shop
    queue on the shop's row, so each reads the version the one before it made (locking
    only the active program let a second publish find none once the first had replaced
    it: a duplicate active version, a 500)."""
    session.execute(select(Shop.id).where(Shop.id == shop.id).with_for_update())
    current = session.scalar(select(Program).where(Program.shop_id == shop.id,
                                                   Program.active.is_(True)).with_for_update())
    base = as_dict(current) if current else {**DEFAULTS, "currency": shop.currency}
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


# --- use cases: one call each, scoped to the shop, answering with as_dict values -------

def active_of(services: Services, shop_id: int) -> dict[str, Any]:
    """The shop's active program; NotFound(no_program) when it has none."""
    with services.db.session() as uow:
        return as_dict(active(uow, shops.get(uow, shop_id)))


def publish(services: Services, shop_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """save_version in a unit of work of its own: the new active version. This process
    forgets its snapshot of the shop once committed, so its next turn speaks the new terms
    (whether the editor or the API published them)."""
    with services.db.session() as uow:
        shop = shops.get(uow, shop_id)
        published, slug = as_dict(save_version(uow, shop, changes)), shop.slug
    services.shops.forget(slug)
    return published


def versions(services: Services, shop_id: int, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Every version (or the latest `limit`), newest first."""
    with services.db.session() as uow:
        return [as_dict(p) for p in history(uow, shops.get(uow, shop_id))[:limit]]


@dataclass(frozen=True)
class Editing:
    current: dict[str, Any]  # the active program, or the defaults in the shop's currency
    history: list[dict[str, Any]]  # the latest versions, newest first


EDITOR_HISTORY = 10


def editing(services: Services, shop_id: int) -> Editing:
    """What the program editor starts from."""
    with services.db.session() as uow:
        shop = shops.get(uow, shop_id)
        try:
            current = as_dict(active(uow, shop))
        except NotFound:
            current = {**DEFAULTS, "currency": shop.currency}
        if current.get("version") == 1:  # sign-up's defaults: in the shop's currency now
            current["currency"] = shop.currency
        return Editing(current, [as_dict(p) for p in history(uow, shop)[:EDITOR_HISTORY]])


def draft(values: dict[str, Any]) -> Program:
    """An unsaved program from checked values (never added to a session): what a preview
    speaks before the shop publishes it."""
    return Program(**{f: values[f] for f in FIELDS})
