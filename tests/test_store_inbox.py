"""Nothing a store sends is lost: every verified delivery is stored in the inbox before it is
answered, processed from there, retried by the store job when processing fails, refused for
good (422 with the reason, kept for a person) when a value cannot be kept, and shown in the
dead-letter view. Fifty copies of one WooCommerce delivery at once make one conversion."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from werkzeug.serving import make_server

from core import events
from core.models import Conversion, LedgerEntry, StoreWebhook
from core.stores import inbound, jobs
from tests.support.fake_stores import fake_woocommerce
from tests.support.store_samples import woo_delivery, woo_order

KEY, SECRET = "ck_0123456789abcdef0123456789abcdef01234567", "cs_fedcba9876543210fedcba98765"


@pytest.fixture
def woo(client, services, demo) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with fake_woocommerce(KEY, SECRET) as fake:
        services.adapters.allow_private_store_urls = True
        services.adapters.store_timeout = (1.0, 1.0)
        answer = client.put("/api/v1/store",
                            headers={"Authorization": f"Bearer {demo['api_key']}"},
                            json={"platform": "woocommerce", "store_url": fake.url,
                                  "consumer_key": KEY, "consumer_secret": SECRET})
        assert answer.status_code == 200, answer.get_json()
        jobs.run_due(services)  # registration and the friend's coupon, out of the way
        yield answer.get_json()["webhook_secret"]


def send(client, secret: str, body: dict[str, Any], **kw: Any):  # type: ignore[no-untyped-def]
    raw, headers = woo_delivery(secret, "order.updated", body, **kw)
    return client.post("/woocommerce/demo/webhooks", data=raw, headers=headers)


def inbox(services) -> list[StoreWebhook]:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        rows = list(session.scalars(select(StoreWebhook).order_by(StoreWebhook.id)))
        session.expunge_all()
        return rows


def conversions(services) -> int:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        return int(session.scalar(select(func.count(Conversion.id))) or 0)


def failing_once(monkeypatch, error: Exception) -> list[int]:  # type: ignore[no-untyped-def]
    """events.record fails on its next call only (a database that went away mid-delivery)."""
    real, calls = events.record, []

    def record(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(events, "record", record)
    return calls


def test_a_delivery_whose_processing_fails_is_answered_200_kept_and_processed_by_the_job(
        woo, client, services, clock, demo, monkeypatch):
    failing_once(monkeypatch, OperationalError("UPDATE", {}, Exception("server closed")))
    answer = send(client, woo, woo_order(codes=[demo["code"]]), delivery_id="d-1")
    assert answer.status_code == 200 and answer.get_json()["status"] == "pending"
    [row] = inbox(services)
    assert (row.status, row.attempts) == ("pending", 1) and demo["code"] in row.body
    assert "server closed" in row.last_error and conversions(services) == 0
    clock.advance(minutes=5)  # past the backoff
    result = jobs.run_due(services)
    assert result.inbox_processed == 1 and conversions(services) == 1
    [row] = inbox(services)
    assert (row.status, row.body) == ("done", "")  # the body named the buyer: cleared
    again = send(client, woo, woo_order(codes=[demo["code"]]), delivery_id="d-1")
    assert again.get_json()["replayed"] is True and conversions(services) == 1


def test_an_out_of_range_value_is_a_422_kept_in_the_inbox_and_shown_to_the_shop(
        woo, client, services, demo):
    body = woo_order(codes=[demo["code"]], total="1e30")
    refused = send(client, woo, body, delivery_id="d-big")
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "out_of_range"
    assert send(client, woo, body, delivery_id="d-big").status_code == 422  # the same answer
    [row] = inbox(services)
    assert row.status == "refused" and '"1e30"' in row.body and row.attempts == 1
    view = client.get("/api/v1/store/inbox",
                      headers={"Authorization": f"Bearer {demo['api_key']}"})
    [shown] = view.get_json()["deliveries"]
    assert (shown["delivery_id"], shown["status"]) == ("d-big", "refused")
    assert "out of range" in shown["last_error"] and '"1e30"' in shown["body"]


def test_a_delivery_failing_every_time_is_given_up_and_shown_dead(
        woo, client, services, clock, demo, monkeypatch):
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("a bug in processing")

    monkeypatch.setattr(events, "record", broken)
    assert send(client, woo, woo_order(codes=[demo["code"]])).status_code == 200
    for _ in range(inbound.MAX_ATTEMPTS):
        clock.advance(hours=7)
        jobs.run_due(services)
    [row] = inbox(services)
    assert (row.status, row.attempts) == ("dead", inbound.MAX_ATTEMPTS)
    assert inbound.problems(services, row.shop_id)[0].status == "dead"
    monkeypatch.undo()
    retried = inbound.retry(services, row.shop_id, row.id)  # a person, once it is mended
    assert retried.status == "done" and conversions(services) == 1


def test_a_conflict_with_a_concurrent_delivery_is_retried_inside_not_sent_back(
        woo, client, services, demo, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    calls = failing_once(monkeypatch, IntegrityError("INSERT", {}, Exception("duplicate")))
    answer = send(client, woo, woo_order(codes=[demo["code"]]))
    assert answer.status_code == 200 and answer.get_json()["status"] == "done"
    assert len(calls) == 2 and conversions(services) == 1


def test_a_forged_delivery_is_not_stored(woo, client, services, demo):
    raw, headers = woo_delivery(woo, "order.updated", woo_order(codes=[demo["code"]]))
    forged = {**headers, "X-WC-Webhook-Signature": "bm90IHRoZSBzaWduYXR1cmU="}
    assert client.post("/woocommerce/demo/webhooks", data=raw, headers=forged).status_code == 401
    assert inbox(services) == []


@pytest.fixture
def live(app, woo) -> Iterator[str]:  # type: ignore[no-untyped-def]
    app.config["TESTING"] = False
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_fifty_copies_of_one_woocommerce_delivery_at_once_convert_once(live, woo, services,
                                                                        demo):
    raw, headers = woo_delivery(woo, "order.updated", woo_order(codes=[demo["code"]]),
                                delivery_id="wc-race")

    def post(_: int) -> tuple[int, bool]:
        answer = requests.post(f"{live}/woocommerce/demo/webhooks", data=raw, headers=headers,
                               timeout=60)
        return answer.status_code, answer.json().get("replayed")

    with ThreadPoolExecutor(max_workers=25) as pool:
        answers = list(pool.map(post, range(50)))
    assert Counter(status for status, _ in answers) == {200: 50}
    assert sum(not replayed for _, replayed in answers) == 1
    assert conversions(services) == 1 and len(inbox(services)) == 1
    with services.db.session() as session:
        assert sorted(session.scalars(select(LedgerEntry.side))) == ["friend", "referrer"]
