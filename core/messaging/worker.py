"""The outbox worker. Claims due rows (FOR UPDATE SKIP LOCKED on PostgreSQL, so any number
of workers share the queue; SQLite serializes writers and runs one), marks them `sending`
with a lease, sends outside any transaction, then records the outcome only if it still
holds the lease. A crashed worker's rows come back when the lease runs out.

Delivery is at-least-once: a worker killed after the provider accepted a message but before
it recorded `sent` leaves a row that is sent again after the lease. Every provider call
carries a key derived from the outbox row alone (`Outgoing.delivery_key`: the SMTP
Message-ID, Twilio's idempotency header) so the receiving side can drop that second copy;
at most `batch` messages per crash are exposed."""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import Session

from core import qr
from core.messaging import outbox, policy, rendering, unsubscribe
from core.messaging.channels import build_channels
from core.messaging.channels.base import Channel, ChannelError, Outgoing
from core.messaging.channels.sandbox import SandboxChannel
from core.models import Message, MessageStatus, ReportStatus
from core.services import Services

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=10)
MAX_DELAY = timedelta(hours=1)
QR_KINDS = ("invite_self", "invite_friend")


def backoff(attempts: int) -> timedelta:
    delay = min(BASE_DELAY * (1 << max(attempts - 1, 0)), MAX_DELAY)
    return delay * random.uniform(0.5, 1.5)  # jitter spreads retries after an outage


