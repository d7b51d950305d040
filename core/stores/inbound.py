"""A store's webhook: verified, stored in the inbox, then processed from there.

WooCommerce never sends a failed delivery again (and disables a webhook that keeps failing),
Shopify sends each at least once: so a genuine delivery is stored first, keyed by the store's
delivery id, and only then processed, in a transaction of its own. What the store hears:

- 401 forged or unsigned (nothing written), 400 unreadable headers;
- 200 with the results once processed; a copy of a delivery (fifty at once too) waits for
  the first and gets its answer, `replayed`;
- 422 with the reason when a value cannot be kept (an amount out of range, an id too long,
  a refund in a currency the order was not paid in): the delivery stays in the inbox,
  `refused`, for a person to see;
- 200 `pending` when processing failed for a reason that may pass (the database busy, a
  bug): the store job tries it again with backoff, and after MAX_ATTEMPTS it is `dead`.

A conflict with a concurrent delivery (the same order in two topics) is retried here,
never handed back to the store as "send it again"."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from requests.structures import CaseInsensitiveDict
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import events, referrals
from core.clock import as_utc
from core.contacts import normalize_email, normalize_phone
from core.errors import DomainError, InvalidInput, NotFound
from core.models import InboxStatus, Shop, StoreConnection, StoreWebhook
from core.services import Services
from core.stores import map_body, store_for
from core.stores.base import BadWebhook, Delivery

log = logging.getLogger(__name__)
STATUS_EVERY = timedelta(minutes=1)
LEASE = timedelta(minutes=1)  # a stored delivery's own request processes it first
MAX_ATTEMPTS = 8
CONFLICT_RETRIES = 5


class WebhookRefused(DomainError):
    """Raised with the status the store should see (401 forged, 400 unreadable, 422 a value
    we cannot keep)."""


def _refused(message: str, code: str, status: int) -> WebhookRefused:
    refused = WebhookRefused(message, code=code)
    refused.status = status
    return refused


@dataclass(frozen=True)
class InboundOutcome:
    delivery_id: str
    topic: str
    replayed: bool
    results: list[dict[str, Any]]
    status: str = InboxStatus.DONE

    def as_dict(self) -> dict[str, Any]:
        return {"delivery": self.delivery_id, "topic": self.topic, "replayed": self.replayed,
                "status": self.status, "results": self.results}


def receive(services: Services, platform: str, slug: str, headers: Mapping[str, str],
            body: bytes) -> InboundOutcome:
    """Header names are matched case-insensitively (X-WC-Webhook-Signature arrives as
    X-Wc-Webhook-Signature through WSGI)."""
    headers = CaseInsensitiveDict(dict(headers))
    with services.db.session() as session:
        shop = referrals.shop_by_slug(session, slug)
        conn = session.scalar(select(StoreConnection).where(StoreConnection.shop_id == shop.id))
        if conn is None or conn.platform != platform or conn.disconnected_at is not None:
            raise NotFound(f"No {platform} store is connected to this shop.", code="no_store")
        delivery = verify(services, conn, headers, body)
        shop_id = shop.id
    return accept(services, shop_id, platform, delivery, body)


def receive_app(services: Services, headers: Mapping[str, str],
                body: bytes) -> InboundOutcome:
    """POST /shopify/webhooks: the app's webhooks for every shop that installed it, signed
    with SHOPIFY_API_SECRET; the shop named by X-Shopify-Shop-Domain. A shop we hold
    nothing for (never connected, or gone) is answered 200 with nothing done."""
    from core.stores import shopify
    from core.stores.base import hmac_base64_matches
    from core.stores.shopify_app import app_settings

    headers = CaseInsensitiveDict(dict(headers))
    app = app_settings(services)
    if not hmac_base64_matches(app.api_secret, body, headers.get("X-Shopify-Hmac-Sha256")):
        raise _refused("X-Shopify-Hmac-Sha256 is missing or does not match.", "bad_signature",
                       401)
    domain = (headers.get("X-Shopify-Shop-Domain") or "").strip().lower()
    delivery_id = headers.get("X-Shopify-Webhook-Id") or ""
    topic = headers.get("X-Shopify-Topic") or ""
    if not shopify.valid_domain(domain) or not delivery_id or not topic or \
            len(delivery_id) > 128 or len(topic) > 64:
        raise _refused("X-Shopify-Shop-Domain, X-Shopify-Webhook-Id and X-Shopify-Topic are "
                       "required.", "malformed_webhook", 400)
    with services.db.session() as session:
        conn = session.scalar(select(StoreConnection).where(
            StoreConnection.platform == "shopify", StoreConnection.store_url == domain))
        shop_id = conn.shop_id if conn is not None else None
    if shop_id is None:
        return InboundOutcome(delivery_id, topic, False, [], "no_shop")
    return accept(services, shop_id, "shopify", Delivery(delivery_id, topic), body)


def verify(services: Services, conn: StoreConnection, headers: Mapping[str, str],
           body: bytes) -> Delivery:
    """The delivery's id and topic, or WebhookRefused (401 forged, 400 unreadable)."""
    try:
        return store_for(services, conn, calls=False).verify_webhook(headers, body)
    except BadWebhook as exc:
        raise _refused(str(exc), exc.code, exc.status) from exc


