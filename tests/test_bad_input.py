"""Whatever arrives at a webhook, the answer is a response with a reason or a spoken
apology, never a 500: arbitrary JSON thrown at every endpoint (verification off so the body
reaches the parsers), and damaged versions of real requests with verification on (signed
like the platform signs them, so they get past verification) and off."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.services import Services
from core.webhook_signing import HEADER, sign_header
from fulfillment.app import create_app
from fulfillment.simulator.sandbox_keys import sandbox_keys
from tests.support.alexa import envelope
from tests.support.damaged import bodies, json_values

FIXTURES = [HealthCheck.function_scoped_fixture]  # one client for all examples is the point
ENDPOINTS = ["/alexa/demo", "/dialogflow/demo", "/alice/demo", "/api/v1/events"]


@pytest.fixture
def open_client(services: Services, demo):  # type: ignore[no-untyped-def]
    unverified = dataclasses.replace(
        services, settings=services.settings.with_(verify_requests=False))
    return create_app(services=unverified).test_client()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES)
@given(body=json_values)
def test_arbitrary_json_never_gets_a_500(open_client, endpoint: str, body: Any):
    response = open_client.post(endpoint, data=json.dumps(body), content_type="application/json")
    assert response.status_code < 500, response.get_data(as_text=True)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe", b"null", b"[]", b'"text"', b"0"])
def test_unreadable_bodies_are_a_4xx(open_client, endpoint: str, raw: bytes):
    response = open_client.post(endpoint, data=raw, content_type="application/json")
    assert 400 <= response.status_code < 500


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES)
@given(slots=st.dictionaries(st.sampled_from(["phone", "email", "channel", "pin"]),
                             # NUL and lone surrogates are refused at the edge
                             # (tests/test_input_limits.py)
                             st.text(st.characters(exclude_characters="\x00",
                                                   exclude_categories=("Cs",)), max_size=40),
                             max_size=3),
       intent=st.sampled_from(["ShareProgram", "SendInvite", "ProvideContact", "ProvideCode",
                               "AMAZON.YesIntent", "NoSuchIntent"]))
def test_any_slot_value_gets_an_answer_not_an_error(open_client, demo, clock, slots, intent):
    body = envelope(skill_id=demo["skill_ids"]["alexa"], user_id=demo["voice_users"]["alexa"],
                    intent=intent, slots=slots, now=clock())
    response = open_client.post("/alexa/demo", data=json.dumps(body),
                                content_type="application/json")
    assert response.status_code == 200, (slots, response.get_json())
    assert response.get_json()["response"]["outputSpeech"]["ssml"].startswith("<speak>")


def real_requests(demo: dict[str, Any], now: Any) -> dict[str, dict[str, Any]]:
    """One genuine-looking request per webhook, each reaching the dialog or the ledger."""
    return {
        "/alexa/demo": envelope(skill_id=demo["skill_ids"]["alexa"],
                                user_id=demo["voice_users"]["alexa"], intent="SendInvite",
                                slots={"phone": "+15555550123"}, now=now),
        "/dialogflow/demo": {
            "responseId": "r1", "session": "projects/p/agent/sessions/s1",
            "queryResult": {"queryText": "share", "languageCode": "en",
                            "intent": {"displayName": "ShareProgram"},
                            "parameters": {"phone": "+15555550123"}},
            "originalDetectIntentRequest": {"payload": {"userId": demo["voice_users"]["google"]}}},
        "/alice/demo": {
            "meta": {"locale": "ru-RU", "timezone": "Europe/Moscow", "client_id": "test",
                     "interfaces": {"screen": {}}},
            "session": {"message_id": 1, "session_id": "s1", "new": False,
                        "skill_id": demo["skill_ids"]["alice"],
                        "application": {"application_id": "app-1"},
                        "user": {"user_id": demo["voice_users"]["alice"]}},
            "request": {"command": "поделиться", "original_utterance": "поделиться",
                        "type": "SimpleUtterance",
                        "nlu": {"tokens": ["поделиться"], "entities": [], "intents": {}}},
            "state": {"session": {}, "user": {}, "application": {}}, "version": "1.0"},
        "/api/v1/events": {
            "id": "evt-1", "type": "customer.signup", "shop": "demo", "ref": demo["code"],
            "customer": {"id": "c1", "name": "Kim", "email": "kim@example.org",
                         "phone": "+4930901820"}},
    }


def _credentials(endpoint: str, raw: bytes, demo: dict[str, Any], services: Services,
                 clock: Any) -> dict[str, str]:
    """What the platform (or the shop) would send with these bytes."""
    if endpoint == "/api/v1/events":
        return {HEADER: sign_header([demo["webhook_secret"]], int(clock().timestamp()), raw)}
    if endpoint == "/alexa/demo":
        keys = sandbox_keys(services)
        assert keys is not None
        return keys.alexa_headers(raw)
    if endpoint == "/dialogflow/demo":
        return {demo["dialogflow"]["es_header"]: demo["dialogflow"]["es_secret"]}
    return {}  # Alice: the skill id travels in the body


@pytest.fixture(params=["verified", "unverified"])
def webhook_client(request, services: Services, demo):  # type: ignore[no-untyped-def]
    verify = request.param == "verified"
    chosen = dataclasses.replace(services, settings=services.settings.with_(verify_requests=verify))
    app = create_app(services=chosen)
    app.config["TESTING"] = True
    return app.test_client()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_damaged_real_requests_never_get_a_500(webhook_client, services, demo, clock,
                                               endpoint: str):
    base = real_requests(demo, clock())[endpoint]
    answered: list[int] = []

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=bodies(base))
    def post(body: Any) -> None:
        if endpoint == "/api/v1/events" and isinstance(body, dict):
            body = {**body, "id": f"evt-{len(answered)}"}  # a new event, not a replay
        raw = json.dumps(body).encode()
        response = webhook_client.post(endpoint, data=raw, headers={
            **_credentials(endpoint, raw, demo, services, clock),
            "Content-Type": "application/json"})
        answered.append(response.status_code)
        assert response.status_code < 500, (body, response.get_data(as_text=True))

    post()
    assert any(status == 200 for status in answered)  # the damage did not stop everything