@dataclass
class Claimed:
    id: int
    attempts: int
    verdict: str  # send | suppressed | no_consent | quiet
    # the status before this claim, restored if we give it back
    previous: str = MessageStatus.CREATED
    outgoing: Outgoing | None = None
    later: datetime | None = None
    simulated: bool = False  # queued by the console's simulator: the sandbox channel only


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
        self.channels = channels or services.adapters.channels or build_channels(
            services.settings)
        # What simulated turns queued goes here (the configured sandbox, if there is one).
        self.sandbox: Channel = next((c for c in self.channels.values()
                                      if isinstance(c, SandboxChannel)), SandboxChannel())
        self.batch, self.lease = batch, lease
        self.timer = time.monotonic  # replaceable in tests
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:64]

    # --- one pass: claim and check in one transaction, send, record in one more ---------

    def run_once(self) -> Outcome:
        outcome = Outcome()
        # Stop starting sends at half the lease: a slow provider must not let the lease run
        # out under us, or another worker would claim (and send) the same rows again.
        claimed = self._claim_and_check()
        deadline = self.timer() + self.lease.total_seconds() / 2
        results: list[tuple[int, dict[str, Any]]] = []
        with ExitStack() as stack:
            opened: set[int] = set()
            for item in claimed:
                if self.timer() > deadline:
                    results.append((item.id, self._give_back(item)))
                    continue
                channel = (self.sandbox if item.simulated else self.channels.get(
                    item.outgoing.channel)) if item.outgoing else None
                if channel is not None and id(channel) not in opened and hasattr(
                        channel, "connection"):
                    stack.enter_context(channel.connection())  # e.g. one SMTP session
                    opened.add(id(channel))
                results.append((item.id, self._deliver(item, channel, outcome)))
        self._finish_many(results)
        return outcome

    def _claim_and_check(self) -> list[Claimed]:
        now = self.services.clock()
        with self.services.db.session() as session:
            query = (select(Message).where(or_(
                and_(Message.status.in_((MessageStatus.CREATED, MessageStatus.FAILED)),
                     Message.next_attempt_at <= now),
                and_(Message.status == MessageStatus.SENDING, Message.lease_until < now)))
                .order_by(Message.next_attempt_at, Message.id).limit(self.batch))
            if self.services.db.is_postgres:
                query = query.with_for_update(skip_locked=True)
            rows = session.scalars(query).all()
            claimed = []
            for row in rows:
                previous = (MessageStatus.FAILED if row.status == MessageStatus.SENDING
                            else row.status)
                row.status, row.locked_by = MessageStatus.SENDING, self.id
                row.lease_until = now + self.lease
                row.attempts += 1
                item = self._check(session, row, now)
                item.previous = previous
                item.simulated = outbox.is_simulated(row.context)
                claimed.append(item)
            return claimed

    def _check(self, session: Session, message: Message, now: datetime) -> Claimed:
        if policy.is_suppressed(session, message):
            return Claimed(message.id, message.attempts, "suppressed")
        if not policy.has_consent(session, message):
            return Claimed(message.id, message.attempts, "no_consent")
        later = policy.quiet_until(session, message, now)
        if later is not None:
            return Claimed(message.id, message.attempts, "quiet", later=later)
        return Claimed(message.id, message.attempts, "send", outgoing=self._outgoing(message))

    def _deliver(self, item: Claimed, channel: Channel | None,
                 outcome: Outcome) -> dict[str, Any]:
        now = self.services.clock()
        if item.verdict == "suppressed":
            outcome.suppressed += 1
            return {"status": MessageStatus.SUPPRESSED, "last_error": "opted out"}
        if item.verdict == "no_consent":
            outcome.dead += 1
            return {"status": MessageStatus.DEAD, "last_error": "no consent on record"}
        if item.verdict == "quiet":
            outcome.deferred += 1
            return {"status": MessageStatus.CREATED, "next_attempt_at": item.later,
                    "attempts": item.attempts - 1, "last_error": "quiet hours"}
        assert item.outgoing is not None
        if channel is None:
            outcome.dead += 1
            return {"status": MessageStatus.DEAD, "last_error": "channel not configured"}
        try:
            provider_id = channel.send(item.outgoing)
        except ChannelError as exc:
            if exc.retryable and item.attempts < MAX_ATTEMPTS:
                outcome.retried += 1
                return {"status": MessageStatus.FAILED, "last_error": str(exc)[:1000],
                        "next_attempt_at": now + backoff(item.attempts)}
            outcome.dead += 1
            return {"status": MessageStatus.DEAD, "last_error": str(exc)[:1000]}
        except Exception as exc:  # a bug in a channel must not kill the worker
            log.exception("channel %s crashed", item.outgoing.channel)
            outcome.retried += 1
            return {"status": MessageStatus.FAILED, "last_error": repr(exc)[:1000],
                    "next_attempt_at": now + backoff(item.attempts)}
        outcome.sent += 1
        return {"status": MessageStatus.SENT, "provider_message_id": provider_id[:128],
                "sent_at": now, "last_error": None,
                "rendered": item.outgoing.rendered.as_dict()}

    def _give_back(self, item: Claimed) -> dict[str, Any]:
        """Not attempted in this pass: due again at once, and the attempt not counted."""
        return {"status": item.previous, "attempts": item.attempts - 1,
                "next_attempt_at": self.services.clock()}

    def _finish_many(self, results: list[tuple[int, dict[str, Any]]]) -> None:
        """Record outcomes only for rows we still hold (a lease that ran out means another
        worker owns the row now). A delivery report that beat us here (see
        `Message.provider_status`) decides the final status of a sent row."""
        if not results:
            return
        with self.services.db.session() as session:
            for message_id, values in results:
                if values.get("status") == MessageStatus.SENT:
                    failed = Message.provider_status.in_((ReportStatus.FAILED,
                                                          ReportStatus.UNDELIVERED))
                    values = {**values, "status": case(
                        (Message.provider_status == ReportStatus.DELIVERED,
                         MessageStatus.DELIVERED),
                        (failed, MessageStatus.DEAD), else_=MessageStatus.SENT),
                        "last_error": case((failed, Message.last_error), else_=None)}
                session.execute(update(Message).where(
                    Message.id == message_id, Message.locked_by == self.id,
                    Message.status == MessageStatus.SENDING).values(
                        lease_until=None, locked_by=None, **values))

    def _outgoing(self, message: Message) -> Outgoing:
        context: dict[str, Any] = dict(message.context or {})
        token = unsubscribe.make_token(self.services.settings.secret_key, message.shop_id,
                                       message.channel, message.recipient_hash)
        unsubscribe_url = f"{self.services.base_url}/u/{token}"
        rendered = rendering.render(message.kind, message.locale,
                                    {**context, "unsubscribe_url": unsubscribe_url})
        with_qr = message.kind in QR_KINDS or (message.kind == "digest"
                                               and message.channel == "email")
        qr_png = qr.png(context["link"]) if with_qr and context.get("link") else None
        return Outgoing(message.id, message.idempotency_key, message.channel, message.recipient,
                        message.kind, message.locale, rendered, context, qr_png,
                        unsubscribe_url, created_at=message.created_at)

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


