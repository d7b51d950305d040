"""The invite service layer: codes, links, shares and clicks. Functions take plain values and
an open session; the caller's unit of work decides the transaction."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Row,
    Select,
    Table,
    bindparam,
    insert,
    literal_column,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import codes, links, names, webhook_events
from core.clicks import PendingClick
from core.db import session_now
from core.errors import NotFound
from core.fraud import Party
from core.hashing import keyed_hash
from core.models import Customer, ReferralCode, Share, Shop
from core.prepared import Prepared
from core.services import Services
from core.stores import jobs as store_jobs

log = logging.getLogger(__name__)
MAX_CODE_ATTEMPTS = 12


def shop_by_slug(session: Session, slug: str) -> Shop:
    shop = session.scalar(select(Shop).where(Shop.slug == slug))
    if shop is None:
        raise NotFound(f"No shop {slug!r}.", code="unknown_shop")
    return shop


# The one-active-code index is partial, `WHERE active`: only that very expression lets SQLite
# and PostgreSQL use it (`active IS true`, `active = 1` scan the whole table, EXPLAIN in
# bench/bench_scale.py).
# No SQL type on it (bool for mypy only): a Boolean type would render "= 1" on SQLite.
ACTIVE_CODE: ColumnClause[bool] = literal_column("referral_codes.active")


def active_code(session: Session, customer_id: int) -> ReferralCode | None:
    return session.scalar(
        select(ReferralCode).where(ReferralCode.customer_id == customer_id, ACTIVE_CODE))


def ensure_code(session: Session, customer: Customer) -> ReferralCode:
    """The customer's one active code, created on first use.

    Safe under concurrency: the insert runs in a savepoint; a unique violation means either
    another request created this customer's code (return theirs) or the random part
    collided with someone else's code or digits (retry, with one more digit every few
    tries: the digits are unique across all shops, so the space grows as codes are made)."""
    for attempt in range(MAX_CODE_ATTEMPTS):
        found = active_code(session, customer.id)
        if found is not None:
            return found
        compact = codes.generate(customer.name, extra_digits=attempt // 4)
        row = ReferralCode(
            code=compact,
            digits=codes.split(compact).digits,
            shop_id=customer.shop_id,
            customer_id=customer.id,
            spoken_name=(customer.name or "").strip().split(" ")[0][:100],
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            session.expunge(row) if row in session else None
            continue
        # The friend's discount in the shop's store, made by a job (core.stores.jobs).
        store_jobs.enqueue_friend_discount(session, row, session_now(session))
        return row
    raise RuntimeError("could not allocate a referral code")  # pragma: no cover


def ensure_codes(services: Services, customer_ids: list[int]) -> None:
    """Give each customer an active code, one short transaction per customer. Jobs call this
    before their batch transaction: a batch that created many codes at once could deadlock
    with another job's batch on the unique code index (each waiting for the other's
    uncommitted code); one code per transaction cannot."""
    for customer_id in customer_ids:
        with services.db.session() as session:
            customer = session.get(Customer, customer_id)
            if customer is not None and active_code(session, customer_id) is None:
                ensure_code(session, customer)


@dataclass(frozen=True)
class FoundCode:
    """A code as a lookup finds it, with its owner (a signup's referrer, a checkout code's
    owner): plain values from one statement, no ORM objects."""

    id: int
    code: str
    shop_id: int
    active: bool
    customer_id: int  # the owner's
    owner: Party


def find_code(session: Session, text: str, shop_id: int | None = None) -> FoundCode:
    """The one code meant by what a friend typed: the exact code, else the code with these
    digits when the name typed is a spelling of its name (ALEKS, АЛЕКС for ALEX) or no name
    was typed. A mistyped digit fails the check before any lookup; a name that is not the
    code's refuses; with `shop_id` another shop's code is not found."""
    row = resolve_heard(session, text)
    if row is None or (shop_id is not None and row.shop_id != shop_id):
        raise NotFound("No invite with this code.", code="unknown_code")
    return row


# Built once: a code lookup is on every signup, checkout code and spoken code. The owner
# comes in the same statement (a signup's referrer, a checkout code's): one join on a key.
_code_table = ReferralCode.__table__
_owners = Customer.__table__
_OWNER = [_owners.c[f.name] for f in fields(Party)]


def _code_lookup(where: ColumnElement[bool]) -> Select[Any]:
    return (select(_code_table.c.id, _code_table.c.code, _code_table.c.shop_id,
                   _code_table.c.active, _code_table.c.customer_id, *_OWNER)
            .join_from(_code_table, _owners, _owners.c.id == _code_table.c.customer_id)
            .where(where))


_CODE_EXACT = _code_lookup(_code_table.c.code == bindparam("code"))
_CODE_BY_DIGITS = _code_lookup(_code_table.c.digits == bindparam("digits"))


def _found(row: Row[Any] | None) -> FoundCode | None:
    if row is None:
        return None
    values = tuple(row)
    return FoundCode(values[0], values[1], values[2], bool(values[3]), values[4],
                     Party(*values[5:]))


def resolve_heard(session: Session, text: str) -> FoundCode | None:
    heard = codes.heard(text)
    if codes.checks_out(heard.compact):
        found = _found(session.execute(_CODE_EXACT, {"code": heard.compact}).first())
        if found is not None:
            return found
    found = _found(session.execute(_CODE_BY_DIGITS, {"digits": heard.digits}).first())
    if found is not None and heard_as(heard, found.code):
        return found
    if not (codes.digits_check_ok(heard.digits) or codes.checks_out(heard.compact)):
        raise codes.CodeChecksumError("This code has a typo: please check it and try again.")
    return None


def heard_as(heard: codes.Heard, compact: str) -> bool:
    """Is `heard` a way of writing the code `compact` (whose digits it has)? A stored value
    that is no longer a code (an erased customer's tombstone) is no way of writing one."""
    try:
        parts = codes.split(compact)
    except codes.InvalidCode:
        return False
    if not heard.word:  # digits alone: they must carry their own check
        return codes.digits_check_ok(parts.digits)
    return bool(parts.word) and names.similar(heard.word, parts.word)


@dataclass(frozen=True)
class Invite:
    code: str
    display: str
    spoken_name: str
    link: str
    qr_png: str
    qr_svg: str

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


class CodeRef(Protocol):
    """What an invite is made from: a ReferralCode row, or the plain copy a turn read with
    its speaker (core.speakers.ActiveCode), which costs no ORM object."""

    @property
    def id(self) -> int: ...

    @property
    def code(self) -> str: ...

    @property
    def spoken_name(self) -> str: ...


def spoken_name_for(code: CodeRef, locale: str) -> str:
    """The name as this listener should hear and read it: Russian-speaking shops say and
    show it in Cyrillic (Alex -> Алекс), others in Latin letters (Алиса -> Alisa)."""
    word = codes.split(code.code).word
    if not word:
        return ""
    name = code.spoken_name or word.capitalize()
    if locale.lower().startswith("ru"):
        return name if names.is_cyrillic(name) else names.to_cyrillic(
            name if name.isascii() else word.capitalize())
    return name if name.isascii() else word.capitalize()


def invite_for(shop: Shop, code: CodeRef, base_url: str, channel: str = "voice",
               locale: str | None = None, assistant: str | None = None) -> Invite:
    base = links.link_base(shop, base_url)
    spoken = spoken_name_for(code, locale or shop.locale or "en-US")
    return Invite(
        code=code.code,
        display=codes.display(code.code, spoken if names.is_cyrillic(spoken) else None),
        spoken_name=spoken,
        link=links.invite_link(base, code.code, channel, assistant),
        qr_png=links.qr_url(base_url, code.code, "png"),
        qr_svg=links.qr_url(base_url, code.code, "svg"),
    )


_SHARE_COLUMNS = ("shop_id", "customer_id", "code_id", "channel", "assistant", "recipient_kind",
                  "recipient_hash", "created_at")
_INSERT_SHARE = Prepared(insert(cast(Table, Share.__table__)).returning(Share.__table__.c.id),
                         _SHARE_COLUMNS)


def record_share(
    session: Session,
    services: Services,
    *,
    shop: Shop,
    customer: Customer,
    code: CodeRef,
    channel: str,
    assistant: str | None,
    recipient: str | None = None,
    recipient_kind: str = "self",
    share_webhooks: bool | None = None,
) -> int:
    """The new Share row's id; share.created is queued for the shop's endpoints.
    `share_webhooks` is whether the shop has any (read with the speaker, core.speakers):
    False saves looking for them, None looks."""
    now = services.clock()
    share_id: int = _INSERT_SHARE.scalar(session, {
        "shop_id": shop.id, "customer_id": customer.id, "code_id": code.id, "channel": channel,
        "assistant": assistant, "recipient_kind": recipient_kind,
        "recipient_hash": keyed_hash(services.settings.hash_key, recipient) if recipient
        else None, "created_at": now})
    if share_webhooks is not False:
        webhook_events.emit(session, shop_id=shop.id, event_type="share.created",
                            key=str(share_id), now=now, payload={
                                "id": f"shr_{share_id}", "customer_id": customer.external_id,
                                "channel": channel, "assistant": assistant,
                                "recipient_kind": recipient_kind})
    return share_id


# --- the redirect hot path -------------------------------------------------------------


@dataclass(frozen=True)
class CodeTarget:
    code_id: int
    shop_id: int
    code: str
    landing_url: str
    link: str
    _landings: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def landing_for(self, channel: str) -> str:
        """The redirect target per channel, built once."""
        url = self._landings.get(channel)
        if url is None:
            url = self._landings[channel] = links.landing_url(self.landing_url, self.code, channel)
        return url


class CodeDirectory:
    """Code -> landing page, read from memory after the first hit: `/r/` must not wait on
    the database (but for one primary-key read per second, core.cache_invalidation). An
    erased customer's code or a deleted shop announces an invalidation: this process
    forgets at once, every other within that second; entries also age out after `ttl`.
    Size is bounded. Clicks queued from a stale entry are dropped at flush (core.clicks)."""

    def __init__(self, services: Services, maxsize: int = 50_000, ttl: float = 60.0) -> None:
        self._services = services
        self._maxsize = maxsize
        self._ttl = ttl
        self.timer = time.monotonic  # replaceable in tests; a cache age, not a domain time
        self._cache: dict[str, tuple[CodeTarget, float]] = {}
        self._generation = -1

    def _cached(self, compact: str) -> CodeTarget | None:
        generation = self._services.invalidations.generation()
        if generation != self._generation:
            self._cache.clear()
            self._generation = generation
            return None
        entry = self._cache.get(compact)
        if entry is None:
            return None
        if entry[1] < self.timer():
            self._cache.pop(compact, None)
            return None
        return entry[0]

    def resolve_fast(self, text: str) -> CodeTarget:
        """The hot path: a code seen before, in the exact spelling seen before, skips even
        the checksum."""
        target = self._cached(text)
        return target if target is not None else self.resolve(text)

    def lookup(self, compact: str) -> CodeTarget | None:
        target = self._cached(compact)
        if target is None:
            target = self._load(compact)
            if target is not None:  # misses are not cached: the code may exist later
                if len(self._cache) >= self._maxsize:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[compact] = (target, self.timer() + self._ttl)
        return target

    def forget(self, compact: str) -> None:
        self._cache.pop(compact, None)

    def _load(self, compact: str) -> CodeTarget | None:
        with self._services.db.session() as session:
            row = session.execute(
                select(ReferralCode.id, ReferralCode.shop_id, Shop.landing_url, Shop.link_base_url)
                .join(Shop, Shop.id == ReferralCode.shop_id)
                .where(ReferralCode.code == compact, ReferralCode.active.is_(True))
            ).first()
        if row is None:
            return None
        base = (row.link_base_url or self._services.base_url).rstrip("/")
        return CodeTarget(row.id, row.shop_id, compact, row.landing_url,
                          links.invite_link(base, compact, "qr"))

    def resolve(self, text: str) -> CodeTarget:
        """The exact code from memory; else what was typed, as a friend heard it."""
        try:
            compact: str | None = codes.validate(text)
        except codes.InvalidCode:
            compact = None  # an older code, Cyrillic, or another spelling: ALEKS for ALEX
        target = self.lookup(compact) if compact else None
        if target is None:
            with self._services.db.session() as session:
                row = resolve_heard(session, text)
                found = row.code if row is not None and row.active else None
            target = self.lookup(found) if found else None
        if target is None:
            raise NotFound("No invite with this code.", code="unknown_code")
        return target


def record_click(
    services: Services,
    target: CodeTarget,
    *,
    channel: str | None,
    ip: str | None,
    user_agent: str | None,
    at: datetime | None = None,
    assistant: str | None = None,
) -> None:
    services.clicks.record(
        PendingClick(
            target.code_id,
            target.shop_id,
            links.channel_or_default(channel),
            ip or None,
            user_agent or "",
            at or services.clock(),
            links.assistant_or_none(assistant),
        )
    )


def summary(shop: Shop, code: ReferralCode, base_url: str) -> dict[str, Any]:
    return {"shop": shop.slug, **invite_for(shop, code, base_url).as_dict()}
