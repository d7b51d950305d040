"""Signed events from a shop: customer.signup, order.completed, order.refunded.

One transaction per event. The event row is inserted first, under unique constraints on the
event id and, for completed orders, on the order id: a replay (or a concurrent duplicate,
which waits on the constraint) gets the answer the first delivery got, and nothing is
written twice."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jsonschema
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import codes, credentials, fraud, links, referrals, rewards, webhook_events
from core.contacts import canonical_email, normalize_email, normalize_phone
from core.errors import Conflict, InvalidInput, MalformedRequest, NotFound
from core.hashing import keyed_hash
from core.models import Conversion, Customer, Program, Referral, ReferralCode, ShopEvent
from core.services import Services
from core.webhook_signing import parse_header, verify

_CUSTOMER = {"type": "object", "required": ["id"], "properties": {
    "id": {"type": "string", "minLength": 1, "maxLength": 128},
    "email": {"type": ["string", "null"], "maxLength": 320},
    "phone": {"type": ["string", "null"], "maxLength": 40},
    "name": {"type": ["string", "null"], "maxLength": 200},
    "ip": {"type": ["string", "null"], "maxLength": 64},
    "locale": {"type": ["string", "null"], "maxLength": 16}}}
# The buyer as the order names them: enough to create the customer when the order is the
# first we hear of them (a code typed at checkout, no signup or click before).
_ORDER_CUSTOMER: dict[str, Any] = {"type": "object", "properties": {
    "email": {"type": ["string", "null"], "maxLength": 320},
    "phone": {"type": ["string", "null"], "maxLength": 40},
    "name": {"type": ["string", "null"], "maxLength": 200},
    "ip": {"type": ["string", "null"], "maxLength": 64},
    "locale": {"type": ["string", "null"], "maxLength": 16}}}
MAX_MINOR = 10**15  # minor units; far above any order, far below BIGINT
_BASE = {"id": {"type": "string", "minLength": 1, "maxLength": 128},
         "shop": {"type": "string", "minLength": 1}}
SCHEMAS: dict[str, dict[str, Any]] = {
    "customer.signup": {"type": "object", "required": ["id", "shop", "type", "customer"],
                        "properties": {**_BASE, "type": {"const": "customer.signup"},
                                       "customer": _CUSTOMER,
                                       "ref": {"type": ["string", "null"], "maxLength": 500}}},
    "order.completed": {"type": "object",
                        "required": ["id", "shop", "type", "order_id", "customer_id", "amount",
                                     "currency"],
                        "properties": {**_BASE, "type": {"const": "order.completed"},
                                       "order_id": {"type": "string", "minLength": 1,
                                                    "maxLength": 128},
                                       "customer_id": {"type": "string", "minLength": 1},
                                       "amount": {"type": "integer", "minimum": 0,
                                                  "maximum": MAX_MINOR},
                                       "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                                       "codes": {"type": "array", "maxItems": 20,
                                                 "description": "discount codes used at "
                                                 "checkout, as typed: a referral code "
                                                 "attributes the order to its referrer",
                                                 "items": {"type": "string", "minLength": 1,
                                                           "maxLength": 64}},
                                       "customer": _ORDER_CUSTOMER}},
    "order.refunded": {"type": "object", "required": ["id", "shop", "type", "order_id", "amount"],
                       "properties": {**_BASE, "type": {"const": "order.refunded"},
                                      "order_id": {"type": "string", "minLength": 1},
                                      "amount": {"type": "integer", "minimum": 1,
                                                 "maximum": MAX_MINOR}}},
}


_VALIDATORS = {kind: jsonschema.Draft202012Validator(schema) for kind, schema in SCHEMAS.items()}


@dataclass(frozen=True)
class EventOutcome:
    event_id: str
    type: str
    result: dict[str, Any]
    replayed: bool

    def as_dict(self) -> dict[str, Any]:
        return {"event": self.event_id, "type": self.type, "replayed": self.replayed,
                "result": self.result}


def parse(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedRequest("The body is not JSON.", code="malformed_json") from exc
    if not isinstance(data, dict):
        raise MalformedRequest("The body must be a JSON object.", code="malformed_json")
    return data


def validate(data: dict[str, Any]) -> None:
    """422 naming every field that is wrong."""
    schema = SCHEMAS.get(str(data.get("type")))
    if schema is None:
        raise InvalidInput(f"Unknown event type {data.get('type')!r}; expected one of "
                           f"{sorted(SCHEMAS)}.", code="schema", details={"fields": ["type"]})
    errors = sorted(_VALIDATORS[data["type"]].iter_errors(data),
                    key=lambda e: list(e.path))
    if errors:
        fields = [_field_of(e) for e in errors]
        raise InvalidInput("Invalid fields: " + ", ".join(fields) + ".", code="schema",
                           details={"fields": fields, "errors": [e.message for e in errors]})


def _field_of(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(p) for p in error.path)
    if error.validator == "required":  # the message is "'name' is a required property"
        missing = error.message.split("'")[1]
        return f"{path}.{missing}" if path else missing
    return path or "(body)"


def receive(services: Services, body: bytes, signature_header: str | None) -> EventOutcome:
    """One transaction per event: the shop and its secrets are read, the signature checked,
    a replay answered, or the event recorded and processed, all in it. A conflict on the
    event row is a replay; a conflict elsewhere (the same friend signing up in two events at
    once) rolls the whole event back, and processing it again sees the winner's rows."""
    parse_header(signature_header)  # an unsigned or malformed header: 401 before any lookup
    data = parse(body)
    slug = data.get("shop")
    if not isinstance(slug, str):
        raise InvalidInput("Invalid fields: shop.", code="schema", details={"fields": ["shop"]})
    for _attempt in range(3):
        try:
            with services.db.session() as session:
                shop = referrals.shop_by_slug(session, slug)
                secrets = credentials.webhook_secrets(session, shop, services.box,
                                                      services.clock)
                verify(signature_header, body, secrets, services.clock().timestamp())
                return record(session, services, shop.id, data)
        except IntegrityError:
            continue  # the next attempt finds the winner's event, or sees its rows
    raise Conflict("The event collided with concurrent events; send it again.", code="retry")


