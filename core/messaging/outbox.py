"""Writing to the outbox. A row is added inside the caller's transaction, so a share and its
message commit or vanish together; the idempotency key makes a retried turn harmless."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.hashing import keyed_hash
from core.models import Message


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
