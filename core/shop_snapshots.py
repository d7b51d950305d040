"""The shop and its active program as every turn needs them, read from a short per-process
cache: they change rarely, and a turn should not pay a query for them. The objects are
detached snapshots, never written through; a program edit is seen within TTL seconds, a
deleted shop as soon as the process sees the invalidation (core.cache_invalidation)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from core.db import Database
from core.errors import NotFound
from core.models import Program, Shop

TTL_SECONDS = 5.0


@dataclass
class ShopSnapshots:
    ttl: float = TTL_SECONDS
    _cache: dict[str, tuple[float, Shop, Program | None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # The invalidation generation (Services wires InvalidationWatch.generation in).
    generation: Callable[[], int] = lambda: 0
    _generation: int = -1

    def get(self, session: Session, slug: str) -> tuple[Shop, Program | None]:
        """NotFound(unknown_shop) for a slug no shop has."""
        hit = self._fresh(slug)
        if hit is not None:
            return hit
        now = time.monotonic()
        row = session.execute(
            select(Shop, Program)
            .outerjoin(Program, and_(Program.shop_id == Shop.id, Program.active.is_(True)))
            .where(Shop.slug == slug)).first()
        if row is None:
            raise NotFound(f"No shop {slug!r}.", code="unknown_shop")
        shop, program = row
        session.expunge(shop)
        if program is not None:
            session.expunge(program)
        with self._lock:
            self._cache[slug] = (now, shop, program)
        return shop, program

    def read(self, db: Database, slug: str) -> tuple[Shop, Program | None]:
        """`get` for a caller outside a unit of work: a cached shop costs no session."""
        hit = self._fresh(slug)
        if hit is not None:
            return hit
        with db.session() as session:
            return self.get(session, slug)

    def _fresh(self, slug: str) -> tuple[Shop, Program | None] | None:
        generation = self.generation()
        with self._lock:
            if generation != self._generation:
                self._cache.clear()
                self._generation = generation
            hit = self._cache.get(slug)
        if hit is None or time.monotonic() - hit[0] >= self.ttl:
            return None
        return hit[1], hit[2]

    def forget(self, slug: str) -> None:
        """After an edit made in this process (settings, program), so it is seen at once."""
        with self._lock:
            self._cache.pop(slug, None)
