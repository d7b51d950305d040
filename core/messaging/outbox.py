"""Writing to the outbox. A row is added inside the caller's transaction, so a share and its
message commit or vanish together; the idempotency key makes a retried turn harmless."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.config import Settings
from core.hashing import keyed_hash
from core.models import Customer, Message


def enqueue(
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
) -> Message:
    existing = session.scalar(select(Message).where(Message.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    message = Message(
        shop_id=shop_id,
        customer_id=customer_id,
        kind=kind,
        channel=channel,
        recipient=recipient,
        recipient_hash=keyed_hash(hash_key, recipient),
        locale=locale,
        context=context or {},
        evidence=evidence or {},
        idempotency_key=idempotency_key,
        next_attempt_at=not_before or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        # Another transaction wrote the same key first: theirs is the message.
        found = session.scalar(select(Message).where(Message.idempotency_key == idempotency_key))
        if found is None:
            raise
        return found
    return message


def choose_channel(customer: Customer, settings: Settings) -> tuple[str, str] | None:
    """Where a customer's own invite goes: the confirmed phone by SMS when SMS can be sent
    (Twilio configured, or the sandbox), else the confirmed email; None without either."""
    sms_possible = bool(settings.twilio) or settings.messaging_mode == "sandbox"
    if customer.phone and customer.phone_confirmed_at and sms_possible:
        return "sms", customer.phone
    if customer.email and customer.email_confirmed_at:
        return "email", customer.email
    if customer.phone and customer.phone_confirmed_at:
        return "sms", customer.phone
    return None
