"""Clicks are recorded after the redirect is answered: the request thread only appends to
an in-memory queue; a background thread writes batches, and `close()` drains the queue on a
clean shutdown so no click is lost.

A batch is never poisoned by one row: a click whose code was erased or whose shop was
deleted since the redirect (another process may still have had the code cached) is dropped,
counted and logged, and the rest is written; a row the database refuses for another reason
is found by writing the batch row by row. Only a failure of the database itself (a lost
connection, a lock timeout) puts the batch back for the next flush."""

from __future__ import annotations

import logging
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from core import forking
from core.db import Database
from core.hashing import keyed_hash
from core.models import Click, ReferralCode

log = logging.getLogger(__name__)

_BOTS = re.compile(
    r"bot|crawl|spider|slurp|preview|facebookexternalhit|whatsapp|telegram|skype|slack|"
    r"discord|curl|wget|python-requests|httpx|go-http-client|headless",
    re.IGNORECASE,
)


def is_bot(user_agent: str) -> bool:
    """Link unfurlers and scripts, counted but flagged so KPIs can leave them out."""
    return not user_agent or bool(_BOTS.search(user_agent))


@dataclass(frozen=True, slots=True)
class PendingClick:
    """What the request thread knows; hashing and bot detection happen at flush time, off
    the request path. The raw IP lives only in memory until then."""

    code_id: int
    shop_id: int
    channel: str
    ip: str | None
    user_agent: str
    created_at: datetime
    assistant: str | None = None

    def row(self, hash_key: str) -> dict[str, object]:
        return {
            "code_id": self.code_id,
            "shop_id": self.shop_id,
            "channel": self.channel,
            "assistant": self.assistant,
            "ip_hash": keyed_hash(hash_key, self.ip) if self.ip else None,
            "user_agent": self.user_agent[:300],
            "is_bot": is_bot(self.user_agent),
            "created_at": self.created_at,
        }


class ClickRecorder:
    def __init__(
        self,
        db: Database,
        *,
        hash_key: str = "",
        flush_interval: float = 0.5,
        batch_size: int = 500,
        background: bool = True,
        on_flush: Callable[[int], None] | None = None,
    ) -> None:
        self._db = db
        self._hash_key = hash_key
        self._queue: deque[PendingClick] = deque()
        self._interval = flush_interval
        self._batch = batch_size
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._flush_lock = threading.Lock()
        self._on_flush = on_flush
        self._thread: threading.Thread | None = None
        self.dropped = 0  # clicks not written because their code or shop is gone
        if background:
            self._start()
        forking.in_child(self, ClickRecorder._after_fork)

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="click-flusher", daemon=True)
        self._thread.start()

    def _after_fork(self) -> None:
        """A forked child has no flusher thread (threads do not survive a fork) and a copy
        of the parent's queue, which the parent writes: a fresh queue, locks and thread."""
        self._queue = deque()
        self._wake, self._stop = threading.Event(), threading.Event()
        self._flush_lock = threading.Lock()
        if self._thread is not None:
            self._start()

    def record(self, click: PendingClick) -> None:
        """O(1) and lock-free for the request thread (deque.append is atomic)."""
        self._queue.append(click)
        if len(self._queue) >= self._batch:
            self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._queue)

    def flush(self) -> int:
        """Write everything queued so far; clicks the database could not take at all go
        back to the queue, rows it refuses are dropped."""
        written = dropped = 0
        with self._flush_lock:
            while self._queue:
                batch: list[PendingClick] = []
                while self._queue and len(batch) < self._batch:
                    batch.append(self._queue.popleft())
                unwritten: list[PendingClick] = []
                try:
                    done = self._write(batch)
                except (IntegrityError, DataError):
                    done, unwritten = self._write_one_by_one(batch)
                except Exception:
                    log.exception("click batch of %d not written; will retry", len(batch))
                    done, unwritten = 0, batch
                written += done
                dropped += len(batch) - len(unwritten) - done
                if unwritten:
                    self._queue.extendleft(reversed(unwritten))
                    break
        if dropped:
            self.dropped += dropped
            log.warning("%d click(s) dropped: their code was erased or their shop deleted",
                        dropped)
        if written and self._on_flush:
            self._on_flush(written)
        return written

    def _write(self, batch: list[PendingClick]) -> int:
        with self._db.session() as session:
            return self._insert_live(session, batch)

    def _insert_live(self, session: Session, batch: list[PendingClick]) -> int:
        """Insert the clicks whose code is still active in its shop. The codes are read
        with a share lock (PostgreSQL), so an erasure deactivating one waits for this
        insert and then scrubs its rows too, or commits first and the click is dropped."""
        live = {(row.id, row.shop_id) for row in session.execute(
            select(ReferralCode.id, ReferralCode.shop_id)
            .where(ReferralCode.id.in_({click.code_id for click in batch}),
                   ReferralCode.active.is_(True))
            .with_for_update(read=True))}
        rows = [c.row(self._hash_key) for c in batch if (c.code_id, c.shop_id) in live]
        if rows:
            session.execute(insert(Click), rows)
        return len(rows)

    def _write_one_by_one(self, batch: list[PendingClick]) -> tuple[int, list[PendingClick]]:
        """(written, the clicks left for a retry when the database itself failed)."""
        written = 0
        for index, click in enumerate(batch):
            try:
                written += self._write([click])
            except (IntegrityError, DataError):
                log.exception("click on code %d refused by the database; dropped",
                              click.code_id)
            except Exception:
                log.exception("click batch not written; %d will retry", len(batch) - index)
                return written, batch[index:]
        return written, []

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            if self._queue:
                self.flush()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)
        self.flush()
