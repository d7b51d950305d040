"""Signed events from a shop: customer.signup, order.completed, order.refunded.

One short transaction per event: reads first (the shop and its secrets in one statement, the
replay check, what the event needs), the writes at the end. The event row is written last,
with its answer, under unique constraints on the event id and, for completed orders, on the
order id: a concurrent duplicate that got past the replay check collides there (or on the
conversion or the customer before it), rolls back whole and, tried again, gets the answer
the first delivery got, so nothing is written twice. The hot statements are built once
(bound parameters), so SQLAlchemy neither rebuilds nor re-keys them per event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jsonschema
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import codes, credentials, fraud, links, referrals, rewards, strict_json, webhook_events
from core import event_rows as rows
from core.errors import Conflict, InvalidInput, MalformedRequest, NotFound
from core.hashing import keyed_hash
from core.models import Conversion, Customer, Program, Referral, ReferralStatus, ShopEvent
from core.prepared import Prepared
from core.rewards import Terms
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
# The buyer's own currency where a store sells in several (Shopify's presentment money).
_PRESENTMENT: dict[str, Any] = {"type": "object", "required": ["currency", "total"],
                                "properties": {
                                    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                                    "total": {"type": "integer", "minimum": 0,
                                              "maximum": MAX_MINOR}}}
_BASE = {"id": {"type": "string", "minLength": 1, "maxLength": 128},
         "shop": {"type": "string", "minLength": 1, "maxLength": 64}}
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
                                       "customer_id": {"type": "string", "minLength": 1,
                                                       "maxLength": 128},
                                       "amount": {"type": "integer", "minimum": 0,
                                                  "maximum": MAX_MINOR},
                                       "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                                       "codes": {"type": "array", "maxItems": 20,
                                                 "description": "discount codes used at "
                                                 "checkout, as typed: a referral code "
                                                 "attributes the order to its referrer",
                                                 "items": {"type": "string", "minLength": 1,
                                                           "maxLength": 64}},
                                       "total": {"type": "integer", "minimum": 0,
                                                 "maximum": MAX_MINOR,
                                                 "description": "what the buyer paid in "
                                                 "`currency`, shipping and tax included "
                                                 "(`amount` is what counts toward the "
                                                 "program's minimum)"},
                                       "presentment": _PRESENTMENT,
                                       "customer": _ORDER_CUSTOMER}},
    "order.refunded": {"type": "object", "required": ["id", "shop", "type", "order_id", "amount"],
                       "properties": {**_BASE, "type": {"const": "order.refunded"},
                                      "order_id": {"type": "string", "minLength": 1,
                                                   "maxLength": 128},
                                      "amount": {"type": "integer", "minimum": 1,
                                                 "maximum": MAX_MINOR,
                                                 "description": "the money given back, in "
                                                 "`currency`"},
                                      "currency": {"type": "string", "pattern": "^[A-Z]{3}$",
                                                   "description": "the order's currency or "
                                                   "its presentment currency; absent: the "
                                                   "order's"},
                                      "subtotal": {"type": "integer", "minimum": 0,
                                                   "maximum": MAX_MINOR,
                                                   "description": "the part that takes back "
                                                   "what counts toward the minimum (items "
                                                   "after discounts, before tax) in the "
                                                   "order's currency; absent: the money "
                                                   "first covers shipping and tax"}}},
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
        data = strict_json.loads(body)
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
                shop = credentials.signing_shop(session, slug, services.box, services.clock)
                if shop is None:
                    raise NotFound(f"No shop {slug!r}.", code="unknown_shop")
                verify(signature_header, body, shop.secrets, services.clock().timestamp())
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
    named = (data["customer"]["id"] if kind == "customer.signup" else
             data["customer_id"] if kind == "order.completed" else None)
    # The replay check is a fast path for re-deliveries; the unique constraints decide.
    ctx = rows.context(session, shop_id, data["id"], kind, order_key, named)
    if ctx.first is not None:
        return EventOutcome(ctx.first.event_id, ctx.first.type, ctx.first.result,
                            replayed=True)
    received_at = services.clock()
    result = _HANDLERS[kind](session, services, shop_id, data, ctx)
    _RECORD.rows(session, {"shop_id": shop_id, "event_id": data["id"], "type": kind,
                           "order_id": order_key, "payload": data, "result": result,
                           "received_at": received_at})  # the constraints decide here
    return EventOutcome(data["id"], kind, result, replayed=False)


_events: Table = ShopEvent.__table__  # type: ignore[assignment]
_RECORD = Prepared(insert(_events), ("shop_id", "event_id", "type", "order_id", "payload",
                                     "result", "received_at"))


def upsert_customer(session: Session, shop_id: int, raw: dict[str, Any], region: str | None,
                    now: datetime, *, signing_up: bool) -> tuple[Customer, bool]:
    """The customer as an ORM object (the shop API's save, a store's customers), and
    whether they had signed up before; the same changes a signed event makes."""
    customer = session.scalar(select(Customer).where(Customer.shop_id == shop_id,
                                                     Customer.external_id == raw["id"]))
    existed = customer is not None and customer.signed_up_at is not None
    values = rows.changes(customer, raw, region, now, signing_up=signing_up)
    if customer is None:
        customer = Customer(shop_id=shop_id, external_id=raw["id"], name="")
        session.add(customer)
    for key, value in values.items():
        setattr(customer, key, value)
    session.flush()
    return customer, existed


_STATUS_OF = {"ok": ReferralStatus.PENDING, "flag": ReferralStatus.FLAGGED,
              "block": ReferralStatus.BLOCKED}


def _signup(session: Session, services: Services, shop_id: int, data: dict[str, Any],
            ctx: rows.Context) -> dict[str, Any]:
    """Reads first (the shop's context with the friend, the code with its owner, the fraud
    rules' lookups), then the writes: the friend, the referral, its webhooks."""
    now = services.clock()
    raw = data["customer"]
    values = rows.changes(ctx.customer, raw, ctx.region, now, signing_up=True)
    friend = rows.party(shop_id, raw["id"], ctx.customer, values)
    existed = ctx.customer is not None and ctx.customer.signed_up_at is not None
    result: dict[str, Any] = {"customer": raw["id"], "referral": None}
    reason, code = _signup_code(session, shop_id, data.get("ref"), ctx.program)
    verdict = None
    if code is not None and ctx.program is not None:
        ip = raw.get("ip")
        ip_hash = keyed_hash(services.settings.hash_key, ip) if ip else None
        verdict = fraud.evaluate(session, fraud.SignupFacts(
            ctx.program.fraud_rules, code.owner, friend, existed, code.id, ip_hash, now))
        source = rows.source_of(session, code.id, data.get("ref"), now)  # reads first
    friend_id = rows.save_customer(session, shop_id, raw["id"], ctx.customer, values, now)
    if verdict is None or code is None or ctx.program is None:
        return {**result, "reason": reason}
    if "already_referred" in verdict.reasons:
        return {**result, "reason": "already_referred", "fraud": list(verdict.reasons)}
    status = _STATUS_OF[verdict.action]
    referral = rows.add_referral(session, program=ctx.program, code_id=code.id,
                                 referrer_id=code.customer_id, friend_id=friend_id,
                                 status=status, reasons=list(verdict.reasons),
                                 ip_hash=ip_hash, now=now, source=source)
    if ctx.webhooks:
        facts = {"id": f"ref_{referral.id}", "referrer_customer_id": code.owner.external_id,
                 "friend_customer_id": raw["id"], "status": status,
                 "reasons": list(verdict.reasons)}
        flagged = ["referral.flagged"] if status is ReferralStatus.FLAGGED else []
        for event_type in ["referral.created", *flagged]:
            webhook_events.emit(session, shop_id=shop_id, event_type=event_type,
                                key=str(referral.id), payload=facts, now=now)
    return {**result, "referral": referral.id, "status": status, "fraud": list(verdict.reasons)}


def _signup_code(session: Session, shop_id: int, ref: str | None,
                 program: Terms | None) -> tuple[str | None, referrals.FoundCode | None]:
    """The code a signup's `ref` names, or why there is none to refer by."""
    if not ref:
        return "no_ref", None
    try:
        code = referrals.find_code(session, links.code_from_ref(ref))
    except (codes.InvalidCode, NotFound, InvalidInput) as exc:
        return getattr(exc, "code", "unknown_code") or "unknown_code", None
    if code.shop_id != shop_id:
        return "unknown_code", None
    if program is None:
        return "no_active_program", None
    return None, code


def _order(session: Session, services: Services, shop_id: int, data: dict[str, Any],
           ctx: rows.Context) -> dict[str, Any]:
    """A referred friend's first qualifying order converts. A friend with no referral yet
    is referred here when a code they typed at checkout is a referral code (every fraud
    rule applies, as at a signup); an unknown buyer is created from the order then.

    Reads first (the shop's context with the friend, the codes typed), then the friend's
    referral read FOR UPDATE, which on SQLite takes the write lock: every read after it
    (fraud, caps) runs under the lock, as every write does."""
    now = services.clock()
    external_id = data["customer_id"]
    typed = _referral_codes(session, shop_id, data.get("codes") or [])
    if ctx.customer is None and not typed:
        if data.get("customer") is not None:  # a store's buyer: remembered by id only, so a
            rows.remember_buyer(session, shop_id, external_id, now)  # later code is not
        return {"conversion": None, "reason": "unknown_customer"}  # a new customer's
    known = ctx.customer
    values = rows.changes(None, {**(data.get("customer") or {}), "id": external_id},
                          ctx.region, now, signing_up=False) if known is None else {}
    ordered_before = known is not None and known.first_order_at is not None
    if not ordered_before:
        values["first_order_at"] = now
    found = rows.referral_of(session, shop_id, known.id) if known is not None else None
    referral, terms = found if found is not None else (None, ctx.program)
    if referral is None and typed:
        if ctx.program is None:
            rows.save_customer(session, shop_id, external_id, known, values, now)
            return {"conversion": None, "reason": "no_active_program"}
        code = typed[0]
        ip = (data.get("customer") or {}).get("ip")
        ip_hash = keyed_hash(services.settings.hash_key, ip) if ip else None
        verdict = fraud.evaluate(session, fraud.SignupFacts(
            ctx.program.fraud_rules, code.owner,
            rows.party(shop_id, external_id, known, values), ordered_before, code.id,
            ip_hash, now))
        source = rows.source_of(session, code.id, None, now)  # reads before the writes
        friend_id = rows.save_customer(session, shop_id, external_id, known, values, now)
        referral = rows.add_referral(session, program=ctx.program, code_id=code.id,
                                     referrer_id=code.customer_id, friend_id=friend_id,
                                     status=_STATUS_OF[verdict.action],
                                     reasons=list(verdict.reasons), ip_hash=ip_hash, now=now,
                                     source=source)
        if referral.status not in (ReferralStatus.PENDING, ReferralStatus.FLAGGED):
            return {"conversion": None, "reason": f"referral_{referral.status}",
                    "referral": referral.id, "fraud": list(referral.reasons)}
        return _convert(session, shop_id, data, ctx.webhooks, referral, ctx.program,
                        friend_id, typed, "code", now)
    friend_id = rows.save_customer(session, shop_id, external_id, known, values, now)
    if referral is None or terms is None or referral.status not in (
            ReferralStatus.PENDING, ReferralStatus.FLAGGED):
        reason = "not_referred" if referral is None else f"referral_{referral.status}"
        return {"conversion": None, "reason": reason}
    return _convert(session, shop_id, data, ctx.webhooks, referral, terms, friend_id, typed,
                    "signup", now)


def _convert(session: Session, shop_id: int, data: dict[str, Any], webhooks: bool,
             referral: rows.Referred, terms: Terms, friend_id: int,
             typed: list[referrals.FoundCode], attributed: str,
             now: datetime) -> dict[str, Any]:
    """The conversion and both sides' rewards, under the program version the referral
    was made under."""
    if data["currency"] != terms.currency:
        return {"conversion": None, "reason": "currency_mismatch"}
    if data["amount"] < terms.min_order_amount:
        return {"conversion": None, "reason": "below_minimum"}
    presentment = data.get("presentment")
    conversion_id = rows.add_conversion(
        session, shop_id=shop_id, referral_id=referral.id, order_id=data["order_id"],
        amount=data["amount"], currency=data["currency"], now=now, total=data.get("total"),
        presentment=(presentment["currency"], presentment["total"]) if presentment else None)
    if webhooks:
        webhook_events.emit(session, shop_id=shop_id, event_type="conversion.created",
                            key=str(conversion_id), now=now, payload={
                                "id": f"cnv_{conversion_id}", "order_id": data["order_id"],
                                "customer_id": data["customer_id"], "amount": data["amount"],
                                "currency": data["currency"],
                                "referral_id": f"ref_{referral.id}"})
    redeemed = next((c for c in typed if c.customer_id == referral.referrer_id), None)
    entries, capped = rewards.grant(session, terms=terms, referral_id=referral.id,
                                    friend_id=friend_id, referrer_id=referral.referrer_id,
                                    conversion_id=conversion_id, now=now,
                                    redeemed_with=redeemed.code if redeemed else None)
    if referral.status == ReferralStatus.PENDING:
        rows.mark_converted(session, referral.id)
    return {"conversion": conversion_id, "capped": capped, "referral": referral.id,
            "attributed_by": attributed, "fraud": list(referral.reasons),
            "rewards": [{"id": e.id, "side": e.side, "kind": e.kind, "amount": e.amount,
                         "currency": e.currency, "status": e.status} for e in entries]}


def _referral_codes(session: Session, shop_id: int,
                    typed: list[str]) -> list[referrals.FoundCode]:
    """The shop's referral codes among the codes typed at checkout, in the order typed.
    Through referrals.find_code, so every tolerance the lookup learns applies here; other
    discount codes (SUMMER10) are simply not referral codes."""
    found: list[referrals.FoundCode] = []
    for text in typed[:20]:
        try:
            code = referrals.find_code(session, text)
        except (codes.InvalidCode, NotFound, InvalidInput):
            continue
        if code.shop_id == shop_id and code not in found:
            found.append(code)
    return found


def _refund(session: Session, services: Services, shop_id: int, data: dict[str, Any],
            _ctx: rows.Context) -> dict[str, Any]:
    """Money given back is compared with what was paid in its currency; only the part that
    takes back what counts toward the program's minimum can reverse the rewards, and only
    when what is kept falls under it (a shipping refund never does; a full refund always
    does, once)."""
    conversion = session.scalar(select(Conversion).where(
        Conversion.shop_id == shop_id, Conversion.order_id == data["order_id"]).with_for_update())
    if conversion is None:
        return {"reversed": 0, "reason": "no_conversion"}
    share = refund_share(conversion, data)
    conversion.refunded_amount += share.shop_money
    conversion.refunded_presentment += share.presentment_money
    conversion.refunded_subtotal = min(conversion.amount,
                                       conversion.refunded_subtotal + share.subtotal)
    program = session.scalar(select(Program).join(Referral, Referral.program_id == Program.id)
                             .where(Referral.id == conversion.referral_id))
    kept = 0 if share.all_paid_back else conversion.amount - conversion.refunded_subtotal
    if kept >= max(program.min_order_amount if program else 0, 1):
        return {"reversed": 0, "reason": "order_still_qualifies", "kept": kept}
    count = rewards.reverse(session, conversion, services.clock(),
                            note=f"refund {data['id']}")
    return {"reversed": count, "kept": kept,
            **({} if count else {"reason": "already_reversed"})}


@dataclass(frozen=True)
class RefundShare:
    shop_money: int  # given back in the order's currency
    presentment_money: int  # given back in the buyer's currency
    subtotal: int  # of what counts toward the minimum, in the order's currency
    all_paid_back: bool


def refund_share(conversion: Conversion, data: dict[str, Any]) -> RefundShare:
    """What one refund takes back, or InvalidInput when it cannot belong to the order (a
    currency the order was not paid in, more than was paid)."""
    amount: int = data["amount"]
    currency = data.get("currency") or conversion.currency
    presentment = currency != conversion.currency
    if presentment and (currency != conversion.presentment_currency
                        or not conversion.presentment_total):
        raise InvalidInput(f"The refund is in {currency}; the order was paid in "
                           f"{conversion.currency}.", code="refund_currency",
                           details={"fields": ["currency"]})
    total = conversion.total_amount if conversion.total_amount is not None \
        else conversion.amount
    paid = conversion.presentment_total or 0 if presentment else total
    before = conversion.refunded_presentment if presentment else conversion.refunded_amount
    if before + amount > paid:
        raise InvalidInput(f"The refunds would exceed what was paid: {paid - before} left to "
                           f"refund of {paid} {currency}.", code="refund_exceeds_order",
                           details={"fields": ["amount"], "refundable": paid - before})
    if "subtotal" in data:
        subtotal = int(data["subtotal"])
    else:  # money first covers shipping and tax, then what counts toward the minimum
        counted = conversion.amount if not presentment or not total else \
            conversion.amount * paid // total
        extras = paid - counted
        subtotal = max(0, before + amount - extras) - max(0, before - extras)
        if presentment and paid:
            subtotal = subtotal * total // paid
    return RefundShare(0 if presentment else amount, amount if presentment else 0, subtotal,
                       all_paid_back=before + amount >= paid)


_HANDLERS: dict[str, Callable[[Session, Services, int, dict[str, Any], rows.Context],
                              dict[str, Any]]] = {
    "customer.signup": _signup, "order.completed": _order, "order.refunded": _refund}
