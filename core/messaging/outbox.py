"""Writing to the outbox. A row is added inside the caller's transaction, so a share and its
message commit or vanish together; the idempotency key makes a retried turn harmless.

What to queue is one `NewMessage` value. `enqueue_new` adds an ORM Message (the caller gets the
object); `enqueue_once` is the hot path of a voice turn: one INSERT ... ON CONFLICT
(idempotency_key) DO NOTHING RETURNING id at the driver (core.prepared), no read before it
and no savepoint around it, the same row either way."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.clock import as_utc
from core.config import Settings
from core.db import session_now
from core.errors import NotFound, RateLimited
from core.hashing import keyed_hash
from core.messaging.purpose import Purpose, purpose_of
from core.models import Customer, Message, VoiceIdentity
from core.prepared import Prepared


class NoLongerLinked(NotFound):
    """The voice identity a turn came through was erased before the turn wrote anything:
    the whole turn is undone (the caller must not turn this into an outcome)."""


@dataclass(frozen=True)
class NewMessage:
    """One message to queue. The idempotency key names it: the same key is the same message,
    however often a turn or a job is retried."""

    hash_key: str
    shop_id: int
    kind: str
    channel: str
    recipient: str
    idempotency_key: str
    customer_id: int | None = None
    locale: str = "en-US"
    context: dict[str, Any] | None = None
    evidence: dict[str, Any] | None = None
    not_before: datetime | None = None
    now: datetime | None = None
    purpose: Purpose | None = None  # None: the kind's class (core.messaging.purpose)


def enqueue(session: Session, **fields: Any) -> Message:
    """Add a message (see `enqueue_new`); the same idempotency key returns the first row."""
    return enqueue_new(session, NewMessage(**fields))[0]


def enqueue_new(session: Session, outgoing: NewMessage) -> tuple[Message, bool]:
    """Add the message to the caller's transaction; returns it and whether it is new (the
    same idempotency key returns the first row, not new).

    A friend invite over the caps raises RateLimited (the dialog says so): one invite per
    recipient per shop per 30 days, FRIEND_INVITES_PER_DAY per referrer per day. Consent,
    opt-outs and quiet hours are checked by the worker just before sending."""
    key = outgoing.idempotency_key
    existing = session.scalar(select(Message).where(Message.idempotency_key == key))
    if existing is not None:
        return existing, False
    message = Message(**_checked_row(session, outgoing))
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        # Another transaction wrote the same key first: theirs is the message.
        found = session.scalar(select(Message).where(Message.idempotency_key == key))
        if found is None:
            raise
        return found, False
    return message, True


_messages = cast(Table, Message.__table__)
_ROW = ("shop_id", "customer_id", "kind", "purpose", "channel", "recipient", "recipient_hash",
        "locale", "context", "evidence", "idempotency_key", "next_attempt_at", "created_at")
_DEFAULTED = ("status", "attempts", "rendered")  # the columns' own defaults, bound
_COLUMNS = _ROW + _DEFAULTED
_IF_LINKED = (
    select(*(bindparam(name, type_=_messages.c[name].type) for name in _COLUMNS))
    .where(exists().where(VoiceIdentity.__table__.c.id == bindparam("voice_identity_id"))))
_INSERT_ONCE = Prepared(
    sqlite.insert(_messages).on_conflict_do_nothing(index_elements=["idempotency_key"])
    .returning(_messages.c.id), _COLUMNS,
    variants={"postgresql": postgresql.insert(_messages)
              .on_conflict_do_nothing(index_elements=["idempotency_key"])
              .returning(_messages.c.id)})
# The same, written only while the voice identity the turn came through is still linked
# (core.speakers: an erasure between a turn's read and its write leaves nothing behind).
_INSERT_ONCE_IF_LINKED = Prepared(
    sqlite.insert(_messages).from_select(list(_COLUMNS), _IF_LINKED)
    .on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(_messages.c.id),
    variants={"postgresql": postgresql.insert(_messages).from_select(list(_COLUMNS), _IF_LINKED)
              .on_conflict_do_nothing(index_elements=["idempotency_key"])
              .returning(_messages.c.id)})
_IDENTITY_LINKED = Prepared(select(VoiceIdentity.__table__.c.id).where(
    VoiceIdentity.__table__.c.id == bindparam("voice_identity_id")))


def _column_default(name: str) -> Any:
    default: Any = _messages.c[name].default
    return default.arg if default is not None and default.is_scalar else {}


_DEFAULTS = {name: _column_default(name) for name in _DEFAULTED}


def enqueue_once(session: Session, outgoing: NewMessage, *,
                 linked_voice_identity: int | None = None) -> int | None:
    """`enqueue_new` in one statement: the new message's id, or None when a message with
    this idempotency key exists (committed, or being written by a concurrent transaction,
    which PostgreSQL waits for). The friend caps are checked first, as there. With
    `linked_voice_identity`, nothing is written once that identity is gone (an erasure
    won the race): NoLongerLinked, so the turn is undone and apologizes instead of saying
    it sent something."""
    row = _checked_row(session, outgoing)
    if linked_voice_identity is None:
        found: int | None = _INSERT_ONCE.scalar(session, {**row, **_DEFAULTS})
        return found
    found = _INSERT_ONCE_IF_LINKED.scalar(
        session, {**row, **_DEFAULTS, "voice_identity_id": linked_voice_identity})
    if found is None and _IDENTITY_LINKED.scalar(
            session, {"voice_identity_id": linked_voice_identity}) is None:
        raise NoLongerLinked("This voice user is no longer linked.", code="unknown_customer")
    return found


# Set while the in-process simulator's turn runs (fulfillment.webhooks.turn_capture): what
# that request queues is marked, and the worker sends it through the sandbox channel only.
# A context variable, so it belongs to that one request (its thread), never to another.
_SIMULATED: ContextVar[bool] = ContextVar("referrals_simulated_turn", default=False)
SIMULATED = "simulated"  # the context key the worker reads


@contextmanager
def simulated_turn(on: bool) -> Iterator[None]:
    token = _SIMULATED.set(on)
    try:
        yield
    finally:
        _SIMULATED.reset(token)


def is_simulated(context: dict[str, Any] | None) -> bool:
    return bool((context or {}).get(SIMULATED))


def _checked_row(session: Session, outgoing: NewMessage) -> dict[str, Any]:
    """The message's columns, after the friend caps (RateLimited over them)."""
    now = outgoing.now or session_now(session)
    recipient_hash = keyed_hash(outgoing.hash_key, outgoing.recipient)
    if outgoing.kind == "invite_friend":
        _check_friend_caps(session, outgoing.shop_id, outgoing.customer_id, recipient_hash,
                           as_utc(now))
    return {"shop_id": outgoing.shop_id, "customer_id": outgoing.customer_id,
            "kind": outgoing.kind,
            "purpose": (outgoing.purpose or purpose_of(outgoing.kind)).value,
            "channel": outgoing.channel,
            "recipient": outgoing.recipient, "recipient_hash": recipient_hash,
            "locale": outgoing.locale,
            "context": {**(outgoing.context or {}), SIMULATED: True} if _SIMULATED.get()
            else outgoing.context or {},
            "evidence": outgoing.evidence or {}, "idempotency_key": outgoing.idempotency_key,
            "next_attempt_at": outgoing.not_before or now, "created_at": now}


