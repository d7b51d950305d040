"""The ledger beyond the happy path: what the shop is told when an approved reward is taken
back, caps that survive program edits, release in batches, and the numbers the voice layer
reads."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core import credentials
from core.models import Customer, OutboundWebhook, Shop
from core.rewards import referral_stats
from core.rewards import release_due as release_once
from core.services import Services
from core.webhook_signing import HEADER, parse_header, verify
from tests.support.events import ShopBackend
from tests.support.http_servers import scripted_server


@pytest.fixture
def shop(client, demo: dict[str, Any], clock) -> ShopBackend:  # type: ignore[no-untyped-def]
    return ShopBackend(client, demo["webhook_secret"], clock)


@pytest.fixture
def auth(demo: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {demo['api_key']}"}


def set_webhook_url(services: Services, url: str) -> None:
    # the scripted shop server listens on loopback, which webhooks reach only when allowed
    services.settings = services.settings.with_(outbound_allow_networks=("127.0.0.1/32",))
    with services.db.session() as session:
        row = session.scalar(select(Shop).where(Shop.slug == "demo"))
        row.settings = {**row.settings, "webhook_url": url}


def stats_for(services: Services, external_id: str) -> Any:
    with services.db.session() as session:
        customer = session.scalar(select(Customer).where(Customer.external_id == external_id))
        return referral_stats(session, customer.shop_id, customer.id)


def test_a_refund_after_approval_sends_reward_reversed_to_the_shop(shop, services, demo,
                                                                   clock):
    with scripted_server() as server:
        set_webhook_url(services, server.url + "/hooks")
        shop.signup("sam", demo["code"], email="sam@example.org")
        shop.order("sam", "o-1", 6000)
        release_once(services)
        clock.advance(days=14)
        release_once(services)
        assert sorted(r.json()["type"] for r in server.received) == ["reward.approved"] * 2
        shop.refund("o-1", 6000)
        release_once(services)
        reversed_ = [r.json() for r in server.received if r.json()["type"] == "reward.reversed"]
    assert sorted((r["side"], r["customer_id"], r["amount"]) for r in reversed_) == [
        ("friend", "sam", 10), ("referrer", "alex", 1000)]
    assert all(r["reversal_id"].startswith("rev_") for r in reversed_)


def test_a_refund_before_approval_tells_the_shop_nothing(shop, services, demo, clock):
    shop.signup("sam", demo["code"], email="sam@example.org")
    shop.order("sam", "o-1", 6000)
    release_once(services)
    shop.refund("o-1", 6000)
    clock.advance(days=30)
    release_once(services)
    with services.db.session() as session:
        assert session.scalars(select(OutboundWebhook)).all() == []


def test_during_a_secret_rotation_outbound_webhooks_verify_with_either_secret(
        shop, services, demo, clock):
    with scripted_server() as server:
        set_webhook_url(services, server.url + "/hooks")
        shop.signup("sam", demo["code"], email="sam@example.org")
        shop.order("sam", "o-1", 6000)
        release_once(services)
        clock.advance(days=14)
        with services.db.session() as session:
            row = session.scalar(select(Shop).where(Shop.slug == "demo"))
            new_secret = credentials.rotate_webhook_secret(session, row, services.box,
                                                           services.clock)
        release_once(services)
        sent = server.received[0]
    header = sent.headers[HEADER]
    sent_at, candidates = parse_header(header)
    assert len(candidates) == 2
    for secret in (demo["webhook_secret"], new_secret):
        verify(header, sent.body, [secret], sent_at)


def test_editing_the_program_does_not_reset_the_monthly_cap(shop, services, demo, client,
                                                            auth):
    client.put("/api/v1/program", json={"cap_per_referrer_month": 1}, headers=auth)
    shop.signup("f1", demo["code"], email="f1@example.org")
    shop.order("f1", "o-1", 6000)
    assert client.put("/api/v1/program", json={"referrer_reward_amount": 1500},
                      headers=auth).get_json()["version"] == 3
    shop.signup("f2", demo["code"], email="f2@example.org")
    second = shop.order("f2", "o-2", 6000).get_json()["result"]
    assert second["capped"] == ["cap_per_referrer_month"]


def test_the_monthly_cap_opens_again_next_month(shop, services, demo, client, auth, clock):
    client.put("/api/v1/program", json={"cap_per_referrer_month": 1}, headers=auth)
    for n in (1, 2):
        shop.signup(f"f{n}", demo["code"], email=f"f{n}@example.org")
    shop.order("f1", "o-1", 6000)
    clock.advance(days=31)
    result = shop.order("f2", "o-2", 6000).get_json()["result"]
    assert result["capped"] == [] and {r["side"] for r in result["rewards"]} == {
        "friend", "referrer"}


def test_the_program_total_cap_counts_every_referrer(shop, services, demo, client, auth):
    client.put("/api/v1/program", json={"cap_total": 1}, headers=auth)
    shop.signup("f1", demo["code"], email="f1@example.org")
    shop.order("f1", "o-1", 6000)
    with services.db.session() as session:
        from core import referrals

        f1 = session.scalar(select(Customer).where(Customer.external_id == "f1"))
        f1_code = referrals.ensure_code(session, f1).code
    shop.signup("f2", f1_code, email="f2@example.org")
    assert shop.order("f2", "o-2", 6000).get_json()["result"]["capped"] == ["cap_total"]


def test_release_works_through_more_rewards_than_one_batch(shop, services, demo, clock):
    for n in range(3):
        shop.signup(f"f{n}", demo["code"], email=f"f{n}@example.org")
        shop.order(f"f{n}", f"o-{n}", 6000)
    result, _ = release_once(services, batch=2)
    assert result.held == 6
    clock.advance(days=14)
    result, _ = release_once(services, batch=2)
    assert result.approved == 6


def test_referral_stats_follow_the_ledger_for_the_voice_layer(shop, services, demo, client,
                                                               auth, clock):
    client.put("/api/v1/program", json={"friend_reward_kind": "points",
                                        "friend_reward_amount": 500}, headers=auth)
    for n in range(3):
        shop.signup(f"f{n}", demo["code"], email=f"f{n}@example.org")
    shop.order("f0", "o-0", 6000)
    shop.order("f1", "o-1", 6000)
    alex = stats_for(services, "alex")
    assert (alex.joined, alex.converted, alex.pending_minor, alex.currency) == (
        3, 2, 2000, "USD")
    release_once(services)
    assert stats_for(services, "alex").held_minor == 2000
    assert stats_for(services, "f0").points_pending == 500
    clock.advance(days=14)
    release_once(services)
    shop.refund("o-1", 6000)
    alex = stats_for(services, "alex")
    assert (alex.approved_minor, alex.held_minor, alex.pending_minor) == (1000, 0, 0)
    assert stats_for(services, "f0").points_approved == 500
    assert stats_for(services, "f1").points_approved == 0
