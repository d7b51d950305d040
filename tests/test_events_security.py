"""Only the shop's secret, over this exact body, within five minutes, is accepted; bad input
gets a 4xx that names the problem and changes nothing."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from core import credentials
from core.models import Customer, LedgerEntry, Shop, ShopEvent
from tests.support.events import ShopBackend, signed


@pytest.fixture
def event(demo: dict[str, Any]) -> dict[str, Any]:
    return {"id": "evt_1", "type": "customer.signup", "shop": "demo",
            "customer": {"id": "friend-1", "email": "sam@example.org"}, "ref": demo["code"]}


def post(client, raw: bytes, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/events", data=raw, headers=headers)


def nothing_recorded(services) -> bool:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        return session.scalar(select(func.count(ShopEvent.id))) == 0 and session.scalar(
            select(func.count(Customer.id)).where(Customer.external_id == "friend-1")) == 0


def test_a_correctly_signed_event_is_accepted(client, demo, event, clock):
    raw, headers = signed(event, demo["webhook_secret"], int(clock().timestamp()))
    assert post(client, raw, headers).status_code == 200


def test_a_tampered_body_is_refused(client, demo, event, clock, services):
    raw, headers = signed(event, demo["webhook_secret"], int(clock().timestamp()))
    response = post(client, raw.replace(b"friend-1", b"friend-9"), headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "bad_signature"
    assert nothing_recorded(services)


def test_a_signature_with_the_wrong_secret_is_refused(client, event, clock, services):
    raw, headers = signed(event, "whsec_not_the_shops", int(clock().timestamp()))
    assert post(client, raw, headers).status_code == 401
    assert nothing_recorded(services)


@pytest.mark.parametrize("skew", [-301, 301])
def test_stale_and_future_timestamps_are_refused(client, demo, event, clock, services, skew):
    raw, headers = signed(event, demo["webhook_secret"], int(clock().timestamp()) + skew)
    response = post(client, raw, headers)
    assert response.status_code == 401
    assert "300 s" in response.get_json()["error"]["message"]
    assert nothing_recorded(services)


def test_a_missing_signature_is_refused_with_the_reason(client, event):
    response = client.post("/api/v1/events", json=event)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "missing_signature"


def test_both_secrets_work_while_one_is_rotated(client, demo, event, clock, services):
    with services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        new = credentials.rotate_webhook_secret(session, shop, services.box, services.clock)
    for n, secret in enumerate((demo["webhook_secret"], new)):
        raw, headers = signed({**event, "id": f"evt_{n}", "customer": {"id": f"c{n}"}},
                              secret, int(clock().timestamp()))
        assert post(client, raw, headers).status_code == 200
    clock.advance(days=8)
    raw, headers = signed({**event, "id": "evt_late"}, demo["webhook_secret"],
                          int(clock().timestamp()))
    assert post(client, raw, headers).status_code == 401


def test_schema_errors_are_a_422_naming_the_fields(client, demo, clock, services):
    bad = {"id": "evt_1", "type": "order.completed", "shop": "demo", "order_id": "o",
           "amount": "sixty", "currency": "usd"}
    raw, headers = signed(bad, demo["webhook_secret"], int(clock().timestamp()))
    response = post(client, raw, headers)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]["fields"]) == {
        "amount", "currency", "customer_id"}
    assert nothing_recorded(services)


def test_malformed_json_is_a_400_and_an_unknown_type_a_422(client, demo, clock):
    raw, headers = signed(b"{not json", demo["webhook_secret"], int(clock().timestamp()))
    assert post(client, raw, headers).status_code == 400
    raw, headers = signed({"id": "e", "type": "order.exploded", "shop": "demo"},
                          demo["webhook_secret"], int(clock().timestamp()))
    assert post(client, raw, headers).status_code == 422


def test_two_hundred_concurrent_deliveries_of_one_order_grant_exactly_one_reward_pair(
        pg_database, tmp_path, clock):
    """PostgreSQL: the unique constraints decide, not a check-then-insert race."""
    from core.config import Settings
    from core.services import bootstrap
    from fulfillment.app import create_app
    from tests.conftest import BASE_URL

    settings = Settings(database_url=pg_database.url, base_url=BASE_URL, secret_key="s",
                        hash_key="h", embedded_worker=False)
    services = bootstrap(settings, db=pg_database, clock=clock, background_clicks=False)
    from core import demo as demo_seed

    demo = demo_seed.seed(services)
    app = create_app(services=services)
    shop = ShopBackend(app.test_client(), demo["webhook_secret"], clock)
    assert shop.signup("friend-1", demo["code"]).status_code == 200
    event = {"id": "evt_order_1", "type": "order.completed", "shop": "demo",
             "customer_id": "friend-1", "order_id": "order-1", "amount": 6000,
             "currency": "USD"}
    raw, headers = signed(event, demo["webhook_secret"], int(clock().timestamp()))

    def deliver(_: int) -> tuple[int, bool]:
        response = app.test_client().post("/api/v1/events", data=raw, headers=headers)
        return response.status_code, bool((response.get_json() or {}).get("replayed"))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=40) as pool:
        results = list(pool.map(deliver, range(200)))
    elapsed = time.perf_counter() - started
    with pg_database.session() as session:
        rewards = session.scalars(select(LedgerEntry)).all()
        sides = sorted(r.side for r in rewards)
    print(f"\n200 concurrent deliveries: statuses {sorted(set(s for s, _ in results))}, "
          f"first-time answers {sum(not r for _, r in results)}, rewards {sides}, "
          f"{elapsed:.2f} s")
    assert [s for s, _ in results].count(200) == 200
    assert sum(not replayed for _, replayed in results) == 1
    assert sides == ["friend", "referrer"]
    services.clicks.close()


def test_events_for_another_shop_cannot_use_this_shops_secret(client, demo, clock, services,
                                                              event):
    with services.db.session() as session:
        session.add(Shop(slug="other", name="Other", landing_url="https://o.example"))
    raw, headers = signed({**event, "shop": "other"}, demo["webhook_secret"],
                          int(clock().timestamp()))
    assert post(client, raw, headers).status_code == 401
    raw, headers = signed({**event, "shop": "nope"}, demo["webhook_secret"],
                          int(clock().timestamp()))
    assert post(client, raw, headers).status_code == 404
    json.dumps(event)
