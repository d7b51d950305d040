"""A friend who heard the code types it at checkout: the generic order.completed event
carries `codes`, and an order with a referral code is attributed to its referrer even with
no signup or click before, every fraud rule applied; the friend's reward is the discount
they already took, recorded as redeemed and never issued again."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from core.models import Conversion, Customer, LedgerEntry, OutboundWebhook, Referral
from core.rewards import release_due as release_once
from tests.support.events import ShopBackend


@pytest.fixture
def shop(client, demo: dict[str, Any], clock) -> ShopBackend:  # type: ignore[no-untyped-def]
    return ShopBackend(client, demo["webhook_secret"], clock)


def typed_like_a_person(display: str) -> str:
    """ALEX-427183 heard as "Alex, 427 183" and typed "alex 427 183"."""
    word, digits = display.split("-")
    return f"{word.lower()} {digits[:3]} {digits[3:]}"


def count(services, model) -> int:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_an_order_with_the_code_typed_at_checkout_refers_a_buyer_never_seen_before(
        shop, services, demo, clock, client):
    answer = shop.order("sam-1", "order-1", 6000, codes=[typed_like_a_person(demo["code"])],
                        customer={"email": "sam@example.org", "name": "Sam"})
    assert answer.status_code == 200, answer.get_json()
    result = answer.get_json()["result"]
    assert result["attributed_by"] == "code" and result["conversion"] is not None
    assert {(r["side"], r["status"]) for r in result["rewards"]} == {
        ("friend", "redeemed"), ("referrer", "pending")}
    with services.db.session() as session:
        sam = session.scalar(select(Customer).where(Customer.external_id == "sam-1"))
        assert sam.email == "sam@example.org" and sam.first_order_at is not None
        referral = session.scalar(select(Referral).where(Referral.friend_id == sam.id))
        assert referral.status == "converted"
        friend_entry = session.scalar(select(LedgerEntry).where(LedgerEntry.side == "friend"))
        assert friend_entry.note.startswith("discount taken at checkout")

    ledger = client.get("/api/v1/customers/sam-1/ledger",
                        headers={"Authorization": f"Bearer {demo['api_key']}"}).get_json()
    assert [(e["side"], e["status"]) for e in ledger["data"]] == [("friend", "redeemed")]

    clock.advance(days=15)
    release_once(services)
    release_once(services)
    with services.db.session() as session:
        statuses = dict(session.execute(select(LedgerEntry.side, LedgerEntry.status)).all())
        hooks = session.scalars(select(OutboundWebhook)).all()
        assert statuses == {"friend": "redeemed", "referrer": "approved"}
        # The shop is told to give Alex his reward; the friend's discount is not re-issued.
        assert [h.payload["side"] for h in hooks] == ["referrer"]


def test_other_discount_codes_refer_nobody_and_keep_no_contact_details(shop, services):
    answer = shop.order("stranger", "order-9", 6000, codes=["SUMMER10", "ALEX-000000"],
                        customer={"email": "x@example.org"})
    assert answer.get_json()["result"] == {"conversion": None, "reason": "unknown_customer"}
    assert count(services, Referral) == 0
    with services.db.session() as session:  # no contact details kept for a plain buyer
        stranger = session.scalar(select(Customer).where(Customer.external_id == "stranger"))
        assert (stranger.email, stranger.name, stranger.signed_up_at) == (None, "", None)


def test_the_referrer_typing_their_own_code_is_a_blocked_self_referral(shop, services, demo):
    own = shop.order("alex", "order-2", 6000, codes=[demo["code"]])
    other_account = shop.order("alex-2", "order-3", 6000, codes=[demo["code"]],
                               customer={"email": "Alex+deals@example.com"})
    for answer in (own, other_account):
        result = answer.get_json()["result"]
        assert result["conversion"] is None and result["reason"] == "referral_blocked"
        assert "self_referral" in result["fraud"]
    assert count(services, Conversion) == 0 and count(services, LedgerEntry) == 0


def test_a_buyer_who_ordered_before_is_an_existing_customer_not_a_referral(shop, services,
                                                                            demo):
    first = shop.order("pat", "order-1", 6000, codes=["SUMMER10"],
                       customer={"email": "pat@example.org"}).get_json()["result"]
    assert first == {"conversion": None, "reason": "unknown_customer"}
    with services.db.session() as session:  # remembered by id and order time, nothing more
        pat = session.scalar(select(Customer).where(Customer.external_id == "pat"))
        assert pat.email is None and pat.first_order_at is not None
    later = shop.order("pat", "order-2", 6000, codes=[demo["code"]]).get_json()["result"]
    assert later["reason"] == "referral_blocked" and "existing_customer" in later["fraud"]
    # A signed-up customer ordering for the first time with the code is still a friend.
    shop.signup("lee", None, email="lee@example.org")
    lee = shop.order("lee", "order-3", 6000, codes=[demo["code"]]).get_json()["result"]
    assert lee["attributed_by"] == "code" and lee["conversion"] is not None
    assert count(services, Conversion) == 1


def test_velocity_on_one_code_flags_the_orders_beyond_the_limit(shop, services, demo, client):
    answer = client.put("/api/v1/program", json={"fraud_rules": {"velocity_code_per_hour": 2}},
                        headers={"Authorization": f"Bearer {demo['api_key']}"})
    assert answer.status_code == 201
    results = [shop.order(f"buyer-{n}", f"order-{n}", 6000, codes=[demo["code"]],
                          customer={"email": f"buyer{n}@example.org"}).get_json()["result"]
               for n in range(3)]
    assert [r["fraud"] for r in results] == [[], [], ["velocity_code"]]
    with services.db.session() as session:
        assert [r.status for r in session.scalars(select(Referral).order_by(Referral.id))] \
            == ["converted", "converted", "flagged"]


def test_a_replayed_checkout_order_converts_once_and_a_refund_reverses_both_sides(
        shop, services, demo):
    first = shop.order("sam", "order-1", 6000, codes=[demo["code"]], id="evt_a")
    again = shop.order("sam", "order-1", 6000, codes=[demo["code"]], id="evt_b")
    assert again.get_json()["replayed"] is True
    assert again.get_json()["result"] == first.get_json()["result"]
    assert count(services, Conversion) == 1 and count(services, LedgerEntry) == 2

    refund = shop.refund("order-1", 6000).get_json()["result"]
    assert refund["reversed"] == 2
    with services.db.session() as session:
        reversals = session.scalars(select(LedgerEntry).where(
            LedgerEntry.entry_type == "reversal")).all()
        assert sorted(e.side for e in reversals) == ["friend", "referrer"]
        # Neither reward had been announced, so nothing is taken back from the shop.
        assert session.scalars(select(OutboundWebhook)).all() == []


def test_a_friend_referred_by_link_who_types_the_code_too_is_not_rewarded_twice(
        shop, services, demo):
    shop.signup("kim", demo["link"], email="kim@example.org")
    result = shop.order("kim", "order-1", 6000, codes=[demo["code"]]).get_json()["result"]
    assert result["attributed_by"] == "signup"
    assert {(r["side"], r["status"]) for r in result["rewards"]} == {
        ("friend", "redeemed"), ("referrer", "pending")}


def test_codes_are_validated_and_published_in_the_openapi_document(shop, client):
    bad = shop.order("sam", "order-1", 6000, codes=["x" * 65])
    assert bad.status_code == 422
    assert bad.get_json()["error"]["details"]["fields"] == ["codes.0"]
    document = client.get("/api/v1/openapi.json").get_json()
    body = document["paths"]["/api/v1/events"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]
    order = next(s for s in body["oneOf"] if s["properties"]["type"] == {
        "const": "order.completed"})
    assert order["properties"]["codes"]["items"]["maxLength"] == 64
    assert "email" in order["properties"]["customer"]["properties"]
