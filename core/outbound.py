"""Delivering signed webhooks to shops (reward.approved, reward.reversed), retried with
backoff until the shop answers 2xx. Sent by a job, never inside a request.

A pass claims due rows in one short transaction (a lease: the row is not due again until
the lease ends, so a second worker skips it and a crashed worker's rows come back), posts
outside any transaction (a slow shop must not hold a database lock, which on SQLite would
stop every writer), and records the outcomes in a second short transaction."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import requests
from sqlalchemy import select

from core import credentials
from core.models import OutboundWebhook, Shop
from core.services import Services
from core.webhook_signing import HEADER, sign_header

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=6)
LEASE = timedelta(minutes=2)
TIMEOUT_SECONDS = 5.0
Poster = Callable[[str, bytes, dict[str, str]], int]


def post_over_http(url: str, body: bytes, headers: dict[str, str]) -> int:
    return requests.post(url, data=body, headers=headers, timeout=TIMEOUT_SECONDS,
                         allow_redirects=False).status_code


def backoff(attempts: int) -> timedelta:
    base = min(timedelta(seconds=30 * 2 ** min(attempts, 12)), MAX_BACKOFF)
    return base * (0.75 + random.random() / 2)  # jitter: shops recover without a stampede


@dataclass
class Claimed:
    id: int
    attempts: int
    url: str | None
    body: bytes
    headers: dict[str, str]


def _claim(services: Services, batch: int) -> list[Claimed]:
    now = services.clock()
    claimed = []
    with services.db.session() as session:
        due = session.scalars(select(OutboundWebhook).where(
            OutboundWebhook.status == "pending", OutboundWebhook.next_attempt_at <= now)
            .order_by(OutboundWebhook.id).limit(batch).with_for_update(skip_locked=True)).all()
        for hook in due:
            shop = session.get(Shop, hook.shop_id)
            if shop is None:  # the shop was deleted: nobody to tell
                session.delete(hook)
                continue
            hook.attempts += 1
            hook.next_attempt_at = now + LEASE
            body = json.dumps(hook.payload, separators=(",", ":")).encode()
            # Every live secret signs (one v1 each): during a rotation the shop may verify
            # with either the old or the new one.
            secrets = credentials.webhook_secrets(session, shop, services.box, services.clock)
            headers = {"Content-Type": "application/json",
                       HEADER: sign_header(secrets, int(now.timestamp()), body),
                       "Idempotency-Key": hook.idempotency_key}
            url = shop.setting("webhook_url") if shop else None
            claimed.append(Claimed(hook.id, hook.attempts, url, body, headers))
    return claimed


def _send(item: Claimed, post: Poster) -> str | None:
    """None when the shop acknowledged; otherwise why not."""
    if not item.url:
        return "the shop has no webhook_url configured"
    if not secrets_present(item.headers):
        return "the shop has no live webhook secret to sign with"
    try:
        status = post(item.url, item.body, item.headers)
    except requests.RequestException as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    return None if 200 <= status < 300 else f"HTTP {status}"


def secrets_present(headers: dict[str, str]) -> bool:
    return "v1=" in headers.get(HEADER, "")


def deliver_due(services: Services, post: Poster = post_over_http, batch: int = 50) -> int:
    """Passes until nothing is due; returns how many were delivered."""
    delivered = 0
    while True:
        claimed = _claim(services, batch)
        outcomes = [(item, _send(item, post)) for item in claimed]
        now = services.clock()
        with services.db.session() as session:
            for item, error in outcomes:
                hook = session.get(OutboundWebhook, item.id)
                if hook is None:
                    continue
                if error is None:
                    hook.status, hook.delivered_at, hook.last_error = "delivered", now, None
                    delivered += 1
                else:
                    hook.last_error = error
                    hook.next_attempt_at = now + backoff(item.attempts)
                    log.info("webhook %s attempt %s failed: %s", item.id, item.attempts, error)
        if len(claimed) < batch:
            return delivered
