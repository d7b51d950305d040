"""A provider's delivery report (Twilio's status callback today) applied to the outbox row it
names: delivered -> delivered; failed / undelivered -> dead, or retried later when the
carrier said the handset was only unreachable. The report is kept on the row even when it
beats the worker's own `sent` (the worker applies it then, see Worker._finish_many)."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from core.messaging.worker import MAX_ATTEMPTS, backoff
from core.models import Message, MessageStatus
from core.models import ReportStatus as ReportStatus  # for the webhook above
from core.services import Services

# Carrier errors worth another try later: queue overflow, handset unreachable, unknown.
RETRYABLE_CARRIER = {"30001", "30003", "30008"}


def apply_report(session: Session, services: Services, *, provider: str, provider_id: str,
                 status: ReportStatus, error_code: str = "",
                 message_id: int | None = None) -> Message | None:
    """Find the row by the provider's id, or by our own id carried on the callback URL
    while the worker has not yet stored the provider's id; None when it is not ours."""
    target = Message.provider_message_id == provider_id
    if message_id is not None:
        target = or_(target, and_(Message.id == message_id, or_(
            Message.provider_message_id.is_(None),
            Message.provider_message_id == provider_id)))
    row = session.scalar(select(Message).where(target).limit(1).with_for_update())
    if row is None:
        return None
    now = services.clock()
    row.provider_status = status.value
    if status is ReportStatus.DELIVERED:
        row.delivered_at = now
        if row.status == MessageStatus.SENT:
            row.status = MessageStatus.DELIVERED
        return row
    row.last_error = f"{provider} {status.value} {error_code}".strip()
    if row.status == MessageStatus.SENT:
        if error_code in RETRYABLE_CARRIER and row.attempts < MAX_ATTEMPTS:
            row.status, row.provider_status = MessageStatus.FAILED, None
            row.next_attempt_at = now + backoff(row.attempts)
        else:
            row.status = MessageStatus.DEAD
    return row
