"""The back office (issue 27): the review queue shows the rule and hashed evidence and
decides as the API does (approve, reject with a reason, several at once; support reads,
a manager decides); the referrals page lists every referral with the friend masked and a
CSV with one row per referral; a customer's page shows their code, shares, ledger, consent
and voice identities (hashed), with export and erase for a manager only."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from sqlalchemy import select

from core.models import Customer, Referral, Shop, StaffUser, VoiceIdentity
from core.passwords import hash_password
from tests.support.events import ShopBackend
from tests.support.staff import PASSWORD, csrf, sign_in

DISPOSABLE = "x.flagged@mailinator.com"


@pytest.fixture
def staff(services, demo) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A manager and a support member of the demo shop (the demo's staff is its owner)."""
    with services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        for role in ("manager", "support"):
            session.add(StaffUser(shop_id=shop.id, email=f"{role}@demo.example",
                                  password_hash=hash_password(PASSWORD), role=role,
                                  email_verified_at=services.clock()))
    return {"owner": demo["staff"]["email"], "manager": "manager@demo.example",
            "support": "support@demo.example"}


def _as(client: Any, demo: dict[str, Any], staff: dict[str, str], role: str) -> None:
    client.cookie_jar.clear() if hasattr(client, "cookie_jar") else None
    password = demo["staff"]["password"] if role == "owner" else PASSWORD
    assert sign_in(client, staff[role], password).status_code in (302, 303)


def _flag(client: Any, demo: dict[str, Any], clock: Any, n: int = 1) -> list[int]:
    shop = ShopBackend(client, demo["webhook_secret"], clock)
    ids = []
    for i in range(n):
        out = shop.signup(f"temp{i}", demo["code"],
                          email=DISPOSABLE.replace("x.", f"x{i}.")).get_json()["result"]
        assert out["status"] == "flagged", out
        ids.append(out["referral"])
    return ids


