"""Only the shop's secret, over this exact body, within five minutes, is accepted; bad input
gets a 4xx that names the problem and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from core import credentials
from core.models import Customer, Shop, ShopEvent
from tests.support.events import signed


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


@pytest.mark.parametrize("header", [
    "t=1,v1=\u00e9\u00e9", "t=\u00b2\u00b3,v1=abc", "t=" + "9" * 5000 + ",v1=ab",
    "v1=abc", "t=1", "garbage", "t=1,v1="])
def test_a_malformed_signature_header_is_a_401_with_the_reason(client, event, header):
    response = client.post("/api/v1/events", json=event,
                           headers={"X-Referral-Signature": header.encode().decode("latin-1")})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] in {"bad_signature", "stale_signature"}


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
