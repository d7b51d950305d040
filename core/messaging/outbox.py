"""Writing to the outbox. A row is added inside the caller's transaction, so a share and its
message commit or vanish together; the idempotency key makes a retried turn harmless.

`enqueue_new` adds an ORM Message (the caller gets the object); `enqueue_once` is the hot
path of a voice turn: one INSERT ... ON CONFLICT (idempotency_key) DO NOTHING RETURNING id,
no read before it and no savepoint around it, the same row either way."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.clock import as_utc
from core.config import Settings
from core.db import session_now
from core.errors import RateLimited
from core.hashing import keyed_hash
from core.models import Customer, Message


def enqueue(session: Session, **fields: Any) -> Message:
    """Add a message (see `enqueue_new`); the same idempotency key returns the first row."""
    return enqueue_new(session, **fields)[0]


def enqueue_new(
    session: Session,
    *,
    hash_key: str,
    shop_id: int,
    kind: str,
    channel: str,
    recipient: str,
    idempotency_key: str,
    customer_id: int | None = None,
    locale: str = "en-US",
    context: dict[str, Any] | None = None,
    evidence: dict[str, Any] | None = None,
    not_before: Any = None,
    now: datetime | None = None,
) -> tuple[Message, bool]:
    """Add the message to the caller's transaction; returns it and whether it is new (the
    same idempotency key returns the first row, not new).

    A friend invite over the caps raises RateLimited (the dialog says so): one invite per
    recipient per shop per 30 days, FRIEND_INVITES_PER_DAY per referrer per day. Consent,
    opt-outs and quiet hours are checked by the worker just before sending."""
    existing = session.scalar(select(Message).where(Message.idempotency_key == idempotency_key))
    if existing is not None:
        return existing, False
    message = Message(**_checked_row(
        session, hash_key=hash_key, shop_id=shop_id, kind=kind, channel=channel,
        recipient=recipient, idempotency_key=idempotency_key, customer_id=customer_id,
        locale=locale, context=context, evidence=evidence, not_before=not_before, now=now))
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        # Another transaction wrote the same key first: theirs is the message.
        found = session.scalar(select(Message).where(Message.idempotency_key == idempotency_key))
        if found is None:
            raise
        return found, False
    return message, True


_INSERT_ONCE = {
    name: dialect.insert(Message.__table__)
    .on_conflict_do_nothing(index_elements=["idempotency_key"])
    .returning(Message.__table__.c.id)
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))}


def enqueue_once(
    session: Session,
    *,
    hash_key: str,
    shop_id: int,
    kind: str,
    channel: str,
    recipient: str,
    idempotency_key: str,
    customer_id: int | None = None,
    locale: str = "en-US",
    context: dict[str, Any] | None = None,
    evidence: dict[str, Any] | None = None,
    not_before: Any = None,
    now: datetime | None = None,
) -> int | None:
    """`enqueue_new` in one statement: the new message's id, or None when a message with
    this idempotency key exists (committed, or being written by a concurrent transaction,
    which PostgreSQL waits for). The friend caps are checked first, as there."""
    row = _checked_row(
        session, hash_key=hash_key, shop_id=shop_id, kind=kind, channel=channel,
        recipient=recipient, idempotency_key=idempotency_key, customer_id=customer_id,
        locale=locale, context=context, evidence=evidence, not_before=not_before, now=now)
    statement = _INSERT_ONCE[session.get_bind().dialect.name]
    found: int | None = session.execute(statement, row).scalar()
    return found


def _checked_row(session: Session, *, hash_key: str, shop_id: int, kind: str, channel: str,
                 recipient: str, idempotency_key: str, customer_id: int | None, locale: str,
                 context: dict[str, Any] | None, evidence: dict[str, Any] | None,
                 not_before: Any, now: datetime | None) -> dict[str, Any]:
    """The message's columns, after the friend caps (RateLimited over them)."""
    now = now or session_now(session)
    recipient_hash = keyed_hash(hash_key, recipient)
    if kind == "invite_friend":
        _check_friend_caps(session, shop_id, customer_id, recipient_hash, as_utc(now))
    return {"shop_id": shop_id, "customer_id": customer_id, "kind": kind, "channel": channel,
            "recipient": recipient, "recipient_hash": recipient_hash, "locale": locale,
            "context": context or {}, "evidence": evidence or {},
            "idempotency_key": idempotency_key, "next_attempt_at": not_before or now,
            "created_at": now}


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
