"""The referral journey a shop sees: Alex shares, a friend signs up with Alex's code and
orders, both rewards move pending -> held -> approved as time passes, and a refund reverses
them without erasing anything."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core import codes
from core.models import LedgerEntry, OutboundWebhook, Referral
from core.rewards import release_due as release_once
from core.services import Services
from tests.support.events import ShopBackend


@pytest.fixture
def shop(client, demo: dict[str, Any], clock) -> ShopBackend:  # type: ignore[no-untyped-def]
    return ShopBackend(client, demo["webhook_secret"], clock)


def entries(services: Services) -> list[LedgerEntry]:
    with services.db.session() as session:
        rows = list(session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)))
        session.expunge_all()
        return rows


def test_the_friend_and_alex_are_rewarded_once_the_refund_window_passes(
        shop, services, demo, clock, client):
    signup = shop.signup("friend-1", demo["link"], email="sam@example.org", name="Sam")
    assert signup.status_code == 200, signup.get_json()
    assert signup.get_json()["result"]["status"] == "pending"
    order = shop.order("friend-1", "order-1", 6000)
    assert order.status_code == 200
    rewards = order.get_json()["result"]["rewards"]
    assert {(r["side"], r["kind"], r["amount"]) for r in rewards} == {
        ("friend", "percent_discount", 10), ("referrer", "fixed_discount", 1000)}
    assert [e.status for e in entries(services)] == ["pending", "pending"]

    clock.advance(minutes=1)
    release_once(services)
    assert [e.status for e in entries(services)] == ["held", "held"]

    clock.advance(days=13)
    release_once(services)
    assert [e.status for e in entries(services)] == ["held", "held"]

    clock.advance(days=1)
    release_once(services)
    assert [e.status for e in entries(services)] == ["approved", "approved"]
    with services.db.session() as session:
        hooks = session.scalars(select(OutboundWebhook)).all()
        assert sorted(h.payload["side"] for h in hooks) == ["friend", "referrer"]

    ledger = client.get("/api/v1/customers/alex/ledger",
                        headers={"Authorization": f"Bearer {demo['api_key']}"}).get_json()
    assert [(e["side"], e["amount"], e["status"]) for e in ledger["data"]] == [
        ("referrer", 1000, "approved")]

    refund = shop.refund("order-1", 6000)
    assert refund.get_json()["result"]["reversed"] == 2
    after = entries(services)
    assert len(after) == 4  # nothing deleted
    assert [e.status for e in after[:2]] == ["reversed", "reversed"]
    assert sorted(e.amount for e in after[2:]) == [-1000, -10]
    assert all(e.entry_type == "reversal" for e in after[2:])


def test_a_replayed_order_event_returns_the_first_answer_and_grants_nothing_new(
        shop, services, demo):
    shop.signup("friend-1", demo["code"])
    first = shop.order("friend-1", "order-1", 6000, id="evt_order")
    again = shop.order("friend-1", "order-1", 6000, id="evt_order")
    other_id = shop.order("friend-1", "order-1", 6000, id="evt_other")
    assert first.get_json()["replayed"] is False
    assert again.get_json()["replayed"] is True and other_id.get_json()["replayed"] is True
    assert again.get_json()["result"] == first.get_json()["result"]
    assert len(entries(services)) == 2


@pytest.mark.parametrize("ref, reason", [("ALEX-000000", "code_check_failed"),
                                         (codes.generate("Zed"), "unknown_code")])
def test_a_signup_with_an_unknown_code_is_accepted_without_a_referral(shop, services, ref,
                                                                       reason):
    response = shop.signup("friend-2", ref)
    assert response.status_code == 200
    assert response.get_json()["result"] == {"customer": "friend-2", "referral": None,
                                             "reason": reason}
    with services.db.session() as session:
        assert session.scalars(select(Referral)).all() == []


def test_an_order_below_the_minimum_earns_nothing(shop, services, demo):
    shop.signup("friend-1", demo["code"])
    response = shop.order("friend-1", "small", 1999)
    assert response.get_json()["result"]["reason"] == "below_minimum"
    assert entries(services) == []


def test_a_partial_refund_that_keeps_the_order_qualifying_reverses_nothing(shop, services,
                                                                          demo):
    shop.signup("friend-1", demo["code"])
    shop.order("friend-1", "order-1", 6000)
    assert shop.refund("order-1", 1000).get_json()["result"]["reversed"] == 0
    assert shop.refund("order-1", 4000).get_json()["result"]["reversed"] == 2


def test_the_second_level_earns_a_share_of_the_first_level_reward(shop, services, demo,
                                                                  client):
    headers = {"Authorization": f"Bearer {demo['api_key']}"}
    assert client.put("/api/v1/program", json={"level2_percent": 50},
                      headers=headers).status_code == 201
    shop.signup("sam", demo["code"], email="sam@example.org")
    from core import referrals
    from core.models import Customer

    with services.db.session() as session:
        sam = session.scalar(select(Customer).where(Customer.external_id == "sam"))
        sams_code = referrals.ensure_code(session, sam).code
    shop.signup("kim", sams_code, email="kim@example.org")
    rewards = shop.order("kim", "kim-order", 6000).get_json()["result"]["rewards"]
    assert {(r["side"], r["amount"]) for r in rewards} == {
        ("friend", 10), ("referrer", 1000), ("level2", 500)}


def test_the_monthly_cap_stops_the_referrer_reward_but_not_the_friends(shop, services, demo,
                                                                       client):
    client.put("/api/v1/program", json={"cap_per_referrer_month": 1},
               headers={"Authorization": f"Bearer {demo['api_key']}"})
    for n in (1, 2):
        shop.signup(f"friend-{n}", demo["code"], email=f"f{n}@example.org")
    shop.order("friend-1", "o-1", 6000)
    second = shop.order("friend-2", "o-2", 6000).get_json()["result"]
    assert second["capped"] == ["cap_per_referrer_month"]
    assert [r["side"] for r in second["rewards"]] == ["friend"]
