"""Queueing a shop's outbound events (core.outbound delivers them). Called inside the use
case's transaction, so the event commits or vanishes with what it reports.

One row per endpoint the shop set for that event type (Settings → Webhooks); reward events
also go to the shop's older single `webhook_url` setting when no endpoint is set for them
(queued as before, even while that setting is empty)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import WEBHOOK_EVENT_TYPES, OutboundWebhook, WebhookEndpoint

LEGACY_TYPES = ("reward.approved", "reward.reversed")


def emit(session: Session, *, shop_id: int, event_type: str, key: str,
         payload: dict[str, Any], now: datetime) -> list[OutboundWebhook]:
    """Queue `payload` (its "type" set to event_type) for every endpoint of the type.
    `key` is the event's stable id: the same key twice queues nothing more."""
    if event_type not in WEBHOOK_EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type}")
    payload = {"type": event_type, **payload}
    endpoints = list(session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.shop_id == shop_id, WebhookEndpoint.event_type == event_type,
        WebhookEndpoint.active.is_(True))))
    targets: list[tuple[int | None, str]] = [(e.id, f"{event_type}:{key}@{e.id}")
                                             for e in endpoints]
    if not endpoints and event_type in LEGACY_TYPES:
        # as before endpoints existed: kept (and retried) until a webhook_url is set
        targets.append((None, f"{event_type}:{key}"))
    rows = []
    for endpoint_id, idempotency_key in targets:
        if session.scalar(select(OutboundWebhook.id).where(
                OutboundWebhook.idempotency_key == idempotency_key)) is not None:
            continue
        row = OutboundWebhook(shop_id=shop_id, event_type=event_type, endpoint_id=endpoint_id,
                              idempotency_key=idempotency_key[:128], next_attempt_at=now,
                              payload=payload)
        session.add(row)
        rows.append(row)
    return rows
