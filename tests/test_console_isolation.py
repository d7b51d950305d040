"""Two shops' staff using the console at the same time never see each other: over a real
threaded HTTP server and under gunicorn with two worker processes, 200 turns each, nobody
sees the other shop's messages, gets the other session's reply or loses their conversation."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from core import demo as demo_seed
from core.clock import FrozenClock
from core.config import Settings
from core.db import Database
from core.services import Services, bootstrap
from fulfillment.app import create_app
from fulfillment.simulator.turns import SimulationResult
from fulfillment.web.console.store import ConcurrentTurn, ConsoleStore
from tests.conftest import CLOCK_START, REPO
from tests.support.console_load import add_customers, seed_second_shop, two_shops_at_once
from tests.support.http_servers import free_port
from tests.support.keys import HASH_KEY, SECRET_KEY
from tests.test_console import signed_in

PAIRS = 100  # two turns each: 200 turns per member of staff
SECRET, HASH = SECRET_KEY, HASH_KEY


def _seed(services: Services) -> list[tuple[dict[str, Any], list[str]]]:
    demo = demo_seed.seed(services)
    north = seed_second_shop(services)
    return [(demo, add_customers(services, demo["shop"], PAIRS)),
            (north, add_customers(services, north["shop"], PAIRS))]


@pytest.fixture
def threaded_server(tmp_path: Path) -> Iterator[tuple[str, list]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    db = Database(f"sqlite:///{tmp_path / 'console.db'}")
    db.create_all()
    services = bootstrap(Settings(database_url=db.url, base_url=base, secret_key=SECRET,
                                  hash_key=HASH, embedded_worker=False, sandbox=True),
                         db=db, clock=FrozenClock(CLOCK_START), background_clicks=False)
    shops = _seed(services)
    server = make_server("127.0.0.1", port, create_app(services=services), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, shops
    finally:
        server.shutdown()
        services.close()
        db.dispose()


@pytest.fixture
def gunicorn_server(tmp_path: Path) -> Iterator[tuple[str, list]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    url = f"sqlite:///{tmp_path / 'console.db'}"
    db = Database(url)
    db.create_all()
    # Seeded on the wall clock: the workers run on it too (they are real processes).
    services = bootstrap(Settings(database_url=url, base_url=base, secret_key=SECRET,
                                  hash_key=HASH, embedded_worker=False),
                         db=db, background_clicks=False)
    shops = _seed(services)
    services.close()
    db.dispose()
    env = {**os.environ, "DATABASE_URL": url, "BASE_URL": base, "SECRET_KEY": SECRET,
           "HASH_KEY": HASH, "EMBEDDED_WORKER": "0", "MESSAGING_MODE": "sandbox",
           "SANDBOX": "1", "PYTHONPATH": str(REPO)}
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
         "--timeout", "60", "fulfillment.wsgi:app"], cwd=REPO, env=env, stdout=log,
        stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert process.poll() is None and time.monotonic() < deadline, \
                (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.2)
        yield base, shops
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _assert_isolated(tallies: list) -> None:
    summary = [t.as_dict() for t in tallies]
    print("console isolation:", summary)
    assert [t.errors for t in tallies] == [[], []]
    assert [t.turns for t in tallies] == [2 * PAIRS, 2 * PAIRS]
    assert [(t.foreign_messages, t.wrong_replies, t.lost_states, t.missing_messages)
            for t in tallies] == [(0, 0, 0, 0), (0, 0, 0, 0)], summary


def test_two_shops_staff_at_once_on_a_threaded_server_see_only_their_own_turns(
        threaded_server):
    base, shops = threaded_server
    _assert_isolated(two_shops_at_once(base, shops))


def test_two_shops_staff_at_once_under_gunicorn_with_two_workers_keep_their_conversations(
        gunicorn_server):
    base, shops = gunicorn_server
    _assert_isolated(two_shops_at_once(base, shops))


def test_a_console_conversation_continues_on_another_worker_and_a_racing_turn_is_refused(
        client, demo, services, settings, database, clock):
    csrf = signed_in(client, demo)
    say = {"shop": "demo", "platform": "alexa", "locale": "en-US", "user": "alex"}
    first = client.post("/console/api/say", headers={"X-CSRF-Token": csrf},
                        json={**say, "text": "share the referral program", "new": True})
    other = create_app(services=bootstrap(settings, db=database, clock=clock,
                                          background_clicks=False)).test_client()
    other.set_cookie("session", client.get_cookie("session").value)  # same browser
    second = other.post("/console/api/say", headers={"X-CSRF-Token": csrf},
                        json={**say, "text": "repeat"}).get_json()
    assert second["speech"] == first.get_json()["speech"]
    assert second["request"]["session"]["new"] is False

    with client.session_transaction() as cookie:
        key, staff_id = cookie["console_key"], cookie["staff_id"]
    store = ConsoleStore(services, key, staff_id)
    loaded = store.load()
    assert loaded is not None
    result = SimulationResult.from_dict(second)
    store.save(loaded.conversation, "alex", result, previous=loaded, fresh=False)
    with pytest.raises(ConcurrentTurn):  # a turn that loaded the same version loses
        store.save(loaded.conversation, "alex", result, previous=loaded, fresh=False)
    assert [r.utterance for r in store.results()] == [
        "share the referral program", "repeat", "repeat"]
