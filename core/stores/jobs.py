"""Work against a store's API as a job, never inside a voice turn or a webhook: register
our webhooks, create the friend's discount when a referral code is first made, issue a
referrer's reward code when their reward is approved (then tell them through the outbox).

A pass claims due jobs in one short transaction (a lease: a crashed worker's jobs come back),
calls the store outside any transaction, and records outcomes in another. Failures the store
calls temporary (5xx, 429, timeouts, THROTTLED) are retried with exponential backoff and
jitter, never sooner than its Retry-After; others fail the job with the reason kept."""

from __future__ import annotations

import logging
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from babel.numbers import format_currency, format_percent, get_currency_precision
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import codes
from core.errors import DomainError
from core.messaging import outbox
from core.messaging.purpose import Purpose
from core.models import (
    Customer,
    EntryStatus,
    LedgerEntry,
    Program,
    ReferralCode,
    Shop,
    StoreConnection,
    StoreJob,
    StoreJobStatus,
)
from core.services import Services
from core.stores.base import AlreadyExists, DiscountSpec, StoreError

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 10
MAX_BACKOFF = timedelta(hours=1)
REWARD_KINDS = {"fixed_discount": "fixed", "gift_card": "fixed", "percent_discount": "percent"}
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: a code people copy


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    delay = min(timedelta(seconds=15 * 2 ** min(attempts - 1, 12)), MAX_BACKOFF)
    delay = delay * random.uniform(0.75, 1.25)
    return max(delay, timedelta(seconds=retry_after or 0))


# --- enqueueing (inside the caller's transaction; cheap: one select, one insert) ----------

def _enqueue(session: Session, now: datetime, **fields: Any) -> StoreJob | None:
    found = session.scalar(select(StoreJob).where(StoreJob.key == fields["key"]))
    if found is not None:
        return found
    job = StoreJob(next_attempt_at=now, created_at=now, **fields)
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:  # a concurrent transaction queued the same work
        return None
    return job


def _connection(session: Session, shop_id: int) -> StoreConnection | None:
    return session.scalar(select(StoreConnection).where(StoreConnection.shop_id == shop_id))


def enqueue_register(session: Session, conn: StoreConnection, now: datetime) -> None:
    _enqueue(session, now, shop_id=conn.shop_id, kind="register_webhooks",
             key=f"register:{conn.shop_id}:{now.isoformat()}"[:128])


def enqueue_friend_discount(session: Session, code: ReferralCode, now: datetime) -> None:
    """Called when a code is first made (core.referrals.ensure_code) and when a store is
    connected. Nothing when the shop has no store."""
    conn = _connection(session, code.shop_id)
    if conn is None:
        return
    _enqueue(session, now, shop_id=code.shop_id, kind="friend_discount",
             key=f"friend_discount:{code.id}:{conn.platform}:{conn.store_url}"[:128],
             customer_id=code.customer_id, code=code.code)


def friend_terms_changed(session: Session, shop_id: int, version: int, now: datetime) -> None:
    """The program's friend terms changed: every discount already in the store is updated
    (one job each; codes still waiting for their first job get the new terms anyway)."""
    made = session.scalars(select(StoreJob).where(
        StoreJob.shop_id == shop_id, StoreJob.kind == "friend_discount",
        StoreJob.status == StoreJobStatus.DONE))
    for job in made:
        store_id = (job.result or {}).get("store_id")
        if store_id:
            _enqueue(session, now, shop_id=shop_id, kind="friend_discount_update",
                     key=f"friend_discount_update:{job.id}:v{version}", code=job.code,
                     customer_id=job.customer_id, result={"store_id": store_id})


def reward_approved(session: Session, entry: LedgerEntry, now: datetime) -> None:
    """A referrer's approved money or discount reward becomes a unique single-use code in
    the shop's store. The code is chosen now, so a retry asks the store for the same one."""
    if entry.side == "friend" or entry.kind not in REWARD_KINDS or entry.amount <= 0:
        return
    if _connection(session, entry.shop_id) is None:
        return
    code = "THANKS-" + "".join(secrets.choice(_ALPHABET) for _ in range(10))
    _enqueue(session, now, shop_id=entry.shop_id, kind="reward_code",
             key=f"reward_code:{entry.id}", customer_id=entry.customer_id,
             ledger_entry_id=entry.id, code=code)


# --- the job ----------------------------------------------------------------------------

@dataclass
class Work:
    job_id: int
    kind: str
    attempts: int
    conn: StoreConnection | None
    spec: DiscountSpec | None = None
    gift_card: bool = False
    callback_url: str = ""
    store_id: str = ""  # the store's id of the discount to update
    problem: str | None = None  # why this job cannot be done at all


@dataclass
class PassResult:
    done: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    # Store deliveries processed from the inbox in the same pass (core.stores.inbound).
    inbox_processed: int = 0
    inbox_refused: int = 0
    inbox_postponed: int = 0