FRIEND_INVITES_PER_DAY = 5
FRIEND_WINDOW = timedelta(days=30)


def _check_friend_caps(session: Session, shop_id: int, customer_id: int | None,
                       recipient_hash: str, now: datetime) -> None:
    recent_to_friend = session.scalar(select(func.count(Message.id)).where(
        Message.shop_id == shop_id, Message.kind == "invite_friend",
        Message.recipient_hash == recipient_hash, Message.created_at >= now - FRIEND_WINDOW))
    if recent_to_friend:
        raise RateLimited("This friend was invited in the last 30 days.",
                          code="friend_recently_invited")
    today = session.scalar(select(func.count(Message.id)).where(
        Message.shop_id == shop_id, Message.kind == "invite_friend",
        Message.customer_id == customer_id, Message.created_at >= now - timedelta(days=1)))
    if (today or 0) >= FRIEND_INVITES_PER_DAY:
        raise RateLimited("Too many friend invites today.", code="friend_invites_per_day")


def choose_channel(customer: Customer, settings: Settings) -> tuple[str, str] | None:
    """Where a customer's own invite goes: the confirmed phone by SMS when SMS can be sent
    (Twilio configured, or the sandbox), else the confirmed email; None without either."""
    sms_possible = settings.twilio is not None or settings.messaging_mode == "sandbox"
    if customer.phone and customer.phone_confirmed_at and sms_possible:
        return "sms", customer.phone
    if customer.email and customer.email_confirmed_at:
        return "email", customer.email
    if customer.phone and customer.phone_confirmed_at:
        return "sms", customer.phone
    return None