def record(session: Session, services: Services, shop_id: int,
           data: dict[str, Any]) -> EventOutcome:
    """Validate, answer a replay, or record and process one event in the caller's
    transaction (signed events here, store webhooks in core.stores.inbound). An
    IntegrityError means a concurrent duplicate: the caller rolls back and tries again."""
    validate(data)
    kind = data["type"]
    order_key = data.get("order_id") if kind == "order.completed" else None
    # A fast path for re-deliveries; the unique constraints still decide.
    first = _first_delivery(session, shop_id, data["id"], kind, order_key)
    if first is not None:
        return first
    event = ShopEvent(shop_id=shop_id, event_id=data["id"], type=kind,
                      order_id=order_key, payload=data, received_at=services.clock())
    session.add(event)
    session.flush()  # the unique constraints decide here, before any work
    event.result = _process(session, services, shop_id, data)
    return EventOutcome(event.event_id, kind, event.result, replayed=False)


def _first_delivery(session: Session, shop_id: int, event_id: str, kind: str,
                    order_key: str | None) -> EventOutcome | None:
    same = ShopEvent.event_id == event_id
    if order_key:
        same = or_(same, (ShopEvent.type == kind) & (ShopEvent.order_id == order_key))
    first = session.scalar(select(ShopEvent).where(ShopEvent.shop_id == shop_id, same)
                           .order_by(ShopEvent.id).limit(1))
    if first is None:
        return None
    return EventOutcome(first.event_id, first.type, dict(first.result), replayed=True)


def _process(session: Session, services: Services, shop_id: int,
             data: dict[str, Any]) -> dict[str, Any]:
    handler = {"customer.signup": _signup, "order.completed": _order,
               "order.refunded": _refund}[data["type"]]
    return handler(session, services, shop_id, data)


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


def upsert_customer(session: Session, shop_id: int, raw: dict[str, Any], region: str | None,
                    now: datetime, *, signing_up: bool) -> tuple[Customer, bool]:
    """Returns the customer and whether they had signed up before this event."""
    contact = _contact(raw, region)
    customer = session.scalar(select(Customer).where(Customer.shop_id == shop_id,
                                                     Customer.external_id == raw["id"]))
    existed = customer is not None and customer.signed_up_at is not None
    if customer is None:
        customer = Customer(shop_id=shop_id, external_id=raw["id"], name="")
        session.add(customer)
    if raw.get("name"):
        customer.name = raw["name"]
    if contact["email"]:
        customer.email, customer.email_canonical = contact["email"], canonical_email(
            contact["email"])
    if contact["phone"]:
        customer.phone = contact["phone"]
    if raw.get("locale"):
        customer.locale = raw["locale"]
    if signing_up and customer.signed_up_at is None:
        customer.signed_up_at = now
    session.flush()
    return customer, existed


def _active_program(session: Session, shop_id: int) -> Program | None:
    return session.scalar(select(Program).where(Program.shop_id == shop_id,
                                                Program.active.is_(True)))


