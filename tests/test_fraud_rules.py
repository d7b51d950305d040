"""Each fraud rule, one test each: what it catches, and that the program decides whether it
blocks or only flags for review. A household sharing one speaker is never a reason."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.models import Referral
from tests.support.events import ShopBackend


@pytest.fixture
def shop(client, demo: dict[str, Any], clock) -> ShopBackend:  # type: ignore[no-untyped-def]
    return ShopBackend(client, demo["webhook_secret"], clock)


def api(client, demo, method: str, path: str, **kw: Any):  # type: ignore[no-untyped-def]
    return client.open(path, method=method, headers={"Authorization": f"Bearer {demo['api_key']}"},
                       **kw)


def result(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_json()
    return response.get_json()["result"]


def test_self_referral_by_the_same_mailbox_is_blocked(shop, demo):
    # A +tag reaches the same mailbox as alex@example.com.
    out = result(shop.signup("alex-again", demo["code"], email="Alex+promo@Example.com"))
    assert out["status"] == "blocked" and "self_referral" in out["fraud"]


def test_self_referral_by_the_same_phone_is_blocked(shop, demo, client):
    api(client, demo, "PUT", "/api/v1/customers/alex", json={"phone": "+49 30 901820"})
    out = result(shop.signup("alex-phone", demo["code"], phone="+49 (30) 90 18 20"))
    assert out["status"] == "blocked" and out["fraud"] == ["self_referral"]


def test_an_existing_customer_cannot_be_referred(shop, demo):
    result(shop.signup("old-friend", None, email="old@example.org"))
    out = result(shop.signup("old-friend", demo["code"], email="old@example.org"))
    assert out["status"] == "blocked" and "existing_customer" in out["fraud"]


def test_a_second_account_of_an_existing_customer_is_not_a_new_friend(shop, demo):
    result(shop.signup("kim-2019", None, email="kim.lee@gmail.com"))
    out = result(shop.signup("kim-new", demo["code"], email="KimLee+new@gmail.com"))
    assert out["status"] == "blocked" and out["fraud"] == ["existing_customer"]


def test_a_friend_is_referred_only_once(shop, demo, services):
    first = result(shop.signup("sam", demo["code"], email="sam@example.org"))
    assert first["status"] == "pending"
    again = result(shop.signup("sam", demo["code"], email="sam@example.org"))
    assert again["reason"] == "already_referred" and again["referral"] is None
    with services.db.session() as session:
        assert len(session.scalars(select(Referral)).all()) == 1


def test_a_disposable_email_is_flagged_for_review(shop, demo):
    out = result(shop.signup("temp", demo["code"], email="x@mailinator.com"))
    assert out["status"] == "flagged" and out["fraud"] == ["disposable_email"]


def test_a_burst_of_signups_on_one_code_is_flagged(shop, demo, client):
    api(client, demo, "PUT", "/api/v1/program",
        json={"fraud_rules": {"velocity_code_per_hour": 3}})
    statuses = [result(shop.signup(f"f{n}", demo["code"], email=f"f{n}@example.org"))["status"]
                for n in range(5)]
    assert statuses == ["pending", "pending", "pending", "flagged", "flagged"]


def test_many_signups_from_one_ip_in_a_day_are_flagged(shop, demo, client, clock):
    api(client, demo, "PUT", "/api/v1/program", json={"fraud_rules": {
        "velocity_ip_per_day": 2, "velocity_code_per_hour": 100}})
    statuses = []
    for n in range(3):
        statuses.append(result(shop.signup(f"f{n}", demo["code"], email=f"f{n}@example.org",
                                           ip="203.0.113.7"))["status"])
        clock.advance(hours=2)
    assert statuses == ["pending", "pending", "flagged"]


def test_the_program_can_make_a_rule_block_or_switch_it_off(shop, demo, client):
    api(client, demo, "PUT", "/api/v1/program", json={"fraud_rules": {
        "disposable_email": "block"}})
    assert result(shop.signup("t1", demo["code"], email="a@mailinator.com"))["status"] == \
        "blocked"
    api(client, demo, "PUT", "/api/v1/program", json={"fraud_rules": {
        "disposable_email": "off"}})
    assert result(shop.signup("t2", demo["code"], email="b@mailinator.com"))["status"] == \
        "pending"


def test_flagged_referrals_wait_in_the_review_queue_until_approved(shop, demo, client,
                                                                   services, clock):
    from core.rewards import release_due as release_once

    out = result(shop.signup("temp", demo["code"], email="x@mailinator.com"))
    result(shop.order("temp", "o-1", 6000))
    clock.advance(days=30)
    release_once(services)
    ledger = api(client, demo, "GET", "/api/v1/customers/alex/ledger").get_json()["data"]
    assert [e["status"] for e in ledger] == ["pending"]  # not released while in review
    queue = api(client, demo, "GET", "/api/v1/review").get_json()["data"]
    assert [r["id"] for r in queue] == [out["referral"]]
    approved = api(client, demo, "POST", f"/api/v1/review/{out['referral']}/approve")
    assert approved.get_json()["status"] == "converted"
    release_once(services)
    ledger = api(client, demo, "GET", "/api/v1/customers/alex/ledger").get_json()["data"]
    assert [e["status"] for e in ledger] == ["approved"]


def test_rejecting_a_flagged_referral_reverses_its_rewards(shop, demo, client):
    out = result(shop.signup("temp", demo["code"], email="x@mailinator.com"))
    result(shop.order("temp", "o-1", 6000))
    rejected = api(client, demo, "POST", f"/api/v1/review/{out['referral']}/reject")
    assert rejected.get_json()["status"] == "rejected"
    ledger = api(client, demo, "GET", "/api/v1/customers/alex/ledger").get_json()["data"]
    assert [(e["status"], e["amount"]) for e in ledger] == [("reversed", 1000),
                                                            ("approved", -1000)]
    assert api(client, demo, "POST", f"/api/v1/review/{out['referral']}/reject"
               ).status_code == 404


def test_a_shared_household_speaker_is_not_a_fraud_signal(shop, demo):
    # Two family members, same speaker and same home IP, different people: both count.
    for n in range(2):
        out = result(shop.signup(f"family-{n}", demo["code"], email=f"member{n}@example.org",
                                 ip="198.51.100.4"))
        assert out["status"] == "pending" and out["fraud"] == []
