"""Whatever arrives at a webhook, the answer is a response with a reason or a spoken
apology, never a 500: arbitrary JSON thrown at every endpoint (verification off so the body
reaches the parsers), plus damaged versions of real requests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.services import Services
from fulfillment.app import create_app
from tests.support.alexa import envelope

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["request", "session", "type", "intent", "queryResult", "command",
                         "meta", "state", "sessionInfo", "fulfillmentInfo", "shop", "id",
                         "customer", "order_id", "amount", "name", "slots", "nlu"]) | st.text(
            max_size=8), children, max_size=5),
    max_leaves=20)

FIXTURES = [HealthCheck.function_scoped_fixture]  # one client for all examples is the point
ENDPOINTS = ["/alexa/demo", "/dialogflow/demo", "/alice/demo", "/api/v1/events"]


@pytest.fixture
def open_client(services: Services, demo):  # type: ignore[no-untyped-def]
    unverified = Services(**{**services.__dict__,
                             "settings": services.settings.with_(verify_requests=False)})
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
                             # NUL is refused at the edge (tests/test_input_limits.py)
                             st.text(st.characters(exclude_characters="\x00"), max_size=40),
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
