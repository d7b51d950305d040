"""Delivering signed webhooks to shops (one endpoint per event type, Settings → Webhooks,
or the older single `webhook_url` for reward events), retried with backoff until the shop
answers 2xx. Sent by a job, never inside a request.

A pass claims due rows in one short transaction (a lease: the row is not due again until
the lease ends, so a second worker skips it and a crashed worker's rows come back), posts
outside any transaction (a slow shop must not hold a database lock, which on SQLite would
stop every writer), and records the outcomes in a second short transaction.

Every send checks the URL again (core.url_guard: resolve, refuse private addresses, then
connect to the checked address with the URL's name as Host and TLS SNI), so a name that
was public when saved and points inside our network now is refused, not fetched."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import certifi
import urllib3
from sqlalchemy import select

from core import credentials
from core.models import OutboundStatus, OutboundWebhook, Shop, WebhookEndpoint
from core.sandbox import is_sandbox
from core.services import Services
from core.url_guard import CheckedUrl, UnsafeUrl, check_url
from core.webhook_signing import HEADER, sign_header

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(hours=6)
LEASE = timedelta(minutes=2)
TIMEOUT_SECONDS = 5.0
RESPONSE_KEPT = 1000  # characters of the shop's answer kept for the deliveries page


@dataclass(frozen=True)
class Answer:
    status: int
    body: str


Poster = Callable[[CheckedUrl, bytes, dict[str, str]], Answer]


def post_to_checked_address(target: CheckedUrl, body: bytes, headers: dict[str, str], *,
                            ca_certs: str | None = None) -> Answer:
    """POST to the address that was checked, never to a fresh lookup of the name; Host and
    SNI (and the certificate check) use the name. No redirects: a 3xx is an answer.
    `ca_certs`: the trusted roots (certifi's by default)."""
    timeout = urllib3.Timeout(connect=TIMEOUT_SECONDS, read=TIMEOUT_SECONDS)
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address, target.port, timeout=timeout, retries=False,
            server_hostname=target.host, assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED", ca_certs=ca_certs or certifi.where())
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout,
                                          retries=False)
    try:
        response = pool.urlopen("POST", target.target, body=body,
                                headers={**headers, "Host": target.host_header},
                                redirect=False, preload_content=False)
        text = response.read(RESPONSE_KEPT * 4, decode_content=True)[:RESPONSE_KEPT * 4]
        response.release_conn()
        return Answer(response.status, text.decode("utf-8", "replace")[:RESPONSE_KEPT])
    finally:
        pool.close()


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
            OutboundWebhook.status == OutboundStatus.PENDING,
            OutboundWebhook.next_attempt_at <= now)
            .order_by(OutboundWebhook.id).limit(batch).with_for_update(skip_locked=True)).all()
        for hook in due:
            shop = session.get(Shop, hook.shop_id)
            if shop is None:  # the shop was deleted: nobody to tell
                session.delete(hook)
                continue
            hook.attempts += 1
            hook.next_attempt_at = now + LEASE
            hook.last_attempt_at = now
            body = json.dumps(hook.payload, separators=(",", ":")).encode()
            endpoint = session.get(WebhookEndpoint, hook.endpoint_id) if hook.endpoint_id \
                else None
            if endpoint is not None:
                opened = services.box.open(endpoint.secret_encrypted)
                secrets = [opened] if opened else []
                url: str | None = endpoint.url if endpoint.active else None
            else:
                # Every live secret signs (one v1 each): during a rotation the shop may
                # verify with either the old or the new one.
                secrets = credentials.webhook_secrets(session, shop, services.box,
                                                      services.clock)
                url = shop.setting("webhook_url")
            headers = {"Content-Type": "application/json",
                       HEADER: sign_header(secrets, int(now.timestamp()), body),
                       "Idempotency-Key": hook.idempotency_key,
                       "X-Referral-Event": hook.event_type}
            claimed.append(Claimed(hook.id, hook.attempts, url, body, headers))
    return claimed


def check_for(services: Services, url: str) -> CheckedUrl:
    """The guard with this deployment's rules: http only in the sandbox (local), the
    allowed networks of OUTBOUND_ALLOW_NETWORKS. Raises UnsafeUrl."""
    return check_url(url, resolve=services.resolve, allow_http=is_sandbox(services.settings),
                     allow_networks=services.settings.outbound_allow_networks)


def _send(services: Services, item: Claimed, post: Poster) -> tuple[str | None, Answer | None]:
    """(None, answer) when the shop acknowledged; otherwise why not (and its answer)."""
    if not item.url:
        return "the shop has no webhook URL configured", None
    if not secrets_present(item.headers):
        return "the shop has no live webhook secret to sign with", None
    try:
        target = check_for(services, item.url)
    except UnsafeUrl as exc:
        return f"refused: {exc.message}"[:500], None
    try:
        answer = post(target, item.body, item.headers)
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"[:500], None
    return (None if 200 <= answer.status < 300 else f"HTTP {answer.status}"), answer


def secrets_present(headers: dict[str, str]) -> bool:
    return "v1=" in headers.get(HEADER, "")


def deliver_due(services: Services, post: Poster | None = None, batch: int = 50) -> int:
    """Passes until nothing is due; returns how many were delivered. `post` defaults to a
    real HTTP POST to the checked address."""
    post = post or post_to_checked_address
    delivered = 0
    while True:
        claimed = _claim(services, batch)
        outcomes = [(item, *_send(services, item, post)) for item in claimed]
        now = services.clock()
        with services.db.session() as session:
            for item, error, answer in outcomes:
                hook = session.get(OutboundWebhook, item.id)
                if hook is None:
                    continue
                hook.last_status_code = answer.status if answer else None
                hook.last_response = answer.body if answer else None
                if error is None:
                    hook.status, hook.delivered_at, hook.last_error = (
                        OutboundStatus.DELIVERED, now, None)
                    delivered += 1
                else:
                    hook.last_error = error
                    hook.next_attempt_at = now + backoff(item.attempts)
                    log.info("webhook %s attempt %s failed: %s", item.id, item.attempts, error)
        if len(claimed) < batch:
            return delivered


def resend(services: Services, shop_id: int, delivery_id: int) -> bool:
    """Due again now (a delivered one too: the shop asked to see it again). False when the
    delivery is not this shop's."""
    with services.db.session() as session:
        hook = session.get(OutboundWebhook, delivery_id)
        if hook is None or hook.shop_id != shop_id:
            return False
        hook.status, hook.next_attempt_at = OutboundStatus.PENDING, services.clock()
        return True
