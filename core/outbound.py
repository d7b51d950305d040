"""Delivering signed webhooks to shops (reward.approved), retried with backoff until the
shop answers 2xx. Sent by a job, never inside a request."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from datetime import timedelta

import requests
from sqlalchemy import select

from core import credentials
from core.models import OutboundWebhook, Shop
from core.services import Services
from core.webhook_signing import HEADER, sign_header

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=6)
Poster = Callable[[str, bytes, dict[str, str]], int]


def post_over_http(url: str, body: bytes, headers: dict[str, str]) -> int:
    return requests.post(url, data=body, headers=headers, timeout=5).status_code


def backoff(attempts: int) -> timedelta:
    base = min(timedelta(seconds=30 * 2 ** min(attempts, 12)), MAX_BACKOFF)
    return base * (0.75 + random.random() / 2)  # jitter: shops recover without a stampede


def deliver_due(services: Services, post: Poster = post_over_http, batch: int = 50) -> int:
    """One pass: returns how many were delivered."""
    now = services.clock()
    delivered = 0
    with services.db.session() as session:
        due = session.scalars(select(OutboundWebhook).where(
            OutboundWebhook.status == "pending", OutboundWebhook.next_attempt_at <= now)
            .order_by(OutboundWebhook.id).limit(batch).with_for_update(skip_locked=True)).all()
        for hook in due:
            shop = session.get(Shop, hook.shop_id)
            url = shop.setting("webhook_url") if shop else None
            hook.attempts += 1
            if not url:
                hook.last_error = "the shop has no webhook_url configured"
                hook.next_attempt_at = now + backoff(hook.attempts)
                continue
            body = json.dumps(hook.payload, separators=(",", ":")).encode()
            secrets = credentials.webhook_secrets(session, shop, services.box, services.clock)
            headers = {"Content-Type": "application/json",
                       HEADER: sign_header(secrets[-1:], int(now.timestamp()), body),
                       "Idempotency-Key": hook.idempotency_key}
            try:
                status = post(url, body, headers)
            except requests.RequestException as exc:
                status, hook.last_error = 0, f"{type(exc).__name__}: {exc}"[:500]
            if 200 <= status < 300:
                hook.status, hook.delivered_at, hook.last_error = "delivered", now, None
                delivered += 1
            else:
                hook.last_error = hook.last_error if status == 0 else f"HTTP {status}"
                hook.next_attempt_at = now + backoff(hook.attempts)
    return delivered
