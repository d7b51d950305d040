"""PostgreSQL, through a real threaded HTTP server: duplicate and racing deliveries are
decided by unique constraints, not by a check-then-insert, so rewards are granted once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from core.clock import FrozenClock
from core.config import Settings
from core.db import Database
from core.models import Conversion, LedgerEntry, Referral, ShopEvent
from core.services import Services, bootstrap
from tests.conftest import BASE_URL
from tests.support.events import signed
from tests.support.keys import HASH_KEY, SECRET_KEY


@dataclass
class LiveShop:
    url: str
    demo: dict[str, Any]
    services: Services
    clock: FrozenClock

    def post(self, event: dict[str, Any]) -> requests.Response:
        raw, headers = signed(event, self.demo["webhook_secret"], int(self.clock().timestamp()))
        return requests.post(self.url + "/api/v1/events", data=raw, headers=headers, timeout=60)


@pytest.fixture
def live(pg_database: Database, clock: FrozenClock) -> Iterator[LiveShop]:
    from core import demo as demo_seed
    from fulfillment.app import create_app

    settings = Settings(database_url=pg_database.url, base_url=BASE_URL, secret_key=SECRET_KEY,
                        hash_key=HASH_KEY, embedded_worker=False)
    services = bootstrap(settings, db=pg_database, clock=clock, background_clicks=False)
    demo = demo_seed.seed(services)
    server = make_server("127.0.0.1", 0, create_app(services=services), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveShop(f"http://127.0.0.1:{server.server_port}", demo, services, clock)
    finally:
        server.shutdown()
        server.server_close()
        services.clicks.close()


def deliver_concurrently(live: LiveShop, events: list[dict[str, Any]],
                         workers: int = 40) -> tuple[list[tuple[int, bool]], float]:
    def one(event: dict[str, Any]) -> tuple[int, bool]:
        response = live.post(event)
        return response.status_code, bool(response.json().get("replayed"))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, events))
    return results, time.perf_counter() - started


def test_two_hundred_concurrent_deliveries_of_one_order_grant_exactly_one_reward_pair(live):
    assert live.post({"id": "evt_signup", "type": "customer.signup", "shop": "demo",
                      "customer": {"id": "friend-1", "email": "sam@example.org"},
                      "ref": live.demo["code"]}).status_code == 200
    order = {"id": "evt_order_1", "type": "order.completed", "shop": "demo",
             "customer_id": "friend-1", "order_id": "order-1", "amount": 6000,
             "currency": "USD"}
    # Half re-deliver the same event id, half the same order under new event ids.
    events = [order if n % 2 else {**order, "id": f"evt_dup_{n}"} for n in range(200)]
    results, elapsed = deliver_concurrently(live, events)
    with live.services.db.session() as session:
        sides = sorted(session.scalars(select(LedgerEntry.side)))
        conversions = session.scalar(select(func.count(Conversion.id)))
    statuses = Counter(status for status, _ in results)
    print(f"\n200 concurrent deliveries of one order over HTTP: statuses {dict(statuses)}, "
          f"first-time answers {sum(not r for _, r in results)}, conversions {conversions}, "
          f"ledger entries {sides}, {elapsed:.2f} s")
    assert statuses == {200: 200}
    assert sum(not replayed for _, replayed in results) == 1
    assert conversions == 1
    assert sides == ["friend", "referrer"]


def test_one_friend_signing_up_in_fifty_racing_events_is_referred_once(live):
    events = [{"id": f"evt_signup_{n}", "type": "customer.signup", "shop": "demo",
               "customer": {"id": "friend-1", "email": "sam@example.org"},
               "ref": live.demo["code"]} for n in range(50)]
    results, _ = deliver_concurrently(live, events, workers=25)
    assert Counter(status for status, _ in results) == {200: 50}
    with live.services.db.session() as session:
        assert session.scalar(select(func.count(Referral.id))) == 1
        answers = [e.result for e in session.scalars(select(ShopEvent))]
    assert len(answers) == 50  # every event recorded with its own answer
    assert sum(1 for a in answers if a.get("referral")) == 1
    assert {a.get("reason") for a in answers if not a.get("referral")} <= {
        "already_referred", None}


def test_two_orders_of_one_friend_racing_convert_the_referral_once(live):
    live.post({"id": "evt_signup", "type": "customer.signup", "shop": "demo",
               "customer": {"id": "friend-1", "email": "sam@example.org"},
               "ref": live.demo["code"]})
    events = [{"id": f"evt_order_{n}", "type": "order.completed", "shop": "demo",
               "customer_id": "friend-1", "order_id": f"order-{n}", "amount": 6000,
               "currency": "USD"} for n in range(30)]
    results, _ = deliver_concurrently(live, events, workers=30)
    assert Counter(status for status, _ in results) == {200: 30}
    with live.services.db.session() as session:
        assert session.scalar(select(func.count(Conversion.id))) == 1
        assert sorted(session.scalars(select(LedgerEntry.side))) == ["friend", "referrer"]


def test_racing_orders_of_many_friends_respect_the_referrers_monthly_cap(live):
    from core import programs
    from core.models import Shop

    with live.services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        programs.save_version(session, shop, {"cap_per_referrer_month": 2})
    for n in range(20):
        live.post({"id": f"evt_signup_{n}", "type": "customer.signup", "shop": "demo",
                   "customer": {"id": f"friend-{n}", "email": f"f{n}@example.org"},
                   "ref": live.demo["code"]})
    events = [{"id": f"evt_order_{n}", "type": "order.completed", "shop": "demo",
               "customer_id": f"friend-{n}", "order_id": f"order-{n}", "amount": 6000,
               "currency": "USD"} for n in range(20)]
    results, _ = deliver_concurrently(live, events, workers=20)
    assert Counter(status for status, _ in results) == {200: 20}
    with live.services.db.session() as session:
        sides = Counter(session.scalars(select(LedgerEntry.side)))
    assert sides == {"friend": 20, "referrer": 2}