def _friend_spec(session: Session, job: StoreJob) -> DiscountSpec | str:
    program = session.scalar(select(Program).where(Program.shop_id == job.shop_id,
                                                   Program.active.is_(True)))
    if program is None:
        return "the shop has no active program"
    kind = REWARD_KINDS.get(program.friend_reward_kind)
    if kind is None or program.friend_reward_kind == "gift_card":
        return f"the friend's reward ({program.friend_reward_kind}) is not a store discount"
    if program.friend_reward_amount <= 0:
        return "the friend's reward is zero: no discount to create"
    return DiscountSpec(code=str(job.code), title=f"Referral {codes.display(str(job.code))}: "
                        "a friend's first order", kind=kind,
                        amount=program.friend_reward_amount, currency=program.currency,
                        minimum_minor=program.min_order_amount, once_per_customer=True,
                        aliases=tuple({codes.display(str(job.code))} - {str(job.code)}))


def _reward_spec(session: Session, job: StoreJob) -> DiscountSpec | str:
    entry = session.get(LedgerEntry, job.ledger_entry_id)
    if entry is None or entry.status != EntryStatus.APPROVED:
        return "the reward is no longer approved"
    customer = session.get(Customer, entry.customer_id)
    return DiscountSpec(code=str(job.code), title="Referral reward: thank you",
                        kind=REWARD_KINDS[entry.kind], amount=entry.amount,
                        currency=entry.currency, once_per_customer=True, usage_limit=1,
                        email=customer.email if customer else None)


def _claim(services: Services, batch: int) -> list[Work]:
    now = services.clock()
    claimed: list[Work] = []
    with services.db.session() as session:
        due = session.scalars(select(StoreJob).where(
            StoreJob.status == StoreJobStatus.PENDING, StoreJob.next_attempt_at <= now)
            .order_by(StoreJob.id).limit(batch).with_for_update(skip_locked=True)).all()
        for job in due:
            job.attempts += 1
            job.next_attempt_at = now + LEASE
            conn = _connection(session, job.shop_id)
            work = Work(job.id, job.kind, job.attempts, conn)
            if conn is None:
                work.problem = "the shop has no store connected"
            elif conn.disconnected_at is not None:
                work.problem = "the store was disconnected"
            elif job.kind == "register_webhooks":
                shop = session.get(Shop, job.shop_id)
                slug = shop.slug if shop is not None else ""
                work.callback_url = _callback_url(services, conn, slug)
            else:
                friendly = job.kind in ("friend_discount", "friend_discount_update")
                spec = (_friend_spec if friendly else _reward_spec)(session, job)
                if isinstance(spec, str):
                    work.problem = spec
                else:
                    entry = session.get(LedgerEntry, job.ledger_entry_id) \
                        if job.ledger_entry_id else None
                    work.spec = spec
                    work.store_id = str((job.result or {}).get("store_id") or "")
                    work.gift_card = bool(entry and (entry.kind == "gift_card" or (
                        conn.gift_card_rewards and spec.kind == "fixed")))
            claimed.append(work)
    return claimed


def _callback_url(services: Services, conn: StoreConnection, slug: str) -> str:
    """Where the store sends its webhooks: the app-wide address for a shop that installed
    the Shopify app, the shop's own for a legacy custom app and WooCommerce."""
    from core.stores.connections import is_app_install

    if is_app_install(services, conn):
        return f"{services.base_url}/shopify/webhooks"
    return f"{services.base_url}/{conn.platform}/{slug}/webhooks"


def _perform(services: Services, work: Work) -> tuple[str, dict[str, Any], StoreError | None]:
    """('done' | 'retry' | 'failed', result, error) — called outside any transaction."""
    if work.problem or work.conn is None:
        return "failed", {}, StoreError(work.problem or "no store", retryable=False)
    try:
        return _call(services, work)
    except StoreError as exc:
        # A Shopify app's expiring token refused before its time (revoked, clock skew): one
        # refresh with the refresh token, then the call again; a legacy token stays refused.
        from core.stores.shopify_app import refresh_now

        if exc.code != "store_auth" or not refresh_now(services, work.conn):
            return _failure(work, exc)
        try:
            return _call(services, work)
        except StoreError as again:
            return _failure(work, again)
        except AlreadyExists:
            return _already(work)


def _failure(work: Work, exc: StoreError) -> tuple[str, dict[str, Any], StoreError | None]:
    if exc.retryable and work.attempts < MAX_ATTEMPTS:
        return "retry", {}, exc
    return "failed", {}, exc


def _already(work: Work) -> tuple[str, dict[str, Any], StoreError | None]:
    # Our own code, chosen before the first attempt: an earlier attempt made it.
    return "done", {"store_id": None, "issued_as": "existing",
                    "code": work.spec.code if work.spec else None}, None


