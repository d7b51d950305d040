"""A WooCommerce shop against a local server speaking the REST API (wc/v3, basic auth,
WooCommerce's error bodies): REST keys connect it, a job registers the order webhooks with
a secret we made and creates the friend's coupon, `coupon_lines` at checkout attribute the
order, a refund (order.updated with `refunds`) reverses it once, and approval issues the
referrer a single-use coupon restricted to their email."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from core import codes
from core.models import Conversion, LedgerEntry, Message, StoreConnection, StoreJob, StoreWebhook
from core.rewards import release_due as release_once
from core.stores import jobs
from tests.support.fake_stores import Failure, FakeStore, fake_woocommerce
from tests.support.store_samples import woo_delivery, woo_order

KEY, SECRET = "ck_0123456789abcdef0123456789abcdef01234567", "cs_fedcba9876543210fedcba98765"


@pytest.fixture
def woo(services, demo) -> Iterator[FakeStore]:  # type: ignore[no-untyped-def]
    with fake_woocommerce(KEY, SECRET) as fake:
        services.adapters.allow_private_store_urls = True  # the stand-in is on loopback
        services.adapters.store_timeout = (1.0, 1.0)
        yield fake


@pytest.fixture
def connected(client, demo, woo) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    answer = client.put("/api/v1/store", headers={"Authorization": f"Bearer {demo['api_key']}"},
                        json={"platform": "woocommerce", "store_url": woo.url,
                              "consumer_key": KEY, "consumer_secret": SECRET})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def deliver(client, connected, topic: str, body: dict[str, Any], **kw: Any):  # type: ignore[no-untyped-def]
    raw, headers = woo_delivery(connected["webhook_secret"], topic, body, **kw)
    return client.post("/woocommerce/demo/webhooks", data=raw, headers=headers)


def test_rest_keys_connect_and_the_job_registers_webhooks_and_the_friends_coupon(
        connected, woo, services, clock, demo):
    assert KEY not in json.dumps(connected) and SECRET not in json.dumps(connected)
    assert len(connected["webhook_secret"]) >= 32  # made for the shop, shown once
    assert jobs.run_due(services).done == 2
    assert [(w["topic"], w["delivery_url"], w["secret"]) for w in woo.webhooks] == [
        (t, "https://refer.test/woocommerce/demo/webhooks", connected["webhook_secret"])
        for t in ("order.created", "order.updated")]
    coupon = woo.discounts[codes.validate(demo["code"]).lower()]
    assert (coupon["discount_type"], coupon["amount"], coupon["minimum_amount"],
            coupon["usage_limit_per_user"]) == ("percent", "10", "20.00", 1)


def test_a_store_url_on_a_private_address_is_refused_at_use_time(client, demo, services):
    client.put("/api/v1/store", headers={"Authorization": f"Bearer {demo['api_key']}"},
               json={"platform": "woocommerce", "store_url": "https://127.0.0.1:9",
                     "consumer_key": KEY, "consumer_secret": SECRET})
    result = jobs.run_due(services)  # without the test-only allowance
    assert result.failed == 2 and "non-public address" in result.errors[0]


def test_a_pending_order_waits_and_the_paid_update_with_the_code_converts_once(
        connected, client, services, demo):
    typed = codes.display(codes.validate(demo["code"])).lower()  # WooCommerce lowercases
    created = deliver(client, connected, "order.created",
                      woo_order(codes=[typed], status="pending"))
    assert created.status_code == 200 and created.get_json()["results"] == []
    paid = deliver(client, connected, "order.updated", woo_order(codes=[typed]))
    result = paid.get_json()["results"][0]["result"]
    assert result["attributed_by"] == "code"
    assert {(r["side"], r["status"]) for r in result["rewards"]} == {
        ("friend", "redeemed"), ("referrer", "pending")}
    completed = deliver(client, connected, "order.updated",
                        woo_order(codes=[typed], status="completed"))
    assert completed.get_json()["results"][0]["replayed"] is True
    with services.db.session() as session:
        assert session.scalar(select(func.count(Conversion.id))) == 1
        conversion = session.scalar(select(Conversion))
        assert conversion.amount == 6000  # total less shipping and tax


def test_a_refund_reverses_once_however_often_the_order_is_updated(connected, client,
                                                                    services, demo):
    deliver(client, connected, "order.updated", woo_order(codes=[demo["code"]]))
    refunded = woo_order(codes=[demo["code"]], status="refunded",
                         refunds=[{"id": 735, "reason": "damaged", "total": "-60.00"}])
    first = deliver(client, connected, "order.updated", refunded).get_json()
    again = deliver(client, connected, "order.updated", refunded).get_json()
    assert first["results"][-1]["result"]["reversed"] == 2
    assert again["results"][-1]["replayed"] is True
    with services.db.session() as session:
        assert session.scalar(select(func.count(LedgerEntry.id)).where(
            LedgerEntry.entry_type == "reversal")) == 2


def test_forged_or_unsigned_webhooks_are_refused_and_the_ping_is_answered(
        connected, client, services, demo):
    raw, headers = woo_delivery(connected["webhook_secret"], "order.updated",
                                woo_order(codes=[demo["code"]]))
    forged = {**headers, "X-WC-Webhook-Signature": "bm90IHRoZSBzaWduYXR1cmU="}
    unsigned = {k: v for k, v in headers.items() if k != "X-WC-Webhook-Signature"}
    assert client.post("/woocommerce/demo/webhooks", data=raw, headers=forged).status_code == 401
    assert client.post("/woocommerce/demo/webhooks", data=raw,
                       headers=unsigned).status_code == 401
    with services.db.session() as session:
        assert session.scalar(select(func.count(StoreWebhook.id))) == 0
        assert session.scalar(select(func.count(Conversion.id))) == 0
    ping = client.post("/woocommerce/demo/webhooks", data=b"webhook_id=10",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert ping.status_code == 200 and ping.get_json()["topic"] == "ping"


def test_an_unsigned_ping_does_not_count_as_a_verified_webhook(connected, client, services):
    """Anyone can send WooCommerce's unsigned ping: it is answered, but the store page's "last
    verified webhook" must not move for it (issue 26, item 13)."""
    ping = client.post("/woocommerce/demo/webhooks", data=b"webhook_id=10",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert ping.status_code == 200
    with services.db.session() as session:
        assert session.scalars(select(StoreConnection.last_webhook_at)).all() == [None]


def test_approval_issues_a_single_use_coupon_for_the_referrer_retrying_a_500(
        connected, client, services, clock, woo, demo):
    jobs.run_due(services)
    deliver(client, connected, "order.updated", woo_order(codes=[demo["code"]]))
    clock.advance(days=15)
    release_once(services)
    release_once(services)
    woo.fail_next(Failure(500))
    assert jobs.run_due(services).retried == 1
    clock.advance(hours=1)
    assert jobs.run_due(services).done == 1
    with services.db.session() as session:
        job = session.scalar(select(StoreJob).where(StoreJob.kind == "reward_code"))
        message = session.scalar(select(Message).where(Message.kind == "reward_notice"))
    coupon = woo.discounts[job.code.lower()]
    assert (coupon["discount_type"], coupon["amount"], coupon["usage_limit"],
            coupon["email_restrictions"]) == ("fixed_cart", "10.00", 1, ["alex@example.com"])
    assert message.context["code"] == job.code


def test_a_coupon_that_already_exists_after_a_lost_answer_counts_as_made(
        connected, woo, services, clock, demo):
    woo.discounts[codes.validate(demo["code"]).lower()] = {"code": "made by a lost attempt"}
    result = jobs.run_due(services)
    assert (result.done, result.failed) == (2, 0)
    with services.db.session() as session:
        job = session.scalar(select(StoreJob).where(StoreJob.kind == "friend_discount"))
        assert job.result["issued_as"] == "existing"


def test_wrong_rest_keys_fail_the_jobs_with_woocommerces_reason(client, demo, woo, services):
    client.put("/api/v1/store", headers={"Authorization": f"Bearer {demo['api_key']}"},
               json={"platform": "woocommerce", "store_url": woo.url, "consumer_key": KEY,
                     "consumer_secret": "cs_wrong"})
    result = jobs.run_due(services)
    assert (result.failed, result.retried) == (2, 0)
    assert all("refused our credentials (401)" in e for e in result.errors)
    assert woo.discounts == {} and woo.webhooks == []


def test_new_friend_terms_update_the_coupon_in_place(connected, woo, services, clock, client,
                                                      demo):
    jobs.run_due(services)
    client.put("/api/v1/program", headers={"Authorization": f"Bearer {demo['api_key']}"},
               json={"friend_reward_kind": "fixed_discount", "friend_reward_amount": 500,
                     "min_order_amount": 0})
    assert jobs.run_due(services).done == 1
    coupon = woo.discounts[codes.validate(demo["code"]).lower()]
    assert (coupon["discount_type"], coupon["amount"], coupon["minimum_amount"]) == (
        "fixed_cart", "5.00", "")
    assert len(woo.discounts) == 1
