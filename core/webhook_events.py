"""Queueing a shop's outbound events (core.outbound delivers them). Called inside the use
case's transaction, so the event commits or vanishes with what it reports.

One row per endpoint the shop set for that event type (Settings → Webhooks); reward events
also go to the shop's older single `webhook_url` setting when no endpoint is set for them
(queued as before, even while that setting is empty).

One prebuilt statement, INSERT ... SELECT over the shop's endpoints: no read of the
endpoints first, no check-then-insert per row. A key queued before is skipped by the unique
idempotency key (ON CONFLICT DO NOTHING), so the same event twice queues nothing more, even
from two transactions at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    String,
    Table,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal_column,
    null,
    select,
)
from sqlalchemy.dialects.postgresql import insert  # ON CONFLICT: SQLite compiles it alike
from sqlalchemy.orm import Session

from core.models import WEBHOOK_EVENT_TYPES, OutboundStatus, OutboundWebhook, WebhookEndpoint
from core.models.base import JSONType, UTCDateTime

LEGACY_TYPES = ("reward.approved", "reward.reversed")

_endpoints: Table = WebhookEndpoint.__table__  # type: ignore[assignment]
_outbound: Table = OutboundWebhook.__table__  # type: ignore[assignment]
_ACTIVE = and_(_endpoints.c.shop_id == bindparam("shop_id", type_=BigInteger),
               _endpoints.c.event_type == bindparam("event_type", type_=String),
               _endpoints.c.active.is_(True))


def _target(endpoint_id: Any, key: Any) -> Any:
    """The row for one target: `key` is its idempotency key (at most 128 characters)."""
    return select(bindparam("shop_id", type_=BigInteger), bindparam("event_type", type_=String),
                  endpoint_id, func.substr(key, 1, 128),
                  bindparam("now", type_=UTCDateTime()), bindparam("now", type_=UTCDateTime()),
                  bindparam("payload", type_=JSONType),
                  literal_column(f"'{OutboundStatus.PENDING}'"),
                  literal_column("0"))


_KEY = bindparam("key", type_=String)
_QUEUE = insert(_outbound).from_select(
    ["shop_id", "event_type", "endpoint_id", "idempotency_key", "next_attempt_at",
     "created_at", "payload", "status", "attempts"],
    # "<type>:<key>@<endpoint id>" for every active endpoint of the type ...
    _target(_endpoints.c.id, _KEY + "@" + cast(_endpoints.c.id, String)).where(_ACTIVE)
    # ... and "<type>:<key>" for the shop's webhook_url: a reward event with no endpoint
    .union_all(_target(cast(null(), BigInteger), _KEY).where(
        bindparam("legacy", type_=Boolean), ~exists().where(_ACTIVE))),
    include_defaults=False,
).on_conflict_do_nothing(index_elements=[_outbound.c.idempotency_key])


def emit(session: Session, *, shop_id: int, event_type: str, key: str,
         payload: dict[str, Any], now: datetime) -> None:
    """Queue `payload` (its "type" set to event_type) for every endpoint of the type.
    `key` is the event's stable id: the same key twice queues nothing more."""
    if event_type not in WEBHOOK_EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type}")
    session.execute(_QUEUE, {"shop_id": shop_id, "event_type": event_type,
                             "key": f"{event_type}:{key}", "now": now,
                             "payload": {"type": event_type, **payload},
                             "legacy": event_type in LEGACY_TYPES})