def _call(services: Services, work: Work) -> tuple[str, dict[str, Any], StoreError | None]:
    """The store call; StoreError escapes (the caller may refresh a token and call again)."""
    from core.stores import store_for

    assert work.conn is not None
    try:
        store = store_for(services, work.conn)  # a store URL is checked and resolved here
        if work.kind == "register_webhooks":
            return "done", {"topics": store.register_webhooks(work.callback_url)}, None
        assert work.spec is not None
        if work.kind == "friend_discount":
            issued = store.create_discount(work.spec)
        elif work.kind == "friend_discount_update":
            issued = store.update_discount(work.store_id, work.spec)
        else:
            issued = store.issue_reward_code(work.spec, gift_card=work.gift_card)
        return "done", {"store_id": issued.store_id, "issued_as": issued.kind,
                        "code": issued.code, **({"note": issued.note} if issued.note else {})
                        }, None
    except AlreadyExists:
        return _already(work)
    except StoreError:
        raise
    except DomainError as exc:  # e.g. credentials that no longer open (SECRET_KEY changed)
        return "failed", {}, StoreError(exc.message, retryable=False, code=exc.code)
    except Exception as exc:  # a bug or a surprise from the store: bounded retries, logged
        log.exception("store job %s (%s) failed unexpectedly", work.job_id, work.kind)
        error = StoreError(f"unexpected {type(exc).__name__}: {exc}"[:300], retryable=True)
        return ("retry" if work.attempts < MAX_ATTEMPTS else "failed"), {}, error


def _notify_referrer(session: Session, services: Services, job: StoreJob) -> dict[str, Any]:
    """Tell the referrer their code, through the outbox (consent, quiet hours and opt-outs
    are the worker's to check)."""
    entry = session.get(LedgerEntry, job.ledger_entry_id)
    customer = session.get(Customer, job.customer_id) if job.customer_id else None
    shop = session.get(Shop, job.shop_id)
    if entry is None or customer is None or shop is None:
        return {"notice": "no customer"}
    address = outbox.choose_channel(customer, services.settings)
    if address is None:
        return {"notice": "no confirmed address"}
    channel, recipient = address
    message = outbox.enqueue(
        session, hash_key=services.settings.hash_key, shop_id=shop.id, kind="reward_notice",
        purpose=Purpose.TRANSACTIONAL,
        channel=channel, recipient=recipient, idempotency_key=f"reward_notice:{entry.id}",
        customer_id=customer.id, locale=customer.locale, now=services.clock(),
        context={"reward": reward_text(entry, customer.locale),
                 "code": (job.result or {}).get("code") or job.code,
                 "shop_name": shop.name})
    return {"notice": message.id}


def reward_text(entry: LedgerEntry, locale: str) -> str:
    """"$10.00 off" style amounts in the customer's language ("10 %" for a percent)."""
    babel_locale = (locale or "en-US").replace("-", "_")
    if entry.kind == "percent_discount":
        return format_percent(entry.amount / 100, locale=babel_locale)
    value = entry.amount / 10 ** get_currency_precision(entry.currency)
    return format_currency(value, entry.currency, locale=babel_locale)


def _record(services: Services, outcomes: list[tuple[Work, str, dict[str, Any],
                                                    StoreError | None]]) -> PassResult:
    now = services.clock()
    result = PassResult()
    with services.db.session() as session:
        for work, verdict, data, error in outcomes:
            job = session.get(StoreJob, work.job_id)
            if job is None:
                continue
            if verdict == "done":
                job.status, job.done_at, job.last_error = StoreJobStatus.DONE, now, None
                job.result = {**(job.result or {}), **data}
                if job.kind == "reward_code":
                    job.result = {**job.result, **_notify_referrer(session, services, job)}
                if job.kind == "register_webhooks" and work.conn is not None:
                    conn = session.get(StoreConnection, work.conn.id)
                    if conn is not None:
                        conn.webhooks_registered_at, conn.last_error = now, None
                result.done += 1
                continue
            message = str(error)[:500] if error else "unknown"
            job.last_error = message
            result.errors.append(message)
            if verdict == "retry":
                job.next_attempt_at = now + backoff(job.attempts,
                                                    error.retry_after if error else None)
                result.retried += 1
            else:
                job.status = StoreJobStatus.FAILED
                result.failed += 1
                conn = session.get(StoreConnection, work.conn.id) if work.conn else None
                if conn is not None:
                    conn.last_error = f"{job.kind}: {message}"[:500]
            log.info("store job %s (%s) attempt %s: %s", job.id, job.kind, job.attempts,
                     message)
    return result


def run_due(services: Services, batch: int = 20) -> PassResult:
    """One pass over the due jobs, then over the inbox's deliveries due another try."""
    from core.stores import inbound

    claimed = _claim(services, batch)
    outcomes = [(work, *_perform(services, work)) for work in claimed]
    result = _record(services, outcomes)
    inbox = inbound.run_due(services)
    result.inbox_processed, result.inbox_refused = inbox.processed, inbox.refused
    result.inbox_postponed = inbox.postponed
    result.errors.extend(inbox.errors)
    return result