def accept(services: Services, shop_id: int, platform: str, delivery: Delivery,
           body: bytes) -> InboundOutcome:
    """Store a verified delivery, then process it (or answer as its first copy was)."""
    if delivery.ping:
        if delivery.signed:
            _seen(services, shop_id)
        return InboundOutcome(delivery.delivery_id, "ping", False, [])
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refused("The webhook body is not UTF-8.", "malformed_json", 400) from exc
    if "\x00" in text:
        raise _refused("The webhook body holds a NUL character.", "invalid_characters", 400)
    return _store_and_process(services, shop_id, platform, delivery, text)


def _store_and_process(services: Services, shop_id: int, platform: str, delivery: Delivery,
                       text: str) -> InboundOutcome:
    """The new delivery's row and its processing in one transaction, the processing in a
    savepoint: a failure that may pass undoes only the processing and commits the row,
    pending, for the store job; nothing is answered before the row is committed. A copy
    finds the row and is answered as it was processed (waiting for the first copy's lock).
    One commit per delivery, not two, and the body parsed before it (SQLite writes one
    transaction at a time: the write lock is held for as short as it can be)."""
    now = services.clock()
    mapped: Delivery | BadWebhook
    try:
        mapped = map_body(platform, delivery.delivery_id, delivery.topic, text.encode())
    except BadWebhook as exc:
        mapped = exc
    for _attempt in range(CONFLICT_RETRIES):
        existing: int | None = None
        try:
            with services.db.session() as session:
                found = _row(session, shop_id, platform, delivery.delivery_id)
                if found is not None:
                    existing = found.id
                else:
                    row = StoreWebhook(shop_id=shop_id, platform=platform,
                                       delivery_id=delivery.delivery_id,
                                       topic=delivery.topic[:64], received_at=now, body=text,
                                       status=InboxStatus.PENDING, next_attempt_at=now + LEASE)
                    session.add(row)
                    _touch(session.scalar(select(StoreConnection).where(
                        StoreConnection.shop_id == shop_id)), now)
                    session.flush()  # the unique key decides between copies here
                    _first_attempt(session, services, row, mapped)
                    answer = _answer(row, False)
        except IntegrityError:
            continue  # a copy stored it, or the same order collided: the next try sees it
        if existing is not None:
            return process(services, existing)
        return _raise_refused(answer)
    return _postpone(services, _store(services, shop_id, platform, delivery, text),
                     "conflicted with concurrent deliveries")


def _first_attempt(session: Session, services: Services, row: StoreWebhook,
                   mapped: Delivery | BadWebhook) -> None:
    try:
        with session.begin_nested():
            _process_row(session, services, row, mapped)
    except (IntegrityError, DomainError):
        raise
    except Exception as exc:  # a bug, a surprise: the row stays, pending, for the job
        log.exception("store delivery %s failed; it stays in the inbox", row.delivery_id)
        row.attempts, row.last_error = 1, f"{type(exc).__name__}: {exc}"[:500]
        row.next_attempt_at = services.clock() + backoff(1)


def _seen(services: Services, shop_id: int) -> None:
    with services.db.session() as session:
        conn = session.scalar(select(StoreConnection).where(StoreConnection.shop_id == shop_id))
        _touch(conn, services.clock())


def _touch(conn: StoreConnection | None, now: datetime) -> None:
    if conn is not None and (conn.last_webhook_at is None
                             or now - as_utc(conn.last_webhook_at) > STATUS_EVERY):
        conn.last_webhook_at = now  # the "last verified webhook" status, not a hot row


