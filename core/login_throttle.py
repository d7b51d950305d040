"""Console sign-in throttling, per account and per client address, in the database so every
web worker sees the same counts (core.models.LoginThrottle).

Hand-written rather than flask-limiter: its storages are memory, Redis, Memcached and
MongoDB, none of which this product runs, and a sign-in throttle needs more than a rate:
an escalating backoff, a temporary lock, and a reset on success for the account only.

Every attempt is counted *before* the password is checked, so a burst of parallel guesses
is counted in full; a refused attempt (still backing off, or locked) writes nothing and
checks no password. Unknown emails are counted exactly like known ones, so the throttle
tells nothing about which accounts exist. After `WINDOW` without attempts a key starts over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.clock import as_utc
from core.hashing import keyed_hash
from core.models import LoginThrottle

WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)
MAX_BACKOFF = timedelta(minutes=1)


@dataclass(frozen=True)
class Policy:
    free: int  # attempts before any wait
    lock_at: int  # attempts that lock the key for LOCK

    def wait_after(self, attempts: int) -> timedelta | None:
        """1 s, 2 s, 4 s ... (at most MAX_BACKOFF) once past the free attempts; LOCK at
        lock_at."""
        if attempts >= self.lock_at:
            return LOCK
        if attempts < self.free:
            return None
        return min(timedelta(seconds=2 ** (attempts - self.free)), MAX_BACKOFF)


ACCOUNT = Policy(free=5, lock_at=10)
CLIENT = Policy(free=20, lock_at=50)  # an office behind one address has several staff


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds, for the Retry-After header


def _keys(hash_key: str, email: str, client: str) -> list[tuple[str, Policy]]:
    return [(f"account:{keyed_hash(hash_key, email)}", ACCOUNT),
            (f"client:{keyed_hash(hash_key, client)}", CLIENT)]


def locked_rows(session: Session, keys: list[str], now: datetime) -> dict[str, LoginThrottle]:
    """The rows for these keys, made if missing, locked for this transaction (PostgreSQL
    row locks; SQLite's BEGIN IMMEDIATE already serializes writers)."""
    insert = pg_insert if session.bind is not None and \
        session.bind.dialect.name == "postgresql" else sqlite_insert
    for key in keys:
        session.execute(insert(LoginThrottle).values(key=key, attempts=0,
                                                     updated_at=now)
                        .on_conflict_do_nothing(index_elements=["key"]))
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))
                           .order_by(LoginThrottle.key).with_for_update()).all()
    return {row.key: row for row in rows}


def attempt(session: Session, *, hash_key: str, email: str, client: str,
            now: datetime) -> Verdict:
    """Before checking a password: refuse while either key waits, else count the attempt
    on both and allow it."""
    keys = _keys(hash_key, email, client)
    rows = locked_rows(session, [k for k, _ in keys], now)
    until = [as_utc(t) for k, _ in keys if (t := rows[k].next_allowed_at) is not None]
    waits = [t - now for t in until if t > now]
    if waits:
        return Verdict(False, math.ceil(max(waits).total_seconds()))
    for key, policy in keys:
        row = rows[key]
        if now - as_utc(row.updated_at) > WINDOW:
            row.attempts = 0
        row.attempts += 1
        wait = policy.wait_after(row.attempts)
        row.next_allowed_at = now + wait if wait is not None else None
        row.updated_at = now
    return Verdict(True)


def succeeded(session: Session, *, hash_key: str, email: str, client: str) -> None:
    """The password was right: the account starts over; the client's count forgets this
    one attempt (other failures from that address still count)."""
    (account, _), (client_key, _) = _keys(hash_key, email, client)
    row = session.get(LoginThrottle, account)
    if row is not None:
        session.delete(row)
    row = session.get(LoginThrottle, client_key)
    if row is not None:
        row.attempts = max(row.attempts - 1, 0)
        if CLIENT.wait_after(row.attempts) is None:
            row.next_allowed_at = None
