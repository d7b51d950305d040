"""What a shop's developer uses: the API key, the program with its history, customers,
referrals and ledgers page by page, the OpenAPI document, and reward.approved webhooks that
arrive signed and are retried until acknowledged."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from core.models import OutboundWebhook, Shop
from core.rewards import release_due as release_once
from core.webhook_signing import HEADER, parse_header, verify
from tests.support.events import ShopBackend
from tests.support.http_servers import scripted_server


@pytest.fixture
def auth(demo: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {demo['api_key']}"}


def test_without_a_valid_api_key_nothing_is_shown(client):
    assert client.get("/api/v1/program").status_code == 401
    response = client.get("/api/v1/program", headers={"Authorization": "Bearer rk_wrong"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "bad_api_key"


def test_the_program_is_versioned_and_its_history_kept(client, auth):
    assert client.get("/api/v1/program", headers=auth).get_json()["version"] == 1
    updated = client.put("/api/v1/program", headers=auth,
                         json={"friend_reward_kind": "points", "friend_reward_amount": 500,
                               "hold_days": 30})
    assert updated.status_code == 201
    assert updated.get_json()["version"] == 2
    history = client.get("/api/v1/program/history", headers=auth).get_json()["data"]
    assert [(p["version"], p["active"]) for p in history] == [(2, True), (1, False)]


def test_a_program_with_impossible_values_is_refused_naming_the_fields(client, auth):
    response = client.put("/api/v1/program", headers=auth,
                          json={"hold_days": 5, "friend_reward_kind": "hugs",
                                "referrer_reward_amount": -1})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]["fields"]) == {
        "hold_days", "friend_reward_kind", "referrer_reward_amount"}
    assert client.get("/api/v1/program", headers=auth).get_json()["version"] == 1


def test_customers_are_upserted_with_normalized_contacts(client, auth):
    response = client.put("/api/v1/customers/c-42", headers=auth,
                          json={"email": "Kim@Example.ORG", "phone": "+49 30 901820",
                                "name": "Kim"})
    assert response.get_json() == {"id": "c-42", "name": "Kim", "email": "Kim@example.org",
                                   "phone": "+4930901820", "locale": "en-US"}
    bad = client.put("/api/v1/customers/c-42", headers=auth, json={"phone": "12345"})
    assert bad.status_code == 422


def test_referrals_page_by_page(client, auth, demo, clock):
    shop = ShopBackend(client, demo["webhook_secret"], clock)
    for n in range(5):
        shop.signup(f"f{n}", demo["code"], email=f"f{n}@example.org")
    first = client.get("/api/v1/referrals?limit=2", headers=auth).get_json()
    second = client.get(f"/api/v1/referrals?limit=2&after={first['next']}",
                        headers=auth).get_json()
    third = client.get(f"/api/v1/referrals?limit=2&after={second['next']}",
                       headers=auth).get_json()
    ids = [r["id"] for page in (first, second, third) for r in page["data"]]
    assert len(ids) == 5 == len(set(ids)) and third["next"] is None
    assert client.get("/api/v1/referrals?limit=x", headers=auth).status_code == 422


def test_the_openapi_document_is_generated_from_the_routes(client, app):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    rules = {re.sub(r"<(?:[^:>]+:)?(\w+)>", r"<\1>", r.rule)  # <int(...):id> is <id>
             for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")}
    documented = {p.replace("{", "<").replace("}", ">") for p in doc["paths"]}
    assert documented == rules
    assert "requestBody" in doc["paths"]["/api/v1/program"]["put"]
    assert doc["paths"]["/api/v1/events"]["post"]["security"] == [{"signature": []}]


def test_a_rotated_api_key_replaces_the_old_one(client, auth):
    new = client.post("/api/v1/keys/rotate", headers=auth).get_json()["api_key"]
    assert client.get("/api/v1/program", headers=auth).status_code == 401
    assert client.get("/api/v1/program",
                      headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_kpis_count_shares_clicks_signups_and_revenue(client, auth, demo, clock):
    shop = ShopBackend(client, demo["webhook_secret"], clock)
    shop.signup("f1", demo["code"], email="f1@example.org")
    shop.order("f1", "o1", 6000)
    kpis = client.get("/api/v1/kpis", headers=auth).get_json()
    assert (kpis["signups"], kpis["conversions"], kpis["revenue_minor"]) == (1, 1, 6000)


def test_approved_rewards_reach_the_shop_signed_and_retried_until_acknowledged(
        client, demo, services, clock):
    # the scripted shop server listens on loopback, which webhooks reach only when allowed
    services.settings = services.settings.with_(outbound_allow_networks=("127.0.0.1/32",))
    with scripted_server([500, 503]) as shop_server:
        with services.db.session() as session:
            shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
            shop.settings = {**shop.settings, "webhook_url": shop_server.url + "/hooks"}
        backend = ShopBackend(client, demo["webhook_secret"], clock)
        backend.signup("f1", demo["code"], email="f1@example.org")
        backend.order("f1", "o1", 6000)
        release_once(services)
        clock.advance(days=14)
        _, delivered = release_once(services)
        assert delivered == 0  # first attempt: 500
        for _ in range(3):
            clock.advance(hours=7)
            release_once(services)
        with services.db.session() as session:
            hooks = session.scalars(select(OutboundWebhook)).all()
            assert {h.status for h in hooks} == {"delivered"}
            assert max(h.attempts for h in hooks) >= 2
        assert len(shop_server.received) == 4  # 2 failures + 2 rewards delivered
        last = shop_server.received[-1]
        sent_at, _ = parse_header(last.headers[HEADER])
        verify(last.headers[HEADER], last.body, [demo["webhook_secret"]], sent_at)
        assert last.json()["type"] == "reward.approved"


def test_referrals_name_both_people_by_the_shops_ids_and_filter_by_status(client, auth, demo,
                                                                          clock):
    shop = ShopBackend(client, demo["webhook_secret"], clock)
    shop.signup("sam", demo["code"], email="sam@example.org")
    shop.signup("temp", demo["code"], email="x@mailinator.com")
    flagged = client.get("/api/v1/referrals?status=flagged", headers=auth).get_json()["data"]
    assert [(r["referrer"], r["friend"], r["code"], r["reasons"]) for r in flagged] == [
        ("alex", "temp", demo["code"].replace("-", ""), ["disposable_email"])]
    bad = client.get("/api/v1/referrals?status=maybe", headers=auth)
    assert bad.status_code == 422 and bad.get_json()["error"]["details"]["fields"] == ["status"]


def test_the_event_body_is_documented_from_the_schemas_that_validate_it(client):
    from core.events import SCHEMAS

    doc = client.get("/api/v1/openapi.json").get_json()
    post = doc["paths"]["/api/v1/events"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert [s["properties"]["type"]["const"] for s in body["oneOf"]] == list(SCHEMAS)
    assert {"401", "409", "422"} <= set(post["responses"])
    assert "201" in doc["paths"]["/api/v1/program"]["put"]["responses"]


def test_an_answer_outside_its_documented_schema_fails_under_test():
    from fulfillment.api.shop import ROUTES, _check_response

    referrals = next(r for r in ROUTES if r.path == "/referrals")
    _check_response(referrals, 200, {"data": [], "next": None})
    with pytest.raises(AssertionError, match="outside its documented schema"):
        _check_response(referrals, 200, {"data": [{"id": 1, "referrer_id": 3}], "next": None})
    with pytest.raises(AssertionError, match="documented 200"):
        _check_response(referrals, 201, {"data": [], "next": None})


@pytest.mark.parametrize("method, path, body, field", [
    ("PUT", "/api/v1/program", {"referrer_reward_amount": 10**20}, "referrer_reward_amount"),
    ("PUT", "/api/v1/program", {"cap_total": 2**40}, "cap_total"),
    ("PUT", "/api/v1/program", {"fraud_rules": {"velocity_ip_per_day": True}},
     "fraud_rules.velocity_ip_per_day"),
    ("PUT", "/api/v1/customers/" + "c" * 300, {"name": "Long"}, "external_id"),
])
def test_values_beyond_what_the_database_holds_are_a_422_not_a_500(client, auth, method, path,
                                                                   body, field):
    response = client.open(path, method=method, headers=auth, json=body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["details"]["fields"] == [field]


def test_an_order_amount_beyond_what_the_database_holds_is_a_422(client, demo, clock):
    shop = ShopBackend(client, demo["webhook_secret"], clock)
    response = shop.order("sam", "o-1", 10**20)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["fields"] == ["amount"]
    assert client.get("/api/v1/referrals?after=" + "9" * 40, headers={
        "Authorization": f"Bearer {demo['api_key']}"}).status_code == 200
