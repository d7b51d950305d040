"""The connect page's live status: per shop and platform, the last verified request and the
last refusal with its reason.

The webhooks only call `note_accepted` / `note_refused`, which set one entry in memory
(a dict assignment: the turn never waits on the database). A flusher writes the newest entry
per shop+platform at most once per interval, so a flood of refusals is one small upsert per
second, not one per request; the counts say how many were folded together. The connect page
calls `flush()` before it reads, so in one process what it shows is never stale."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from core import forking
from core.db import Database
from core.models import AssistantStatus, Shop
from core.models.status import MCP, PLATFORMS

log = logging.getLogger(__name__)
MAX_PENDING = 10_000  # bounded: keys are real shops x 4 platforms, this is a backstop
FLUSH_SECONDS = 1.0


@dataclass
class _Pending:
    accepted: tuple[datetime, str, str] | None = None  # at, intent, locale
    accepted_count: int = 0
    refused: tuple[datetime, str] | None = None  # at, reason
    refused_count: int = 0
    latest: str = ""  # which came last: the clock may not tell (same second, frozen)


@dataclass(frozen=True)
class PlatformStatus:
    """What the page shows for one platform."""

    platform: str
    accepted_at: datetime | None = None
    accepted_intent: str = ""
    accepted_locale: str = ""
    accepted_count: int = 0
    refused_at: datetime | None = None
    refused_reason: str = ""
    refused_count: int = 0
    latest: str = ""

    @property
    def state(self) -> str:
        """ok: the newest request was verified; refused: the newest was refused; waiting:
        none yet."""
        if self.accepted_at is None and self.refused_at is None:
            return "waiting"
        if self.latest in ("accepted", "refused"):
            return "ok" if self.latest == "accepted" else "refused"
        return "ok" if self.refused_at is None else "refused"

    def as_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {"platform": self.platform, "state": self.state,
                "accepted": {"at": iso(self.accepted_at), "intent": self.accepted_intent,
                             "locale": self.accepted_locale, "count": self.accepted_count},
                "refused": {"at": iso(self.refused_at), "reason": self.refused_reason,
                            "count": self.refused_count}}


class StatusRecorder:
    def __init__(self, db: Database, *, background: bool = True,
                 interval: float = FLUSH_SECONDS) -> None:
        self._db = db
        self._pending: dict[tuple[str, str], _Pending] = {}
        self._lock = threading.Lock()
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if background:
            self.start()
        forking.in_child(self, StatusRecorder._after_fork)

    def _after_fork(self) -> None:
        """A forked child: its own pending entries (the parent writes its own), locks and,
        if the parent had one running, flusher thread."""
        self._pending, self._lock, self._stop = {}, threading.Lock(), threading.Event()
        if self._thread is not None:
            self._thread = None
            self.start()

    def start(self) -> None:
        """The flusher thread (once): one coalesced write per shop+platform per interval."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="assistant-status",
                                            daemon=True)
            self._thread.start()

    def note_accepted(self, shop_slug: str, platform: str, at: datetime, intent: str,
                      locale: str) -> None:
        with self._lock:
            entry = self._entry(shop_slug, platform)
            if entry is not None:
                entry.accepted = (at, intent[:100], locale[:16])
                entry.accepted_count += 1
                entry.latest = "accepted"

    def note_refused(self, shop_slug: str, platform: str, at: datetime, reason: str) -> None:
        with self._lock:
            entry = self._entry(shop_slug, platform)
            if entry is not None:
                entry.refused = (at, reason[:300])
                entry.refused_count += 1
                entry.latest = "refused"

    def _entry(self, slug: str, platform: str) -> _Pending | None:
        if platform not in PLATFORMS and platform != MCP:
            return None
        key = (slug, platform)
        entry = self._pending.get(key)
        if entry is None:
            if len(self._pending) >= MAX_PENDING:
                return None
            entry = self._pending[key] = _Pending()
        return entry

    def flush(self) -> int:
        """Write what is pending: one upsert per shop+platform. Failures are logged and the
        entries dropped: a status is advice, never worth retry storms."""
        with self._lock:
            pending, self._pending = self._pending, {}
        written = 0
        for (slug, platform), entry in pending.items():
            try:
                with self._db.session() as session:
                    written += _upsert(session, slug, platform, entry)
            except IntegrityError:  # another process inserted the row first: update it
                try:
                    with self._db.session() as session:
                        written += _upsert(session, slug, platform, entry)
                except SQLAlchemyError:
                    log.warning("assistant status for %s/%s not written", slug, platform)
            except SQLAlchemyError:
                log.warning("assistant status for %s/%s not written", slug, platform)
        return written

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            if self._pending:
                self.flush()

    def close(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        self.flush()


def _upsert(session: Session, slug: str, platform: str, entry: _Pending) -> int:
    shop_id = session.scalar(select(Shop.id).where(Shop.slug == slug))
    if shop_id is None:
        return 0
    row = session.scalar(select(AssistantStatus).where(
        AssistantStatus.shop_id == shop_id, AssistantStatus.platform == platform)
        .with_for_update())
    if row is None:
        row = AssistantStatus(shop_id=shop_id, platform=platform, accepted_count=0,
                              refused_count=0, accepted_intent="", accepted_locale="",
                              refused_reason="")
        session.add(row)
    if entry.accepted is not None:
        row.accepted_at, row.accepted_intent, row.accepted_locale = entry.accepted
        row.accepted_count = (row.accepted_count or 0) + entry.accepted_count
    if entry.refused is not None:
        row.refused_at, row.refused_reason = entry.refused
        row.refused_count = (row.refused_count or 0) + entry.refused_count
    row.latest = entry.latest or row.latest
    session.flush()
    return 1


def recorder(services: Any) -> StatusRecorder:
    """The process's recorder (Services.assistant_status)."""
    return services.assistant_status  # type: ignore[no-any-return]


def statuses(services: Any, shop_id: int) -> dict[str, PlatformStatus]:
    """Every platform's status for one shop (a platform never heard from is 'waiting')."""
    recorder(services).flush()
    with services.db.session() as session:
        rows = {r.platform: r for r in session.scalars(
            select(AssistantStatus).where(AssistantStatus.shop_id == shop_id))}
    out = {}
    for platform in PLATFORMS:
        row = rows.get(platform)
        out[platform] = PlatformStatus(platform) if row is None else PlatformStatus(
            platform, row.accepted_at, row.accepted_intent, row.accepted_locale,
            row.accepted_count, row.refused_at, row.refused_reason, row.refused_count,
            row.latest)
    return out


def status_of(services: Any, shop_id: int, platform: str) -> PlatformStatus:
    """One platform's status for one shop, any platform name (the MCP server notes "mcp")."""
    recorder(services).flush()
    with services.db.session() as session:
        row = session.scalar(select(AssistantStatus).where(
            AssistantStatus.shop_id == shop_id, AssistantStatus.platform == platform))
    if row is None:
        return PlatformStatus(platform)
    return PlatformStatus(platform, row.accepted_at, row.accepted_intent, row.accepted_locale,
                          row.accepted_count, row.refused_at, row.refused_reason,
                          row.refused_count, row.latest)
