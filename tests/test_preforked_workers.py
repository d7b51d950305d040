"""The app is built once and forked into the workers (fulfillment.serving.preload): nothing
the parent opened is shared by mistake. A child gets its own database connections (none of
the parent's pooled ones), its own SQLite lock files, its own click and status queues with
live flusher threads (the parent's pending clicks stay the parent's to write), and its own
random state; and the real `serve` (gunicorn, preloaded) records clicks from its workers."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy import func, select

from core import codes, demo
from core.clicks import PendingClick
from core.config import Settings
from core.db import Database, WriterGate
from core.models import Click, ReferralCode
from core.services import bootstrap
from tests.conftest import REPO
from tests.test_deploy import SECRETS, free_port, wait_ready


def _click(code: ReferralCode, channel: str) -> PendingClick:
    return PendingClick(code_id=code.id, shop_id=code.shop_id, channel=channel, ip="192.0.2.7",
                        user_agent="test", created_at=datetime.now(UTC))


def _in_child(check: object) -> dict[str, object]:
    """Fork; run `check()` in the child and bring back what it returns (JSON)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read)
        try:
            out = json.dumps(check())  # type: ignore[operator]
        except BaseException as exc:  # report, do not raise into pytest's copy
            out = json.dumps({"error": repr(exc)})
        os.write(write, out.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        result = json.loads(pipe.read() or "{}")
    os.waitpid(pid, 0)
    return result


def test_a_forked_child_gets_its_own_connections_lock_files_queues_and_threads(
        tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'fork.db'}")
    db.create_all()
    settings = Settings(database_url=db.url, secret_key=SECRETS["SECRET_KEY"],
                        hash_key=SECRETS["HASH_KEY"], embedded_worker=False)
    services = bootstrap(settings, db=db)
    try:
        made = demo.seed(services)  # writes: the pool keeps a connection, the gate a fd
        with db.session() as session:
            code = session.scalars(select(ReferralCode).where(
                ReferralCode.code == codes.normalize(made["code"]))).one()
        gate = WriterGate.of(str(tmp_path / "fork.db") + "-writer.lock", 30)
        assert db.engine.pool.checkedin() >= 1 and gate._fds  # what the child would inherit
        services.clicks._wake.clear()
        services.clicks._queue.append(_click(code, "parent"))  # pending at the fork
        parent_thread = services.clicks._thread

        def child() -> dict[str, object]:
            seen = {"pooled": db.engine.pool.checkedin(), "gate_fds": len(gate._fds),
                    "queued": services.clicks.pending,
                    "thread_alive": bool(services.clicks._thread
                                         and services.clicks._thread.is_alive()),
                    "same_thread": services.clicks._thread is parent_thread,
                    "status_alive": bool(services.assistant_status._thread
                                         and services.assistant_status._thread.is_alive()),
                    "random": random.random()}
            services.clicks.record(_click(code, "child"))
            deadline = time.monotonic() + 20  # the child's own flusher writes it
            while time.monotonic() < deadline:
                with db.session() as session:
                    if session.scalar(select(func.count(Click.id)).where(
                            Click.channel == "child")):
                        seen["child_click_written"] = True
                        break
                time.sleep(0.05)
            return seen

        seen = _in_child(child)
        mine = random.random()
        services.clicks.flush()
    finally:
        services.close()
    assert "error" not in seen, seen
    assert seen["pooled"] == 0  # no parent connection in the child's pool
    assert seen["gate_fds"] == 0  # no parent lock file
    assert seen["queued"] == 0  # the parent's pending click is not the child's
    assert seen["thread_alive"] and not seen["same_thread"]
    assert seen["status_alive"]
    assert seen.get("child_click_written") is True
    assert seen["random"] != mine
    with db.session() as session:  # each click written once, by the process that took it
        channels = sorted(session.scalars(select(Click.channel)))
    assert channels == ["child", "parent"]


def test_the_preloaded_server_records_clicks_from_every_worker(tmp_path: Path) -> None:
    env = {**os.environ, **SECRETS, "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
           "EMBEDDED_WORKER": "0", "BASE_URL": "http://127.0.0.1:1"}
    env.pop("SANDBOX", None)
    subprocess.run([sys.executable, "-m", "fulfillment", "db", "upgrade"], cwd=REPO, env=env,
                   check=True, capture_output=True, timeout=120)
    demo = json.loads(subprocess.run(
        [sys.executable, "-m", "fulfillment", "demo", "--json"], cwd=REPO, env=env,
        check=True, capture_output=True, text=True, timeout=120).stdout)
    port = str(free_port())
    proc = subprocess.Popen([sys.executable, "-m", "fulfillment", "serve", "--bind",
                             f"127.0.0.1:{port}", "--workers", "2", "--threads", "1"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        wait_ready(proc, port)
        code = demo["code"].replace("-", "")
        with requests.Session() as http:
            for _ in range(40):
                answer = http.get(f"http://127.0.0.1:{port}/r/{code}?c=qr",
                                  allow_redirects=False, timeout=10)
                assert answer.status_code == 302
        deadline = time.monotonic() + 30
        db = Database(env["DATABASE_URL"])
        clicks = 0
        while time.monotonic() < deadline:
            with db.session() as session:
                clicks = session.scalar(select(func.count(Click.id))) or 0
            if clicks >= 40:
                break
            time.sleep(0.2)
        db.dispose()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=45) == 0
    log = proc.stderr.read().decode() if proc.stderr else ""
    assert clicks == 40, log[-2000:]
