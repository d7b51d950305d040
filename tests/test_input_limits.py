"""No input gives a 500: bodies too large or too deep, NUL and lone surrogates, odd route
parameters and query values, malformed Alexa envelopes with verification off, and a refund
past the order are each a 4xx with a reason, refused before anything is parsed or written."""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

import pytest
from sqlalchemy import func, select

from core.models import Conversion, Customer, ShopEvent
from core.services import Services
from fulfillment.app import create_app
from fulfillment.edge.input_limits import SHOP_API, VOICE, nesting_depth_exceeds
from tests.support.alexa import envelope
from tests.support.events import ShopBackend, signed

DEEP = b"[" * 5000 + b"]" * 5000
VOICE_ENDPOINTS = ["/alexa/demo", "/alice/demo", "/dialogflow/demo"]


@pytest.fixture
def auth(demo: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {demo['api_key']}"}


@pytest.fixture
def open_client(services: Services, demo):  # type: ignore[no-untyped-def]
    """VERIFY_REQUESTS=0: every body reaches the parsers."""
    unverified = dataclasses.replace(
        services, settings=services.settings.with_(verify_requests=False))
    app = create_app(services=unverified)
    app.config["TESTING"] = True
    return app.test_client()


def error_of(response: Any) -> dict[str, Any]:
    body = response.get_json()
    assert set(body["error"]) >= {"code", "message"}, body
    return body["error"]


def refused(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    error = error_of(response)
    assert error["code"] == code, error
    return error["message"]


def count(services: Services, model: Any) -> int:
    with services.db.session() as session:
        return session.scalar(select(func.count(model.id))) or 0


# --- size and depth, before parsing -------------------------------------------------------

@pytest.mark.parametrize("endpoint", [*VOICE_ENDPOINTS, "/api/v1/events"])
def test_a_5000_deep_body_is_a_400_on_every_webhook_verified_or_not(client, open_client,
                                                                    endpoint):
    for each in (client, open_client):
        message = refused(each.post(endpoint, data=DEEP, content_type="application/json"),
                          400, "too_deep")
        assert "levels" in message


def test_a_5000_deep_program_is_a_400_and_changes_nothing(client, auth):
    response = client.put("/api/v1/program", data=b'{"terms": ' + DEEP + b"}",
                          headers={**auth, "Content-Type": "application/json"})
    refused(response, 400, "too_deep")
    assert client.get("/api/v1/program", headers=auth).get_json()["version"] == 1


def test_a_deep_body_sent_as_text_plain_is_refused_too(client):
    """The webhooks read their body as JSON whatever the Content-Type says."""
    refused(client.post("/alice/demo", data=DEEP, content_type="text/plain"), 400, "too_deep")


@pytest.mark.parametrize("endpoint, limits", [("/alexa/demo", VOICE), ("/alice/demo", VOICE),
                                              ("/dialogflow/demo", VOICE),
                                              ("/api/v1/events", SHOP_API)])
def test_a_body_over_the_surface_limit_is_a_400_naming_the_limit(client, endpoint, limits):
    body = json.dumps({"padding": "x" * limits.max_bytes}).encode()
    message = refused(client.post(endpoint, data=body, content_type="application/json"),
                      400, "body_too_large")
    assert str(limits.max_bytes) in message


def test_a_real_request_nested_well_past_real_depth_is_still_answered(open_client, demo, clock):
    """The depth limit is far above what a platform sends (samples: at most 11 levels)."""
    body = envelope(skill_id=demo["skill_ids"]["alexa"], user_id=demo["voice_users"]["alexa"],
                    request_type="LaunchRequest", now=clock())
    nested: Any = "leaf"
    for _ in range(40):
        nested = {"n": nested}
    body["session"]["attributes"] = {"deep": nested}
    response = open_client.post("/alexa/demo", data=json.dumps(body),
                                content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize("raw, deeper_than_3", [
    (b'{"a": "[[[[[[[[[[[[[["}', False),           # brackets in a string are text
    (b'{"a": "\\"[[[[[[[[", "b": [1]}', False),    # so are they after an escaped quote
    (b'[[[["\\\\"]]]]', True),                      # an escaped backslash ends no string
    (b'{"a": {"b": {"c": {"d": 1}}}}', True),
    (b'{"a": "unterminated [[[[[[[[[', False),
])
def test_nesting_is_counted_outside_strings_only(raw: bytes, deeper_than_3: bool):
    assert nesting_depth_exceeds(raw, 3) is deeper_than_3


def test_the_depth_scan_is_linear_on_a_pathological_body():
    import time

    raw = b'"' + b'\\"' * 60_000  # an unterminated string of escaped quotes
    started = time.perf_counter()
    for _ in range(10):
        assert nesting_depth_exceeds(raw + b"[" * 100, 64) is False
    # Not a speed assertion: a quadratic scan takes minutes here, a linear one milliseconds.
    assert time.perf_counter() - started < 30


# --- NUL and lone surrogates ---------------------------------------------------------------

@pytest.mark.parametrize("endpoint", ["/alexa/%00", "/alice/%00", "/dialogflow/%00",
                                      "/alexa/a%00b"])
def test_a_nul_in_the_shop_of_a_webhook_url_is_a_400(client, open_client, endpoint):
    for each in (client, open_client):
        refused(each.post(endpoint, data=b"{}", content_type="application/json"), 400,
                "invalid_characters")


def test_an_event_for_a_shop_with_a_nul_is_a_400(client, demo, clock, services):
    raw = b'{"id": "e1", "type": "customer.signup", "shop": "a\\u0000", ' \
          b'"customer": {"id": "c1"}}'
    body, headers = signed(raw, demo["webhook_secret"], int(clock().timestamp()))
    refused(client.post("/api/v1/events", data=body, headers=headers), 400,
            "invalid_characters")
    assert count(services, ShopEvent) == 0


def test_a_nul_in_a_customer_name_is_a_400_and_the_phone_is_not_logged(client, demo, clock,
                                                                        services, caplog):
    raw = (b'{"id": "e1", "type": "customer.signup", "shop": "demo", "customer": '
           b'{"id": "c1", "name": "Kim\\u0000", "phone": "+15555550177"}, "ref": null}')
    body, headers = signed(raw, demo["webhook_secret"], int(clock().timestamp()))
    with caplog.at_level(logging.DEBUG):
        refused(client.post("/api/v1/events", data=body, headers=headers), 400,
                "invalid_characters")
    assert "5555550177" not in caplog.text
    assert count(services, ShopEvent) == 0
    with services.db.session() as session:
        assert session.scalar(select(Customer).where(Customer.external_id == "c1")) is None


def test_a_raw_nul_byte_in_a_json_string_is_a_400(client, demo, clock):
    raw = b'{"id": "e1", "type": "customer.signup", "shop": "demo\x00", "customer": {"id": "c"}}'
    body, headers = signed(raw, demo["webhook_secret"], int(clock().timestamp()))
    response = client.post("/api/v1/events", data=body, headers=headers)
    assert response.status_code == 400
    assert error_of(response)["code"] in ("malformed_json", "invalid_characters")


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_a_non_finite_number_anywhere_in_a_body_is_a_400_and_nothing_is_stored(
        client, demo, clock, services, constant):
    """Python's json reads NaN and Infinity; JSON has no such numbers and PostgreSQL's JSONB
    refuses them, so a signed event carrying one in a field we keep (the payload) was a 500
    at the insert there."""
    raw = (b'{"id": "e-nan", "type": "customer.signup", "shop": "demo", "customer": '
           b'{"id": "c-nan"}, "extra": {"score": ' + constant + b'}}')
    body, headers = signed(raw, demo["webhook_secret"], int(clock().timestamp()))
    message = refused(client.post("/api/v1/events", data=body, headers=headers), 400,
                      "malformed_json")
    assert constant.decode().lstrip("-") in message
    assert count(services, ShopEvent) == 0


@pytest.mark.parametrize("kind, field", [("order.completed", "customer_id"),
                                         ("order.refunded", "order_id")])
def test_an_id_longer_than_its_column_is_a_422_naming_it(client, demo, clock, services,
                                                         kind, field):
    """The columns hold 128 characters: a longer id was a 500 on PostgreSQL (DataError)."""
    event = {"id": "e-long", "type": kind, "shop": "demo", "order_id": "o-1",
             "customer_id": "c-1", "amount": 100, "currency": "USD", field: "x" * 129}
    body, headers = signed(event, demo["webhook_secret"], int(clock().timestamp()))
    response = client.post("/api/v1/events", data=body, headers=headers)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in error_of(response)["details"]["fields"]
    assert count(services, ShopEvent) == 0


def _alice(demo: dict[str, Any], user_id_json: bytes) -> bytes:
    return (b'{"meta": {"locale": "ru-RU", "interfaces": {}}, "session": {"message_id": 0, '
            b'"session_id": "s", "new": true, "skill_id": "' + demo["skill_ids"]["alice"].encode()
            + b'", "user": {"user_id": ' + user_id_json + b'}}, "request": {"command": "", '
            b'"original_utterance": "", "type": "SimpleUtterance"}, "version": "1.0"}')


@pytest.mark.parametrize("user_id", [b'"\\udfff"', b'"\\ud800x"', b'"DEMO\\u0000"',
                                     b'"\\uDFFF\\uD800"'])
def test_an_alice_user_id_with_a_lone_surrogate_or_a_nul_is_a_400(client, open_client, demo,
                                                                  user_id):
    for each in (client, open_client):
        refused(each.post("/alice/demo", data=_alice(demo, user_id),
                          content_type="application/json"), 400, "invalid_characters")


def test_a_surrogate_pair_is_a_character_not_a_lone_surrogate(client, demo):
    response = client.post("/alice/demo", data=_alice(demo, b'"\\ud83d\\ude00-user"'),
                           content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_body_that_is_not_utf8_is_a_400(client):
    raw = json.dumps({"request": {"type": "LaunchRequest"}}).encode("utf-16")
    refused(client.post("/alexa/demo", data=raw, content_type="application/json"), 400,
            "malformed_json")


def test_a_nul_in_a_dashboard_slug_is_a_400(client):
    assert client.get("/dashboard/a%00/kpis.csv").status_code == 400


def test_a_nul_in_a_query_value_is_a_400(client, auth):
    refused(client.get("/api/v1/referrals?status=%00", headers=auth), 400,
            "invalid_characters")


@pytest.mark.parametrize("path, form", [
    ("/console/login", {"email": "support@demo-shop.example\x00", "password": "x"}),
    ("/hooks/twilio/inbound", {"From": "+15555550100", "Body": "STOP\x00"}),
])
def test_a_nul_in_a_form_field_is_a_400(client, open_client, demo, path, form):
    for each in (client, open_client):
        assert each.post(path, data=form).status_code == 400


# --- route parameters and query values ------------------------------------------------------

@pytest.mark.parametrize("referral_id", ["%C2%B2", "9" * 20, "0", "-1", "1_0", "%D9%A3x",
                                         str(2**31)])
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_a_review_id_that_names_no_row_is_a_404(client, auth, referral_id, action):
    response = client.post(f"/api/v1/review/{referral_id}/{action}", headers=auth)
    assert response.status_code == 404, response.get_data(as_text=True)
    error_of(response)


@pytest.mark.parametrize("query", ["limit=0", "after=-1", "limit=201", "limit=%C2%B2",
                                   "limit=1_0", "limit=%20%205", "status=nope"])
@pytest.mark.parametrize("path", ["/api/v1/referrals", "/api/v1/review"])
def test_query_values_the_document_forbids_are_a_422_naming_them(client, auth, path, query):
    if path == "/api/v1/review" and query.startswith("status"):
        pytest.skip("the review queue takes no status")
    response = client.get(f"{path}?{query}", headers=auth)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert error_of(response)["details"]["fields"] == [query.split("=")[0]]


def test_the_document_declares_the_review_id_as_a_bounded_integer(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    [param] = doc["paths"]["/api/v1/review/{referral_id}/approve"]["post"]["parameters"]
    assert param["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def test_a_wrong_method_is_a_405_that_says_which_are_allowed(client):
    response = client.get("/api/v1/events")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert error_of(response)["code"] == "method_not_allowed"


# --- malformed Alexa envelopes with verification off ---------------------------------------

def _alexa(demo: dict[str, Any], clock: Any, **changes: Any) -> dict[str, Any]:
    body = envelope(skill_id=demo["skill_ids"]["alexa"], user_id=demo["voice_users"]["alexa"],
                    intent="ShareProgram", now=clock())
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = body
        for key in parents:
            target = target[key]
        if value is None:
            target.pop(last)
        else:
            target[last] = value
    return body


@pytest.mark.parametrize("changes", [
    {"request__timestamp": 5},                  # the SDK's SerializationException
    {"request__type": "NoSuchRequest"},
    {"request__intent": None},                  # an IntentRequest without its intent
    {"session": None},                          # an in-session request without a session
    {"context": [1]},
    {"session__application": "app"},
    {"context__System": {"application": 5}},
    {"session__attributes": [1, 2]},
])
def test_a_malformed_alexa_envelope_is_a_400_with_verification_off(open_client, demo, clock,
                                                                   changes):
    body = _alexa(demo, clock, **changes)
    response = open_client.post("/alexa/demo", data=json.dumps(body),
                                content_type="application/json")
    refused(response, 400, "not_an_alexa_request")


def test_a_well_formed_envelope_is_still_answered_with_verification_off(open_client, demo,
                                                                        clock):
    response = open_client.post("/alexa/demo", data=json.dumps(_alexa(demo, clock)),
                                content_type="application/json")
    assert response.status_code == 200
    # the share's answer (the code first, then what was sent; the terms go in the message)
    assert "Your code is" in response.get_json()["response"]["outputSpeech"]["ssml"]


# --- refunds --------------------------------------------------------------------------------

@pytest.fixture
def ordered(client, demo, clock) -> ShopBackend:  # type: ignore[no-untyped-def]
    shop = ShopBackend(client, demo["webhook_secret"], clock)
    shop.signup("f1", demo["code"], email="f1@example.org")
    assert shop.order("f1", "o-1", 5000).status_code == 200
    return shop


def test_a_second_refund_past_the_order_amount_is_a_422(ordered, services):
    assert ordered.refund("o-1", 5000).get_json()["result"]["reversed"] == 2
    response = ordered.refund("o-1", 5000)
    refused(response, 422, "refund_exceeds_order")
    assert error_of(response)["details"]["fields"] == ["amount"]
    with services.db.session() as session:
        assert session.scalar(select(Conversion.refunded_amount)) == 5000


def test_one_refund_larger_than_the_order_is_a_422_and_reverses_nothing(ordered, services):
    refused(ordered.refund("o-1", 10_000), 422, "refund_exceeds_order")
    with services.db.session() as session:
        assert session.scalar(select(Conversion.refunded_amount)) == 0
    assert ordered.refund("o-1", 3000).get_json()["result"]["reason"] == \
        "order_still_qualifies"
    refused(ordered.refund("o-1", 2001), 422, "refund_exceeds_order")
    assert ordered.refund("o-1", 2000).get_json()["result"]["reversed"] == 2


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_a_deep_body_to_salute_is_a_400_before_its_token_is_checked(client, content_type):
    """Salute's webhook reads its body as JSON whatever the Content-Type says, like the
    others: without its surface a text/plain body skipped the edge and recursed to a 500."""
    refused(client.post("/salute/demo/any-token", data=DEEP, content_type=content_type),
            400, "too_deep")
