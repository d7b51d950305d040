"""Several worker processes on PostgreSQL share one outbox without sending anything twice,
and a worker killed with SIGKILL loses nothing: its rows come back when their lease ends.
The only duplicates possible are messages the dead worker handed to the provider but never
recorded; they carry the same idempotency key, so the provider side can drop them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select

from core.config import Settings
from core.db import Database
from core.hashing import keyed_hash
from core.models import Message
from core.services import bootstrap
from tests.conftest import REPO
from tests.support.fake_providers import FakeProviders, fake_providers
from tests.support.keys import HASH_KEY, SECRET_KEY

TOTAL = 5000
pytestmark = pytest.mark.postgres_only


def seed_messages(db: Database, n: int) -> None:
    from core import demo as demo_seed

    services = bootstrap(Settings(database_url=db.url, base_url="https://refer.test",
                                  secret_key=SECRET_KEY, hash_key=HASH_KEY), db=db,
                         background_clicks=False)
    demo_seed.seed(services)
    now = datetime.now(UTC)
    with db.session() as session:
        shop_id = session.scalar(select(Message.shop_id).limit(1)) or 1
        rows = [{"shop_id": shop_id, "kind": "invite_friend", "channel": "telegram",
                 "recipient": str(100000 + i), "recipient_hash": keyed_hash("h", str(i)),
                 "locale": "en-US", "idempotency_key": f"load:{i}",
                 "context": {"link": "https://refer.test/r/ALEX1234", "shop_name": "Demo Shop",
                             "referrer_name": "Alex", "code": "ALEX-1234"},
                 "evidence": {"confirmed": True}, "status": "created", "attempts": 0,
                 "next_attempt_at": now, "created_at": now, "rendered": {}}
                for i in range(n)]
        session.execute(insert(Message), rows)
    services.clicks.close()


@contextmanager
def workers(db: Database, fake: FakeProviders, count: int, lease: int = 120
            ) -> Iterator[list[subprocess.Popen]]:
    env = {**os.environ, "DATABASE_URL": db.url, "MESSAGING_MODE": "live",
           "TELEGRAM_BOT_TOKEN": "123:TEST", "TELEGRAM_BASE_URL": fake.url,
           "BASE_URL": "https://refer.test", "SECRET_KEY": SECRET_KEY, "HASH_KEY": HASH_KEY}
    procs = [subprocess.Popen([sys.executable, "-m", "fulfillment", "worker", "--batch", "50",
                               "--idle", "0.1", "--lease", str(lease)], cwd=REPO, env=env,
                              stderr=subprocess.PIPE, text=True) for _ in range(count)]
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=30)


def counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        return dict(session.execute(select(Message.status, func.count(Message.id))
                                    .group_by(Message.status)).all())


def wait_until(predicate, timeout: float = 180.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_two_workers_deliver_five_thousand_messages_exactly_once(pg_database):
    seed_messages(pg_database, TOTAL)
    with fake_providers() as fake, workers(pg_database, fake, 2) as procs:
        started = time.perf_counter()
        wait_until(lambda: counts(pg_database).get("sent", 0) == TOTAL)
        elapsed = time.perf_counter() - started
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(timeout=30) for proc in procs]
        per_worker = {}
        with pg_database.session() as session:
            per_worker = dict(session.execute(select(Message.provider_message_id.is_not(None),
                                                     func.count()).group_by(
                Message.provider_message_id.is_not(None))).all())
    print(f"\n{TOTAL} messages, 2 workers: {elapsed:.1f} s, {TOTAL / elapsed:.0f} msg/s")
    assert codes == [0, 0]  # SIGTERM: clean exit
    assert len(fake.keys) == TOTAL and set(fake.keys.values()) == {1}
    assert per_worker == {True: TOTAL}


def test_a_worker_killed_mid_run_loses_nothing(pg_database):
    seed_messages(pg_database, TOTAL)
    with fake_providers() as fake, workers(pg_database, fake, 2, lease=3) as procs:
        wait_until(lambda: counts(pg_database).get("sent", 0) >= TOTAL // 5)
        procs[0].send_signal(signal.SIGKILL)
        procs[0].wait()
        wait_until(lambda: counts(pg_database).get("sent", 0) == TOTAL)
    duplicates = {k: n for k, n in fake.keys.items() if n > 1}
    print(f"\nkill -9 mid-run: {TOTAL} rows sent, {len(fake.keys)} distinct keys at the "
          f"provider, {sum(duplicates.values()) - len(duplicates)} re-sent copies")
    assert counts(pg_database) == {"sent": TOTAL}
    assert len(fake.keys) == TOTAL  # nothing lost
    assert len(duplicates) <= 50  # at most the killed worker's claimed batch