def _store(services: Services, shop_id: int, platform: str, delivery: Delivery,
           text: str) -> int:
    """The inbox row's id, stored by this copy or another: the unique key decides."""
    now = services.clock()
    for _attempt in range(CONFLICT_RETRIES):
        try:
            with services.db.session() as session:
                found = _row(session, shop_id, platform, delivery.delivery_id)
                if found is not None:
                    return found.id
                row = StoreWebhook(shop_id=shop_id, platform=platform,
                                   delivery_id=delivery.delivery_id, topic=delivery.topic[:64],
                                   received_at=now, body=text, status=InboxStatus.PENDING,
                                   next_attempt_at=now + LEASE)
                session.add(row)
                _touch(session.scalar(select(StoreConnection).where(
                    StoreConnection.shop_id == shop_id)), now)
                session.flush()
                return row.id
        except IntegrityError:
            continue  # a concurrent copy stored it: the next attempt finds it
    raise RuntimeError("the delivery could be neither stored nor found")


def _row(session: Session, shop_id: int, platform: str, delivery_id: str) -> StoreWebhook | None:
    return session.scalar(select(StoreWebhook).where(
        StoreWebhook.shop_id == shop_id, StoreWebhook.platform == platform,
        StoreWebhook.delivery_id == delivery_id))


def process(services: Services, row_id: int) -> InboundOutcome:
    """Process one stored delivery unless it already was; the answer for the store
    (`replayed` unless this call did the processing)."""
    for _attempt in range(CONFLICT_RETRIES):
        try:
            with services.db.session() as session:
                row = session.get(StoreWebhook, row_id, with_for_update=True)
                if row is None:
                    raise NotFound("No such delivery.", code="no_delivery")
                processed_here = row.status == InboxStatus.PENDING
                if processed_here:
                    _process_row(session, services, row)
                answer = _answer(row, not processed_here)
        except IntegrityError:
            continue  # a concurrent delivery touched the same rows: it won, try again
        except DomainError:
            raise
        except Exception as exc:  # the database away, a bug: kept, tried again later
            log.exception("store delivery %s failed; it stays in the inbox", row_id)
            return _postpone(services, row_id, f"{type(exc).__name__}: {exc}")
        return _raise_refused(answer)  # after the commit: a refusal is kept
    return _postpone(services, row_id, "conflicted with concurrent deliveries")


def _process_row(session: Session, services: Services, row: StoreWebhook,
                 mapped: Delivery | BadWebhook | None = None) -> None:
    """The delivery's events in a savepoint: a refusal undoes what it began and is kept.
    `mapped`: the body already mapped (outside the transaction), or why it cannot be."""
    now = services.clock()
    shop = session.get(Shop, row.shop_id)
    if shop is None:  # pragma: no cover - the row goes with the shop (CASCADE)
        raise NotFound("No such shop.", code="unknown_shop")
    row.attempts += 1
    try:
        with session.begin_nested():
            if isinstance(mapped, BadWebhook):
                raise mapped
            delivery = mapped if mapped is not None else map_body(
                row.platform, row.delivery_id, row.topic, row.body.encode())
            results = _process(session, services, shop.id, shop.slug,
                               shop.locale.split("-")[-1], delivery)
    except BadWebhook as exc:
        _refuse(row, exc.code, str(exc), exc.status, now)
        return
    except InvalidInput as exc:
        _refuse(row, exc.code, exc.message, exc.status, now, exc.details)
        return
    row.status, row.result, row.processed_at = InboxStatus.DONE, {"results": results}, now
    row.body, row.last_error, row.next_attempt_at = "", None, None  # it named the buyer


def _refuse(row: StoreWebhook, code: str, message: str, status: int, now: datetime,
            details: object = None) -> None:
    row.status, row.processed_at, row.next_attempt_at = InboxStatus.REFUSED, now, None
    row.last_error = message[:500]
    row.result = {"error": {"code": code, "message": message[:500], "status": status,
                            "details": details}}


def _answer(row: StoreWebhook, replayed: bool) -> InboundOutcome | WebhookRefused:
    if row.status == InboxStatus.REFUSED:
        error = (row.result or {}).get("error") or {}
        refused = _refused(str(error.get("message") or row.last_error),
                           str(error.get("code")), int(error.get("status") or 422))
        refused.details = error.get("details")
        return refused
    return InboundOutcome(row.delivery_id, row.topic, replayed,
                          list((row.result or {}).get("results", [])), row.status)


def _raise_refused(answer: InboundOutcome | WebhookRefused) -> InboundOutcome:
    if isinstance(answer, WebhookRefused):
        raise answer
    return answer


def _postpone(services: Services, row_id: int, reason: str) -> InboundOutcome:
    now = services.clock()
    with services.db.session() as session:
        row = session.get(StoreWebhook, row_id, with_for_update=True)
        if row is None:
            raise NotFound("No such delivery.", code="no_delivery")
        if row.status == InboxStatus.PENDING:
            row.attempts += 1  # the failed attempt's own count was rolled back with it
            row.last_error = reason[:500]
            if row.attempts >= MAX_ATTEMPTS:
                row.status, row.next_attempt_at = InboxStatus.DEAD, None
            else:
                row.next_attempt_at = now + backoff(row.attempts)
        answer = _answer(row, False)
    return _raise_refused(answer)