def _signup(session: Session, services: Services, shop_id: int,
            data: dict[str, Any]) -> dict[str, Any]:
    now = services.clock()
    program = _active_program(session, shop_id)
    region = program.shop.locale.split("-")[-1] if program else None
    friend, existed = upsert_customer(session, shop_id, data["customer"], region, now,
                                      signing_up=True)
    result: dict[str, Any] = {"customer": friend.external_id, "referral": None}
    ref = data.get("ref")
    if not ref:
        return {**result, "reason": "no_ref"}
    try:
        code = referrals.find_code(session, links.code_from_ref(ref))
    except (codes.InvalidCode, NotFound, InvalidInput) as exc:
        return {**result, "reason": getattr(exc, "code", "unknown_code") or "unknown_code"}
    if code.shop_id != shop_id:
        return {**result, "reason": "unknown_code"}
    if program is None:
        return {**result, "reason": "no_active_program"}
    referrer = session.get_one(Customer, code.customer_id)
    ip = data["customer"].get("ip")
    ip_hash = keyed_hash(services.settings.hash_key, ip) if ip else None
    verdict = fraud.evaluate(fraud.SignupFacts(session, program, referrer, friend, existed,
                                               code.id, ip_hash, now))
    if "already_referred" in verdict.reasons:
        return {**result, "reason": "already_referred", "fraud": list(verdict.reasons)}
    status = {"ok": "pending", "flag": "flagged", "block": "blocked"}[verdict.action]
    referral = Referral(shop_id=shop_id, program_id=program.id, code_id=code.id,
                        referrer_id=referrer.id, friend_id=friend.id, status=status,
                        reasons=list(verdict.reasons), ip_hash=ip_hash, created_at=now)
    session.add(referral)
    session.flush()
    facts = {"id": f"ref_{referral.id}", "referrer_customer_id": referrer.external_id,
             "friend_customer_id": friend.external_id, "status": status,
             "reasons": list(verdict.reasons)}
    webhook_events.emit(session, shop_id=shop_id, event_type="referral.created",
                        key=str(referral.id), payload=facts, now=now)
    if status == "flagged":
        webhook_events.emit(session, shop_id=shop_id, event_type="referral.flagged",
                            key=str(referral.id), payload=facts, now=now)
    return {**result, "referral": referral.id, "status": status, "fraud": list(verdict.reasons)}


def _order(session: Session, services: Services, shop_id: int,
           data: dict[str, Any]) -> dict[str, Any]:
    """A referred friend's first qualifying order converts. A friend with no referral yet
    is referred here when a code they typed at checkout is a referral code (every fraud
    rule applies, as at a signup); an unknown buyer is created from the order then."""
    now = services.clock()
    friend = session.scalar(select(Customer).where(Customer.shop_id == shop_id,
                                                   Customer.external_id == data["customer_id"]))
    typed = _referral_codes(session, shop_id, data.get("codes") or [])
    if friend is None and not typed:
        if data.get("customer") is not None:  # a store's buyer: remembered by id only, so a
            _remember_buyer(session, shop_id, data["customer_id"], now)  # later code is not
        return {"conversion": None, "reason": "unknown_customer"}  # a new customer's
    program = _active_program(session, shop_id)
    if friend is None:
        region = program.shop.locale.split("-")[-1] if program else None
        friend, _ = upsert_customer(session, shop_id, {**(data.get("customer") or {}),
                                                       "id": data["customer_id"]},
                                    region, now, signing_up=False)
    ordered_before = friend.first_order_at is not None
    friend.first_order_at = friend.first_order_at or now
    referral = session.scalar(select(Referral).where(
        Referral.shop_id == shop_id, Referral.friend_id == friend.id).with_for_update())
    attributed = "signup"
    if referral is None and typed:
        if program is None:
            return {"conversion": None, "reason": "no_active_program"}
        referral = _refer_at_checkout(session, services, program, friend, typed[0],
                                      ordered_before, (data.get("customer") or {}).get("ip"))
        attributed = "code"
    if referral is None or referral.status not in ("pending", "flagged"):
        reason = "not_referred" if referral is None else f"referral_{referral.status}"
        out: dict[str, Any] = {"conversion": None, "reason": reason}
        if referral is not None and attributed == "code":
            out.update(referral=referral.id, fraud=list(referral.reasons or []))
        return out
    program = session.get_one(Program, referral.program_id)
    if data["currency"] != program.currency:
        return {"conversion": None, "reason": "currency_mismatch"}
    if data["amount"] < program.min_order_amount:
        return {"conversion": None, "reason": "below_minimum"}
    conversion = Conversion(shop_id=shop_id, referral_id=referral.id, order_id=data["order_id"],
                            amount=data["amount"], currency=data["currency"], created_at=now)
    session.add(conversion)
    session.flush()
    webhook_events.emit(session, shop_id=shop_id, event_type="conversion.created",
                        key=str(conversion.id), now=now, payload={
                            "id": f"cnv_{conversion.id}", "order_id": conversion.order_id,
                            "customer_id": friend.external_id, "amount": conversion.amount,
                            "currency": conversion.currency,
                            "referral_id": f"ref_{referral.id}"})
    entries, capped = rewards.grant(session, program=program, referral=referral,
                                    conversion=conversion, now=now)
    redeemed = next((c for c in typed if c.customer_id == referral.referrer_id), None)
    if redeemed is not None:
        rewards.mark_redeemed(entries, redeemed.code, now)
    if referral.status == "pending":
        referral.status = "converted"
    session.flush()
    return {"conversion": conversion.id, "capped": capped, "referral": referral.id,
            "attributed_by": attributed, "fraud": list(referral.reasons or []),
            "rewards": [{"id": e.id, "side": e.side, "kind": e.kind, "amount": e.amount,
                         "currency": e.currency, "status": e.status} for e in entries]}


