"""A Shopify shop, end to end against a local server speaking the Admin GraphQL API: the
shop connects through the API, a job registers our webhooks and creates the friend's
discount for every code (a code made at a voice share included, without the turn waiting),
verified webhooks turn a checkout with the code into a conversion, a refund reverses it,
and approval issues the referrer's own code in the store and tells them."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from core import codes
from core.messaging import rendering
from core.models import (
    Conversion,
    Customer,
    LedgerEntry,
    Message,
    Referral,
    StoreConnection,
    StoreJob,
    StoreWebhook,
)
from core.rewards import release_due as release_once
from core.stores import jobs
from fulfillment.simulator.turns import Simulator
from tests.support.fake_stores import Failure, FakeStore, fake_shopify, throttled
from tests.support.store_samples import (
    shopify_customer,
    shopify_delivery,
    shopify_order,
    shopify_refund,
)

DOMAIN = "demo-shop.myshopify.com"
TOKEN = "shpat_0123456789abcdef0123456789abcdef"
APP_SECRET = "shpss_app-secret-that-signs-webhooks"


@pytest.fixture
def shopify(services, demo) -> Iterator[FakeStore]:  # type: ignore[no-untyped-def]
    with fake_shopify(TOKEN) as fake:
        services.adapters.store_origins = {DOMAIN: fake.url}
        services.adapters.store_timeout = (1.0, 1.0)
        yield fake


@pytest.fixture
def connected(client, demo, shopify, services) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    answer = client.put("/api/v1/store", headers={"Authorization": f"Bearer {demo['api_key']}"},
                        json={"platform": "shopify", "shop_domain": DOMAIN,
                              "access_token": TOKEN, "webhook_secret": APP_SECRET})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def deliver(client, topic: str, body: dict[str, Any], **kw: Any):  # type: ignore[no-untyped-def]
    raw, headers = shopify_delivery(APP_SECRET, topic, body, **kw)
    return client.post("/shopify/demo/webhooks", data=raw, headers=headers)


def run_jobs(services, clock, passes: int = 1) -> list[jobs.PassResult]:  # type: ignore[no-untyped-def]
    results = []
    for _ in range(passes):
        results.append(jobs.run_due(services))
        clock.advance(hours=2)  # past any backoff
    return results


def test_a_shop_connects_and_the_job_registers_webhooks_and_the_friends_discount(
        connected, shopify, services, clock, demo, client):
    assert connected["token_hint"] == TOKEN[-4:]
    assert TOKEN not in json.dumps(connected) and APP_SECRET not in json.dumps(connected)
    assert connected["webhook_url"] == "https://refer.test/shopify/demo/webhooks"
    with services.db.session() as session:
        conn = session.scalar(select(StoreConnection))
        assert TOKEN not in conn.credentials_sealed and APP_SECRET not in \
            conn.webhook_secret_sealed  # sealed at rest
    assert shopify.calls == []  # nothing called the store inside the request
    assert run_jobs(services, clock)[0].done == 2  # webhooks + Alex's discount

    assert sorted(w["topic"] for w in shopify.webhooks) == [
        "CUSTOMERS_CREATE", "ORDERS_PAID", "REFUNDS_CREATE"]
    assert {w["uri"] for w in shopify.webhooks} == {connected["webhook_url"]}
    assert all(c["path"] == "/admin/api/2026-07/graphql.json" for c in shopify.calls)
    discount = shopify.discounts[codes.validate(demo["code"])]
    assert discount["customerGets"] == {"value": {"percentage": 0.1}, "items": {"all": True}}
    assert discount["minimumRequirement"] == {"subtotal": {"greaterThanOrEqualToSubtotal":
                                                           "20.00"}}
    assert discount["appliesOncePerCustomer"] is True and discount["context"] == {"all": "ALL"}
    assert discount["_aliases"] == [demo["code"]]  # ALEX-427183 typed with its dash works too
    status = client.get("/api/v1/store",
                        headers={"Authorization": f"Bearer {demo['api_key']}"}).get_json()
    assert status["webhooks_registered_at"] is not None and status["last_error"] is None


def test_connecting_again_registers_again_without_failing_on_taken_topics(
        connected, shopify, services, clock, client, demo):
    run_jobs(services, clock)
    again = client.put("/api/v1/store", headers={"Authorization": f"Bearer {demo['api_key']}"},
                       json={"platform": "shopify", "shop_domain": DOMAIN,
                             "access_token": TOKEN, "webhook_secret": APP_SECRET})
    assert again.status_code == 200
    result = run_jobs(services, clock)[0]
    assert (result.done, result.failed) == (1, 0)  # "already taken" means subscribed
    assert len(shopify.webhooks) == 3


def test_a_code_made_at_a_voice_share_gets_its_discount_from_the_job_not_the_turn(
        connected, shopify, services, clock, app):
    with services.db.session() as session:
        session.add(Customer(shop_id=1, external_id="maria", name="Maria",
                             email="maria@example.org", email_confirmed_at=clock()))
    run_jobs(services, clock)
    shopify.calls.clear()
    shopify.fail_next(Failure(stall=3.0))  # the store hangs: the turn must not notice
    simulator = Simulator(app, services)
    said = simulator.say(simulator.start("alexa", "demo", "en-US", user="maria"),
                         "share the referral program")
    assert said.status == 200 and "Your code is" in said.speech
    assert shopify.calls == []  # the turn only queued the work
    with services.db.session() as session:
        job = session.scalar(select(StoreJob).where(StoreJob.kind == "friend_discount",
                                                    StoreJob.code.like("MARIA%")))
        assert job.status == "pending"
    first = run_jobs(services, clock)[0]  # the stall: a read timeout, retried
    assert (first.retried, first.done) == (1, 0) and "in time" in first.errors[0]
    run_jobs(services, clock)
    assert any(code.startswith("MARIA") for code in shopify.discounts)


def test_the_store_down_is_retried_with_backoff_honouring_retry_after(
        connected, shopify, services, clock):
    shopify.fail_next(Failure(500), Failure(429, headers={"Retry-After": "120"}), throttled())
    first = jobs.run_due(services)  # register: 500; the discount job: 429
    assert (first.retried, first.done) == (2, 0)
    with services.db.session() as session:
        waits = {j.kind: (j.next_attempt_at - clock()).total_seconds()
                 for j in session.scalars(select(StoreJob))}
    assert 11 <= waits["register_webhooks"] <= 19  # 15 s with jitter
    assert waits["friend_discount"] >= 120  # never sooner than Retry-After
    clock.advance(seconds=121)
    second = jobs.run_due(services)  # THROTTLED for the first, then the second succeeds
    assert (second.retried, second.done) == (1, 1)
    clock.advance(minutes=5)
    assert jobs.run_due(services).done == 1
    assert len(shopify.webhooks) == 3 and len(shopify.discounts) == 1


def test_a_bad_token_fails_the_job_with_the_reason_shown_to_the_shop(
        client, demo, shopify, services, clock):
    client.put("/api/v1/store", headers={"Authorization": f"Bearer {demo['api_key']}"},
               json={"platform": "shopify", "shop_domain": DOMAIN, "access_token": "wrong",
                     "webhook_secret": APP_SECRET})
    result = jobs.run_due(services)
    assert (result.failed, result.retried) == (2, 0)
    status = client.get("/api/v1/store",
                        headers={"Authorization": f"Bearer {demo['api_key']}"}).get_json()
    assert "refused our credentials" in status["last_error"]


def test_a_shop_without_a_store_gets_a_404_and_its_webhooks_are_refused(client, demo):
    answer = client.get("/api/v1/store", headers={"Authorization": f"Bearer {demo['api_key']}"})
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "no_store"
    raw, headers = shopify_delivery(APP_SECRET, "orders/paid", shopify_order())
    assert client.post("/shopify/demo/webhooks", data=raw, headers=headers).status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"platform": "shopify", "shop_domain": "evil.example.com", "access_token": "t",
      "webhook_secret": "s"}, "shop_domain"),
    ({"platform": "shopify", "shop_domain": DOMAIN, "webhook_secret": "s"}, "access_token"),
    ({"platform": "shopify", "shop_domain": DOMAIN, "access_token": "t"}, "webhook_secret"),
    ({"platform": "bigcommerce"}, "platform"),
])
def test_a_connection_missing_or_misnaming_a_field_is_a_422_naming_it(client, demo, body,
                                                                       field):
    answer = client.put("/api/v1/store", json=body,
                        headers={"Authorization": f"Bearer {demo['api_key']}"})
    assert answer.status_code == 422
    assert field in answer.get_json()["error"]["details"]["fields"]


def test_forged_unsigned_or_other_shop_webhooks_are_refused_and_nothing_is_written(
        connected, client, services, demo):
    raw, headers = shopify_delivery(APP_SECRET, "orders/paid",
                                    shopify_order(codes=[demo["code"]]))
    forged = {**headers, "X-Shopify-Hmac-Sha256": headers["X-Shopify-Hmac-Sha256"][:-4] + "AAA="}
    unsigned = {k: v for k, v in headers.items() if k != "X-Shopify-Hmac-Sha256"}
    other_secret = shopify_delivery("not-the-secret", "orders/paid",
                                    shopify_order(codes=[demo["code"]]))
    other_shop = {**headers, "X-Shopify-Shop-Domain": "other.myshopify.com"}
    answers = [client.post("/shopify/demo/webhooks", data=raw, headers=forged),
               client.post("/shopify/demo/webhooks", data=raw, headers=unsigned),
               client.post("/shopify/demo/webhooks", data=other_secret[0],
                           headers=other_secret[1]),
               client.post("/shopify/demo/webhooks", data=raw, headers=other_shop),
               client.post("/shopify/demo/webhooks", data=raw + b" ", headers=headers)]
    assert [a.status_code for a in answers] == [401] * 5
    assert answers[0].get_json()["error"]["code"] == "bad_signature"
    with services.db.session() as session:
        assert session.scalar(select(func.count(StoreWebhook.id))) == 0
        assert session.scalar(select(func.count(Referral.id))) == 0
    assert client.post("/shopify/nope/webhooks", data=raw, headers=headers).status_code == 404
    assert client.post("/woocommerce/demo/webhooks", data=raw,
                       headers=headers).status_code == 404  # not a WooCommerce shop


def test_unreadable_signed_webhooks_are_a_4xx_not_a_500(connected, client):
    raw = b"not json"
    _, headers = shopify_delivery(APP_SECRET, "orders/paid", {})
    from tests.support.store_samples import sign
    headers["X-Shopify-Hmac-Sha256"] = sign(APP_SECRET, raw)
    assert client.post("/shopify/demo/webhooks", data=raw, headers=headers).status_code == 400
    lacking = shopify_delivery(APP_SECRET, "orders/paid", {"id": 1})
    answer = client.post("/shopify/demo/webhooks", data=lacking[0], headers=lacking[1])
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "schema"
    no_id = {k: v for k, v in lacking[1].items() if k != "X-Shopify-Webhook-Id"}
    assert client.post("/shopify/demo/webhooks", data=lacking[0],
                       headers=no_id).status_code == 400


def test_the_journey_checkout_with_the_heard_code_refund_and_approval_in_the_store(
        connected, shopify, services, clock, client, demo):
    run_jobs(services, clock)
    customer = deliver(client, "customers/create", shopify_customer(
        115310627314723954, email="jon@example.com"))
    assert customer.status_code == 200
    heard = codes.display(codes.validate(demo["code"])).lower()  # typed as heard
    paid = deliver(client, "orders/paid", shopify_order(codes=[heard]))
    assert paid.status_code == 200, paid.get_json()
    result = paid.get_json()["results"][0]["result"]
    assert result["attributed_by"] == "code"
    assert {(r["side"], r["status"]) for r in result["rewards"]} == {
        ("friend", "redeemed"), ("referrer", "pending")}

    clock.advance(days=15)
    release_once(services)
    release_once(services)
    issued = jobs.run_due(services)
    assert issued.done == 1
    with services.db.session() as session:
        job = session.scalar(select(StoreJob).where(StoreJob.kind == "reward_code"))
        message = session.scalar(select(Message).where(Message.kind == "reward_notice"))
        assert message.recipient == "+15555550100"  # Alex's confirmed phone
        assert message.context["code"] == job.code and message.context["reward"] == "$10.00"
    text = rendering.render("reward_notice", "en-US", message.context)
    assert f"Your code: {job.code}." in text.sms and job.code in text.html
    reward = shopify.discounts[job.code]
    assert reward["usageLimit"] == 1 and reward["customerGets"]["value"] == {
        "discountAmount": {"amount": "10.00", "appliesOnEachItem": False}}
    assert len([c for c in shopify.discounts if c.startswith("THANKS-")]) == 1

    refund = deliver(client, "refunds/create", shopify_refund(amount="60.00"))
    assert refund.get_json()["results"][0]["result"]["reversed"] == 2
    with services.db.session() as session:
        assert session.scalar(select(func.count(LedgerEntry.id)).where(
            LedgerEntry.entry_type == "reversal")) == 2


def test_gift_card_rewards_are_issued_with_gift_card_create(client, demo, shopify, services,
                                                            clock):
    client.put("/api/v1/store", headers={"Authorization": f"Bearer {demo['api_key']}"},
               json={"platform": "shopify", "shop_domain": DOMAIN, "access_token": TOKEN,
                     "webhook_secret": APP_SECRET, "gift_card_rewards": True})
    run_jobs(services, clock)
    deliver(client, "orders/paid", shopify_order(codes=[demo["code"]]))
    clock.advance(days=15)
    release_once(services)
    release_once(services)
    assert jobs.run_due(services).done == 1
    [(code, card)] = shopify.gift_cards.items()
    assert card["initialAmount"] == {"amount": "10.00", "currencyCode": "USD"}
    assert "initialValue" not in card and code.startswith("THANKS")
    with services.db.session() as session:
        message = session.scalar(select(Message).where(Message.kind == "reward_notice"))
        assert message.context["code"] == code


def test_a_webhook_redelivered_is_processed_once(connected, client, services, demo):
    body = shopify_order(codes=[demo["code"]])
    first = deliver(client, "orders/paid", body, webhook_id="wh-1")
    again = deliver(client, "orders/paid", body, webhook_id="wh-1")
    other_id = deliver(client, "orders/paid", body, webhook_id="wh-2")  # same order
    assert first.get_json()["replayed"] is False and again.get_json()["replayed"] is True
    assert again.get_json()["results"] == first.get_json()["results"]
    assert other_id.get_json()["results"][0]["replayed"] is True
    with services.db.session() as session:
        assert session.scalar(select(func.count(Conversion.id))) == 1


@pytest.fixture
def live(app, connected) -> Iterator[str]:  # type: ignore[no-untyped-def]
    app.config["TESTING"] = False
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_same_webhook_delivered_fifty_times_at_once_converts_once(live, services, demo):
    raw, headers = shopify_delivery(APP_SECRET, "orders/paid",
                                    shopify_order(codes=[demo["code"]]), webhook_id="wh-race")

    def post(_: int) -> tuple[int, bool]:
        answer = requests.post(f"{live}/shopify/demo/webhooks", data=raw, headers=headers,
                               timeout=60)
        return answer.status_code, answer.json().get("replayed")

    with ThreadPoolExecutor(max_workers=25) as pool:
        answers = list(pool.map(post, range(50)))
    assert Counter(status for status, _ in answers) == {200: 50}
    assert sum(not replayed for _, replayed in answers) == 1
    with services.db.session() as session:
        assert session.scalar(select(func.count(Conversion.id))) == 1
        assert session.scalar(select(func.count(StoreWebhook.id))) == 1
        assert sorted(session.scalars(select(LedgerEntry.side))) == ["friend", "referrer"]


def test_a_field_shopify_calls_invalid_is_refused_for_good_with_its_user_error(shopify):
    from core.stores.base import DiscountSpec, StoreError
    from core.stores.shopify import ShopifyStore

    store = ShopifyStore(DOMAIN, TOKEN, APP_SECRET, origin=shopify.url)
    with pytest.raises(StoreError) as refused:
        store.create_discount(DiscountSpec("BAD1234567", "t", "percent", 150, "USD"))
    assert not refused.value.retryable and "between 0.0 and 1.0" in str(refused.value)
    assert shopify.discounts == {}


def test_a_friend_reward_of_nothing_makes_no_discount(client, demo, shopify, services):
    answer = client.put("/api/v1/program", headers={"Authorization": f"Bearer {demo['api_key']}"},
                        json={"friend_reward_kind": "fixed_discount", "friend_reward_amount": 0})
    assert answer.status_code == 201
    client.put("/api/v1/store", headers={"Authorization": f"Bearer {demo['api_key']}"},
               json={"platform": "shopify", "shop_domain": DOMAIN, "access_token": TOKEN,
                     "webhook_secret": APP_SECRET})
    result = jobs.run_due(services)
    assert (result.done, result.failed) == (1, 1) and "no discount" in result.errors[0]
    assert shopify.discounts == {} and all("discountCode" not in c["body"].decode()
                                           for c in shopify.calls)


@pytest.mark.parametrize("locale, text", [("en-US", "$10.00"), ("de-DE", "10,00\xa0$"),
                                          ("ru-RU", "10,00\xa0$")])
def test_the_reward_is_written_in_the_referrers_language(locale: str, text: str) -> None:
    entry = LedgerEntry(kind="fixed_discount", amount=1000, currency="USD")
    assert jobs.reward_text(entry, locale) == text
    percent = LedgerEntry(kind="percent_discount", amount=15, currency="USD")
    assert jobs.reward_text(percent, locale).replace("\xa0", " ") in ("15%", "15 %")


def test_new_friend_terms_update_every_discount_already_in_the_store(
        connected, shopify, services, clock, client, demo):
    run_jobs(services, clock)
    answer = client.put("/api/v1/program", headers={"Authorization": f"Bearer {demo['api_key']}"},
                        json={"friend_reward_amount": 15, "min_order_amount": 0})
    assert answer.status_code == 201
    client.put("/api/v1/program", headers={"Authorization": f"Bearer {demo['api_key']}"},
               json={"terms": {"en": "Same rewards, new words."}})  # no discount change
    assert run_jobs(services, clock)[0].done == 1
    discount = shopify.discounts[codes.validate(demo["code"])]
    assert discount["customerGets"]["value"] == {"percentage": 0.15}
    assert discount["minimumRequirement"] == {"subtotal": {"greaterThanOrEqualToSubtotal":
                                                           "0.00"}}
    assert len(shopify.discounts) == 1  # updated, not made again


def test_credentials_sealed_under_another_secret_key_fail_the_jobs_instead_of_looping(
        connected, services):
    from core.secrets_box import SecretBox

    services.box = SecretBox("a-different-secret-key")
    result = jobs.run_due(services)
    assert (result.failed, result.retried) == (2, 0)
    assert "connect the store again" in result.errors[0]
