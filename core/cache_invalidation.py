"""Per-process caches (the /r/ code directory, the shop snapshots) must not outlive a
deleted shop or an erased customer in *any* process. The change is written as a row of
cache_invalidations in the same transaction; every process reads the highest id at most
once per `interval` seconds (one primary-key lookup) and drops its caches when it grew.
The database is the one place all workers agree on; nothing is process-global."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import Database, session_now
from core.models import CacheInvalidation

CHECK_INTERVAL = 1.0  # seconds a process may serve a cache entry after another one changed


def announce(session: Session, *, shop_id: int | None, reason: str) -> None:
    """Tell every process's caches to start over once this transaction commits."""
    session.add(CacheInvalidation(shop_id=shop_id, reason=reason[:32],
                                  created_at=session_now(session)))


class InvalidationWatch:
    """The latest invalidation this process has seen. `generation()` is cheap: it asks the
    database only when `interval` has passed since it last asked, and only one thread
    asks; the others keep the generation they know."""

    def __init__(self, db: Database, interval: float = CHECK_INTERVAL) -> None:
        self._db = db
        self._interval = interval
        self.timer: Callable[[], float] = time.monotonic  # a cache age: tests replace it
        self._generation = -1
        self._next_check = float("-inf")
        self._lock = threading.Lock()

    def generation(self) -> int:
        if self.timer() >= self._next_check and self._lock.acquire(blocking=False):
            try:
                self.refresh()
            finally:
                self._lock.release()
        return self._generation

    def refresh(self) -> int:
        """Ask the database now (also after this process announced a change itself)."""
        with self._db.session() as session:
            latest = session.scalar(select(func.max(CacheInvalidation.id)))
        self._generation = int(latest or 0)
        self._next_check = self.timer() + self._interval
        return self._generation