def _remember_buyer(session: Session, shop_id: int, external_id: str, now: datetime) -> None:
    """A buyer who used no referral code: kept as their id and first order time only (no
    contact details), which is all the existing-customer rule needs later."""
    try:
        with session.begin_nested():
            session.add(Customer(shop_id=shop_id, external_id=external_id, name="",
                                 first_order_at=now))
    except IntegrityError:
        pass  # a concurrent order of the same buyer remembered them


def _referral_codes(session: Session, shop_id: int, typed: list[str]) -> list[ReferralCode]:
    """The shop's referral codes among the codes typed at checkout, in the order typed.
    Through referrals.find_code, so every tolerance the lookup learns applies here; other
    discount codes (SUMMER10) are simply not referral codes."""
    found: list[ReferralCode] = []
    for text in typed[:20]:
        try:
            code = referrals.find_code(session, text)
        except (codes.InvalidCode, NotFound, InvalidInput):
            continue
        if code.shop_id == shop_id and code not in found:
            found.append(code)
    return found


def _refer_at_checkout(session: Session, services: Services, program: Program,
                       friend: Customer, code: ReferralCode, ordered_before: bool,
                       ip: str | None) -> Referral:
    """The referral a signup with this code would have made, made at the order instead."""
    now = services.clock()
    referrer = code.customer  # the code's owner; the foreign key guarantees one
    ip_hash = keyed_hash(services.settings.hash_key, ip) if ip else None
    verdict = fraud.evaluate(fraud.SignupFacts(session, program, referrer, friend,
                                               ordered_before, code.id, ip_hash, now))
    status = {"ok": "pending", "flag": "flagged", "block": "blocked"}[verdict.action]
    referral = Referral(shop_id=friend.shop_id, program_id=program.id, code_id=code.id,
                        referrer_id=referrer.id, friend_id=friend.id, status=status,
                        reasons=list(verdict.reasons), ip_hash=ip_hash, created_at=now)
    session.add(referral)
    session.flush()
    return referral


def _refund(session: Session, services: Services, shop_id: int,
            data: dict[str, Any]) -> dict[str, Any]:
    conversion = session.scalar(select(Conversion).where(
        Conversion.shop_id == shop_id, Conversion.order_id == data["order_id"]).with_for_update())
    if conversion is None:
        return {"reversed": 0, "reason": "no_conversion"}
    if conversion.refunded_amount + data["amount"] > conversion.amount:
        left = conversion.amount - conversion.refunded_amount
        raise InvalidInput(f"The refunds would exceed the order amount: {left} left to "
                           f"refund of {conversion.amount}.", code="refund_exceeds_order",
                           details={"fields": ["amount"], "refundable": left})
    conversion.refunded_amount += data["amount"]
    program = session.scalar(select(Program).join(Referral, Referral.program_id == Program.id)
                             .where(Referral.id == conversion.referral_id))
    kept = conversion.amount - conversion.refunded_amount
    if kept >= max(program.min_order_amount if program else 0, 1):
        return {"reversed": 0, "reason": "order_still_qualifies", "kept": kept}
    count = rewards.reverse(session, conversion, services.clock(),
                            note=f"refund {data['id']}")
    return {"reversed": count}
