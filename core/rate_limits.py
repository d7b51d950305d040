"""Limits on what sends mail or makes rows for anyone who asks (sign-up, password reset, a
new verification link): per client address and per email address, counted in the database
(core.models.LoginThrottle rows, keyed hashes: no address stored) so every web worker
agrees. A fixed window per key: at most `limit` in `window`; the answer past it says when
the window ends (for Retry-After). Counted before the work is done, so a parallel burst is
counted in full, and the same for unknown addresses, so the limit tells nothing about which
accounts exist."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core.clock import as_utc
from core.hashing import keyed_hash
from core.login_throttle import Verdict, locked_rows


@dataclass(frozen=True)
class Limit:
    name: str  # "signup-client", "reset-address", ...
    limit: int
    window: timedelta


SIGNUP_CLIENT = Limit("signup-client", 10, timedelta(hours=1))
SIGNUP_ADDRESS = Limit("signup-address", 3, timedelta(hours=1))
RESET_CLIENT = Limit("reset-client", 20, timedelta(hours=1))
RESET_ADDRESS = Limit("reset-address", 3, timedelta(hours=1))
VERIFY_CLIENT = Limit("verify-client", 20, timedelta(hours=1))
VERIFY_ADDRESS = Limit("verify-address", 3, timedelta(hours=1))


def take(session: Session, *, hash_key: str, now: datetime,
         limits: list[tuple[Limit, str]]) -> Verdict:
    """Count one use against each (limit, value) pair; refused when any is past its limit
    (then nothing is counted). The value is hashed with the HASH_KEY."""
    keys = {f"{limit.name}:{keyed_hash(hash_key, value.strip().lower())}": limit
            for limit, value in limits}
    rows = locked_rows(session, sorted(keys), now)
    waits: list[timedelta] = []
    for key, limit in keys.items():
        row = rows[key]
        if now - as_utc(row.updated_at) >= limit.window:
            row.attempts, row.updated_at = 0, now  # a new window starts with this use
        if row.attempts >= limit.limit:
            waits.append(as_utc(row.updated_at) + limit.window - now)
    if waits:
        return Verdict(False, max(1, math.ceil(max(waits).total_seconds())))
    for row in rows.values():
        row.attempts += 1
    return Verdict(True)