def _page(client: Any, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return str(answer.get_data(as_text=True))


def test_the_queue_shows_the_rule_and_hashed_evidence_never_the_address(
        client, demo, staff, clock):
    [rid] = _flag(client, demo, clock)
    _as(client, demo, staff, "support")
    page = _page(client, "/review/demo")
    assert f'id="flagged-{rid}"' in page and 'data-rule="disposable_email"' in page
    assert "mailinator.com" in page  # the domain the rule matched
    assert DISPOSABLE.replace("x.", "x0.") not in page and "x0.flagged" not in page
    assert 'id="approve"' not in page  # support reads; deciding needs a manager


def test_support_cannot_decide(client, demo, staff, clock):
    [rid] = _flag(client, demo, clock)
    _as(client, demo, staff, "support")
    answer = client.post("/review/demo", data={"csrf_token": csrf(client, "/review/demo"),
                                               "referral": rid, "decision": "approve"})
    assert answer.status_code == 403


def test_a_manager_approves_and_the_api_sees_the_same_decision(client, demo, staff, clock,
                                                               services):
    [rid] = _flag(client, demo, clock)
    _as(client, demo, staff, "manager")
    answer = client.post("/review/demo", data={
        "csrf_token": csrf(client, "/review/demo"), "referral": rid, "decision": "approve",
        "reason": "known household"})
    assert answer.status_code in (302, 303)
    assert "1 decided" in _page(client, answer.headers["Location"])
    with services.db.session() as session:
        row = session.get(Referral, rid)
        assert (row.status, row.reviewed_by, row.review_reason) == (
            "pending", staff["manager"], "known household")
    listed = client.get("/api/v1/referrals",
                        headers={"Authorization": f"Bearer {demo['api_key']}"}).get_json()
    [line] = [r for r in listed["data"] if r["id"] == rid]
    assert line["status"] == "pending" and line["reviewed_at"]
    api = client.post(f"/api/v1/review/{rid}/approve",
                      headers={"Authorization": f"Bearer {demo['api_key']}"})
    assert api.status_code == 404  # decided once: the API finds nothing left to decide


def test_rejecting_needs_a_reason_and_bulk_decides_every_selected(client, demo, staff, clock,
                                                                  services):
    ids = _flag(client, demo, clock, n=3)
    _as(client, demo, staff, "owner")
    token = csrf(client, "/review/demo")
    refused = client.post("/review/demo", data={"csrf_token": token, "referral": ids,
                                                "decision": "reject"})
    assert refused.status_code == 422 and "Say why you reject" in refused.get_data(as_text=True)
    done = client.post("/review/demo", data={"csrf_token": token, "referral": ids[:2],
                                             "decision": "reject", "reason": "burst"})
    assert done.status_code in (302, 303)
    with services.db.session() as session:
        statuses = {r.id: r.status for r in session.scalars(select(Referral))}
    assert [statuses[i] for i in ids] == ["rejected", "rejected", "flagged"]


def test_the_referrals_page_masks_the_friend_and_the_csv_has_one_row_per_referral(
        client, demo, staff, clock):
    shop = ShopBackend(client, demo["webhook_secret"], clock)
    for n in range(3):
        shop.signup(f"f{n}", demo["code"], email=f"friend{n}@example.org")
    shop.order("f0", "o-1", 6000)
    _as(client, demo, staff, "support")
    page = _page(client, "/referrals/demo")
    assert "friend0@example.org" not in page and "f***@example.org" in page
    assert "$60.00" in page  # the order in major units with the sign
    assert len(re.findall(r'<tr id="referral-', page)) == 3
    assert 'id="referrals-csv"' not in page  # the CSV needs a manager
    assert client.get("/referrals/demo/referrals.csv").status_code == 403
    pending = _page(client, "/referrals/demo?status=converted")
    assert len(re.findall(r'<tr id="referral-', pending)) == 1
    assert client.get("/referrals/demo?status=bogus").status_code == 422
    _as(client, demo, staff, "manager")
    rows = list(csv.DictReader(io.StringIO(
        client.get("/referrals/demo/referrals.csv").get_data(as_text=True))))
    assert len(rows) == 3 and {r["referrer"] for r in rows} == {"alex"}
    [converted] = [r for r in rows if r["order_id"]]
    assert converted["order_amount"] == "$60.00" and converted["status"] == "converted"
    assert all("@example.org" not in r["friend"] or "***" in r["friend"] for r in rows)


def test_the_customer_page_shows_the_record_with_hashed_voice_ids(client, demo, staff,
                                                                  services):
    _as(client, demo, staff, "support")
    page = _page(client, "/customers/demo/alex")
    assert demo["code"].replace("-", "") in page.replace("-", "")
    with services.db.session() as session:
        raw_ids = [v.assistant_user_id for v in session.scalars(select(VoiceIdentity))]
    assert raw_ids and not any(raw in page for raw in raw_ids)
    assert "alex@example.com" not in page and "a***@example.com" in page
    assert 'id="export"' not in page and 'id="erase"' not in page  # support: no buttons
    assert client.get("/dashboard/demo/customer-export?customer=alex").status_code == 403
    assert client.get("/customers/demo/nobody").status_code == 404


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_a_manager_exports_and_erases_only_after_confirming(client, demo, staff, services,
                                                            role):
    _as(client, demo, staff, role)
    page = _page(client, "/customers/demo/alex")
    assert 'id="export"' in page and 'id="erase"' in page
    exported = client.get("/dashboard/demo/customer-export?customer=alex")
    assert exported.status_code == 200 and exported.get_json()["profile"]["email"] == \
        "alex@example.com"
    token = csrf(client, "/customers/demo/alex")
    wrong = client.post("/customers/demo/alex/erase", data={"csrf_token": token,
                                                          "confirm": "alx"})
    assert wrong.status_code == 422
    with services.db.session() as session:
        assert session.scalar(select(Customer).where(Customer.external_id == "alex"))
    done = client.post("/customers/demo/alex/erase", data={"csrf_token": token,
                                                         "confirm": "alex"})
    assert done.status_code in (302, 303)
    with services.db.session() as session:
        assert session.scalar(select(Customer).where(Customer.external_id == "alex")) is None


def test_another_shops_customer_and_queue_are_not_reachable(client, demo, staff, services):
    with services.db.session() as session:
        other = Shop(slug="other", name="Other", landing_url="https://other.example/")
        session.add(other)
        session.flush()
        session.add(Customer(shop_id=other.id, external_id="zed", name="Zed"))
    _as(client, demo, staff, "owner")
    assert client.get("/customers/other/zed").status_code in (403, 404)
    assert client.get("/customers/demo/zed").status_code == 404
    assert client.get("/review/other").status_code in (403, 404)
