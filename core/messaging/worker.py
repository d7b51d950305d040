"""The outbox worker. Claims due rows (FOR UPDATE SKIP LOCKED on PostgreSQL, so any number
of workers share the queue; SQLite serializes writers and runs one), marks them `sending`
with a lease, sends outside any transaction, then records the outcome only if it still
holds the lease. A crashed worker's rows come back when the lease runs out.

Delivery is at-least-once: a worker killed after the provider accepted a message but before
it recorded `sent` leaves a row that is sent again after the lease. Every provider call
carries the outbox idempotency key (SMTP Message-ID, Idempotency-Key header) so the provider
side can drop that second copy; at most `batch` messages per crash are exposed."""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update

from core import qr
from core.messaging import policy, rendering, unsubscribe
from core.messaging.channels import build_channels
from core.messaging.channels.base import Channel, ChannelError, Outgoing
from core.models import Message
from core.services import Services

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=10)
MAX_DELAY = timedelta(hours=1)
QR_KINDS = ("invite_self", "invite_friend")


def backoff(attempts: int) -> timedelta:
    delay = min(BASE_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)
    return delay * random.uniform(0.5, 1.5)  # jitter spreads retries after an outage


@dataclass
class Outcome:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0
    suppressed: int = 0

    def total(self) -> int:
        return self.sent + self.retried + self.dead + self.deferred + self.suppressed


class Worker:
    def __init__(self, services: Services, channels: dict[str, Channel] | None = None, *,
                 batch: int = 50, lease: timedelta = timedelta(minutes=2),
                 worker_id: str | None = None) -> None:
        self.services = services
        self.channels = channels or services.extras.get("channels") or build_channels(
            services.settings)
        self.batch, self.lease = batch, lease
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:64]

    # --- claiming -------------------------------------------------------------------

    def claim(self) -> list[int]:
        now = self.services.clock()
        with self.services.db.session() as session:
            query = (select(Message).where(or_(
                and_(Message.status.in_(("created", "failed")), Message.next_attempt_at <= now),
                and_(Message.status == "sending", Message.lease_until < now)))
                .order_by(Message.next_attempt_at, Message.id).limit(self.batch))
            if self.services.db.is_postgres:
                query = query.with_for_update(skip_locked=True)
            rows = session.scalars(query).all()
            for row in rows:
                row.status, row.locked_by = "sending", self.id
                row.lease_until = now + self.lease
                row.attempts += 1
            return [row.id for row in rows]

    # --- sending --------------------------------------------------------------------

    def run_once(self) -> Outcome:
        outcome = Outcome()
        for message_id in self.claim():
            self._process(message_id, outcome)
        return outcome

    def _process(self, message_id: int, outcome: Outcome) -> None:
        now = self.services.clock()
        verdict, later, outgoing = self._check(message_id, now)
        if verdict == "gone":
            return
        if verdict == "suppressed":
            self._finish(message_id, status="suppressed", last_error="opted out")
            outcome.suppressed += 1
            return
        if verdict == "no_consent":
            self._finish(message_id, status="dead", last_error="no consent on record")
            outcome.dead += 1
            return
        if verdict == "quiet":
            self._finish(message_id, status="created", next_attempt_at=later,
                         attempts=self._attempts(message_id) - 1, last_error="quiet hours")
            outcome.deferred += 1
            return
        assert outgoing is not None
        channel = self.channels.get(outgoing.channel)
        if channel is None:
            self._finish(message_id, status="dead", last_error="channel not configured")
            outcome.dead += 1
            return
        try:
            provider_id = channel.send(outgoing)
        except ChannelError as exc:
            attempts = self._attempts(message_id)
            if exc.retryable and attempts < MAX_ATTEMPTS:
                self._finish(message_id, status="failed", last_error=str(exc)[:1000],
                             next_attempt_at=now + backoff(attempts))
                outcome.retried += 1
            else:
                self._finish(message_id, status="dead", last_error=str(exc)[:1000])
                outcome.dead += 1
            return
        except Exception as exc:  # a bug in a channel must not kill the worker
            log.exception("channel %s crashed", outgoing.channel)
            self._finish(message_id, status="failed", last_error=repr(exc)[:1000],
                         next_attempt_at=now + backoff(self._attempts(message_id)))
            outcome.retried += 1
            return
        self._finish(message_id, status="sent", provider_message_id=provider_id[:128],
                     sent_at=self.services.clock(), last_error=None,
                     rendered=outgoing.rendered.as_dict())
        outcome.sent += 1

    def _check(self, message_id: int,
               now: datetime) -> tuple[str, datetime | None, Outgoing | None]:
        """The policy verdict, read in one short transaction (SQLite allows one writer)."""
        with self.services.db.session() as session:
            message = session.get(Message, message_id)
            if message is None or message.locked_by != self.id:
                return "gone", None, None
            if policy.is_suppressed(session, message):
                return "suppressed", None, None
            if not policy.has_consent(session, message):
                return "no_consent", None, None
            later = policy.quiet_until(session, message, now)
            if later is not None:
                return "quiet", later, None
            return "send", None, self._outgoing(message)

    def _outgoing(self, message: Message) -> Outgoing:
        context: dict[str, Any] = dict(message.context or {})
        token = unsubscribe.make_token(self.services.settings.secret_key, message.shop_id,
                                       message.channel, message.recipient_hash)
        unsubscribe_url = f"{self.services.base_url}/u/{token}"
        rendered = rendering.render(message.kind, message.locale,
                                    {**context, "unsubscribe_url": unsubscribe_url})
        qr_png = qr.png(context["link"]) if message.kind in QR_KINDS and context.get(
            "link") else None
        return Outgoing(message.id, message.idempotency_key, message.channel, message.recipient,
                        message.kind, message.locale, rendered, context, qr_png,
                        unsubscribe_url)

    def _attempts(self, message_id: int) -> int:
        with self.services.db.session() as session:
            return session.scalar(select(Message.attempts).where(Message.id == message_id)) or 0

    def _finish(self, message_id: int, **values: Any) -> bool:
        """Record the outcome only while we still hold the lease."""
        values.setdefault("lease_until", None)
        values.setdefault("locked_by", None)
        with self.services.db.session() as session:
            result = session.execute(update(Message).where(
                Message.id == message_id, Message.locked_by == self.id,
                Message.status == "sending").values(**values))
            return bool(result.rowcount)

    # --- running ----------------------------------------------------------------------

    def run(self, stop: threading.Event, idle: float = 0.5) -> None:
        while not stop.is_set():
            try:
                busy = self.run_once().total() > 0
            except Exception:  # the database went away for a moment: try again shortly
                log.exception("outbox pass failed")
                busy = False
            if not busy:
                stop.wait(idle)


