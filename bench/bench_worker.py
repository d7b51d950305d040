"""Outbox throughput: messages per second from one worker into a local SMTP server (real
smtplib, one session per batch; target >= 300/s), then one vs two worker processes on
PostgreSQL into a local HTTP provider (scaling)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text

from bench.databases import database_or_sqlite, ensure_secrets
from core.config import Settings
from core.db import Database
from core.hashing import keyed_hash
from core.messaging.channels.smtp import SmtpChannel
from core.messaging.worker import Worker
from core.models import Message
from core.services import bootstrap
from tests.support.fake_providers import fake_providers
from tests.support.http_servers import free_port
from tests.support.keys import HASH_KEY, SECRET_KEY

TARGET_PER_WORKER = 300
N_SMTP = int(os.environ.get("BENCH_MESSAGES", "3000"))
# Created through the server's `postgres` database if missing; SQLite if unreachable.
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench")


def seed(db: Database, n: int, channel: str) -> None:
    from core import demo

    services = bootstrap(Settings(database_url=db.url, base_url="https://refer.test",
                                  secret_key=SECRET_KEY, hash_key=HASH_KEY), db=db,
                         background_clicks=False)
    demo.seed(services)
    services.clicks.close()
    now = datetime.now(UTC)
    with db.session() as session:
        session.execute(insert(Message), [{
            "shop_id": 1, "kind": "invite_friend", "channel": channel,
            "recipient": f"friend{i}@example.org" if channel == "email" else str(10**6 + i),
            "recipient_hash": keyed_hash("h", str(i)), "locale": "en-US",
            "idempotency_key": f"bench:{channel}:{i}:{now.timestamp()}",
            "context": {"link": "https://refer.test/r/ALEX1234", "shop_name": "Demo Shop",
                        "referrer_name": "Alex", "code": "ALEX-1234"},
            "evidence": {"confirmed": True}, "status": "created", "attempts": 0,
            "next_attempt_at": now, "created_at": now, "rendered": {}} for i in range(n)])


def smtp_rate(tmp: str) -> float:
    db = Database(f"sqlite:///{tmp}/worker.db")
    db.create_all()
    seed(db, N_SMTP, "email")
    port = free_port()
    # The SMTP server runs in its own process, as a real one would (not sharing our GIL).
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l",
                               f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"])
    wait_for_port(port)
    try:
        services = bootstrap(Settings(database_url=db.url, base_url="https://refer.test",
                                      secret_key=SECRET_KEY, hash_key=HASH_KEY),
                             db=db, background_clicks=False)
        worker = Worker(services, {"email": SmtpChannel("127.0.0.1", port, starttls=False)},
                        batch=100)
        started = time.perf_counter()
        while worker.run_once().total():
            pass
        elapsed = time.perf_counter() - started
        services.clicks.close()
    finally:
        server.terminate()
        server.wait()
    with db.session() as session:
        sent = session.scalar(select(func.count(Message.id)).where(Message.status == "sent"))
    assert sent == N_SMTP, sent
    return N_SMTP / elapsed


def wait_for_port(port: int) -> None:
    import socket

    for _ in range(100):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("the SMTP server did not start")


def scaling_rate(url: str, workers: int, n: int) -> float:
    """`workers` worker processes draining `n` messages from a fresh outbox at `url`."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    db = Database(url)
    if db.is_postgres:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.create_all()
    seed(db, n, "telegram")
    with fake_providers() as fake:
        env = {**os.environ, "DATABASE_URL": url, "MESSAGING_MODE": "live",
               "TELEGRAM_BOT_TOKEN": "1:B", "TELEGRAM_BASE_URL": fake.url, "HASH_KEY": HASH_KEY,
               "SECRET_KEY": SECRET_KEY}
        started = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-m", "fulfillment", "worker", "--batch",
                                   "100", "--idle", "0.05"], env=env,
                                  cwd=Path(__file__).resolve().parent.parent)
                 for _ in range(workers)]
        while True:
            with db.session() as session:
                sent = session.scalar(select(func.count(Message.id)).where(
                    Message.status == "sent"))
            if sent >= n:
                break
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        for proc in procs:
            proc.terminate()
            proc.wait()
    db.dispose()
    return n / elapsed


def main() -> int:
    import tempfile

    ensure_secrets()
    with tempfile.TemporaryDirectory() as tmp:
        smtp = smtp_rate(tmp)
        print(f"one worker -> local SMTP (SQLite outbox): {smtp:7.0f} msg/s (target "
              f"{TARGET_PER_WORKER}/s: {'meets' if smtp >= TARGET_PER_WORKER else 'MISSES'})",
              flush=True)
        n = int(os.environ.get("BENCH_PG_MESSAGES", "4000"))
        url = database_or_sqlite(PG_URL, f"{tmp}/scaling.db")
        one, two = scaling_rate(url, 1, n), scaling_rate(url, 2, n)
    kind = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"{kind} outbox -> local HTTP provider: 1 worker {one:6.0f} msg/s, "
          f"2 workers {two:6.0f} msg/s, scaling {two / one:.2f}x "
          f"(process start-up included; {os.cpu_count()} CPUs)")
    return 0 if smtp >= TARGET_PER_WORKER else 1


if __name__ == "__main__":
    raise SystemExit(main())