def backoff(attempts: int) -> timedelta:
    delay = timedelta(seconds=30 * 2 ** min(max(attempts - 1, 0), 10))
    return min(delay, timedelta(hours=6)) * random.uniform(0.8, 1.2)


# --- the retries, as the store job ------------------------------------------------------

@dataclass
class InboxPass:
    processed: int = 0
    refused: int = 0
    postponed: int = 0
    errors: list[str] = field(default_factory=list)


def run_due(services: Services, batch: int = 50) -> InboxPass:
    """Process the deliveries whose time has come (a failed attempt's backoff, or a stored
    delivery its own request never processed)."""
    now = services.clock()
    with services.db.session() as session:
        due = list(session.scalars(select(StoreWebhook.id).where(
            StoreWebhook.status == InboxStatus.PENDING, StoreWebhook.next_attempt_at <= now)
            .order_by(StoreWebhook.id).limit(batch)))
    result = InboxPass()
    for row_id in due:
        try:
            outcome = process(services, row_id)
        except WebhookRefused as exc:
            result.refused += 1
            result.errors.append(exc.message)
            continue
        if outcome.status == InboxStatus.DONE:
            result.processed += 1
        else:
            result.postponed += 1
    return result


# --- what the shop sees -----------------------------------------------------------------

@dataclass(frozen=True)
class InboxRow:
    id: int
    platform: str
    delivery_id: str
    topic: str
    status: str
    attempts: int
    received_at: datetime
    last_error: str | None
    body: str

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "received_at": self.received_at.isoformat()}


def problems(services: Services, shop_id: int, limit: int = 50) -> list[InboxRow]:
    """The dead-letter view: deliveries refused, given up, or waiting for another try."""
    with services.db.session() as session:
        rows = session.scalars(select(StoreWebhook).where(
            StoreWebhook.shop_id == shop_id,
            (StoreWebhook.status.in_([InboxStatus.REFUSED, InboxStatus.DEAD]))
            | ((StoreWebhook.status == InboxStatus.PENDING) & (StoreWebhook.attempts > 0)))
            .order_by(StoreWebhook.id.desc()).limit(limit))
        return [InboxRow(r.id, r.platform, r.delivery_id, r.topic, r.status, r.attempts,
                         r.received_at, r.last_error, r.body) for r in rows]


def retry(services: Services, shop_id: int, row_id: int) -> InboundOutcome:
    """A person asks to process a refused or dead delivery again (the program changed)."""
    with services.db.session() as session:
        row = session.get(StoreWebhook, row_id)
        if row is None or row.shop_id != shop_id:
            raise NotFound("No such delivery in this shop's inbox.", code="no_delivery")
        if row.status in (InboxStatus.REFUSED, InboxStatus.DEAD):
            row.status, row.attempts, row.next_attempt_at = InboxStatus.PENDING, 0, None
    return process(services, row_id)


# --- turning a delivery into what core knows --------------------------------------------

def _process(session: Session, services: Services, shop_id: int, slug: str, region: str,
             delivery: Delivery) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    if delivery.actions:
        from core.stores import compliance

        shop = session.get(Shop, shop_id)
        assert shop is not None
        for action in delivery.actions:
            results.append({"action": action["kind"],
                            **compliance.act(session, services, shop, action)})
    for raw in delivery.customers:
        customer, _ = events.upsert_customer(session, shop_id, _usable(raw, region), region,
                                             services.clock(), signing_up=False)
        results.append({"customer": customer.external_id})
    for data in delivery.events:
        data = {**data, "shop": slug}
        if isinstance(data.get("customer"), dict):
            data["customer"] = _usable(data["customer"], region)
        outcome = events.record(session, services, shop_id, data)
        results.append({"event": outcome.event_id, "type": outcome.type,
                        "replayed": outcome.replayed, "result": outcome.result})
    return results


def _usable(raw: dict[str, Any], region: str | None) -> dict[str, Any]:
    """A store's customer fields as we can keep them: an address that does not parse is
    dropped rather than failing the order (the store would re-deliver it forever)."""
    out = dict(raw)
    checks: dict[str, Callable[[str], str]] = {
        "email": normalize_email, "phone": lambda v: normalize_phone(v, region)}
    for key, check in checks.items():
        if out.get(key):
            try:
                check(str(out[key]))
            except InvalidInput:
                out[key] = None
    return out
