"""Google's own Dialogflow ES v2 and CX v3 webhook request samples (tests/fixtures/protocol-samples)
are read by the adapter and answered through the real endpoint without an error: unknown
intents get the fallback, a welcome gets the launch prompt, fragments still parse."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from core.services import Services
from fulfillment.app import create_app
from tests.conftest import PROTOCOL_SAMPLES
from voice.platforms.dialogflow import adapter as dialogflow
from voice.turn import LAUNCH, Reply, Speech

SAMPLES = PROTOCOL_SAMPLES / "dialogflow"
REQUESTS = sorted(SAMPLES.glob("*_request*.json"))


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def test_the_samples_are_there():
    assert len(REQUESTS) >= 5, REQUESTS


@pytest.mark.parametrize("path", REQUESTS, ids=lambda p: p.stem)
def test_each_sample_becomes_a_turn_and_a_response_of_its_own_kind(path: Path):
    body = load(path)
    turn = dialogflow.to_turn(body, "demo")
    kind = "es" if path.name.startswith("es_") else "cx"
    assert turn.platform["kind"] == kind and turn.assistant == "google"
    assert turn.locale == "en-US"
    reply = Reply(speech=Speech.of("Hello"), session={"step": "x"})
    out = dialogflow.to_response(reply, turn)
    if kind == "es":
        assert out["fulfillmentText"] == "Hello"
        assert out["fulfillmentMessages"][0] == {"text": {"text": ["Hello"]}}
    else:
        assert out["fulfillmentResponse"]["messages"][0] == {"text": {"text": ["Hello"]}}
        assert json.loads(out["sessionInfo"]["parameters"]["referral_state"]) == {"step": "x"}


def test_what_the_samples_carry_is_read():
    welcome = dialogflow.to_turn(load(SAMPLES / "cx_v3_webhook_request_default_welcome.json"),
                                 "demo")
    assert welcome.intent == LAUNCH and welcome.utterance == "hi"
    assert welcome.voice_user_id == "bd38c7-398-d25-963-7c23a0533"  # the session's last part
    aog = dialogflow.to_turn(load(SAMPLES / "es_v2_webhook_request_actions_on_google.json"),
                             "demo")
    assert aog.voice_user_id == "AI_yXq-AtrRh3mJX5D-G0MsVhqun" and aog.has_screen
    assert aog.intent == "Fallback"  # "Name of Dialogflow Intent" is none of ours
    form = dialogflow.to_turn(
        load(SAMPLES / "cx_v3_webhook_request_fragment_form_parameters.json"), "demo")
    assert form.slots == {"phone": "999999"} and form.intent == "Fallback"


def test_es_state_rides_in_an_output_context_and_comes_back():
    body = load(SAMPLES / "es_v2_webhook_request.json")
    turn = dialogflow.to_turn(body, "demo")
    out = dialogflow.es_response(Reply(speech=Speech.of("ok"), session={"pending": 1}), turn)
    body["queryResult"]["outputContexts"] = out["outputContexts"]
    again = dialogflow.to_turn(body, "demo")
    assert again.session == {"pending": 1} and not again.new_session


@pytest.mark.parametrize("path", REQUESTS, ids=lambda p: p.stem)
def test_each_sample_is_answered_through_the_verified_endpoint(services: Services, demo,
                                                               path: Path):
    client = create_app(services=services).test_client()
    headers = {demo["dialogflow"]["es_header"]: demo["dialogflow"]["es_secret"]}
    response = client.post("/dialogflow/demo", data=path.read_bytes(), headers=headers,
                           content_type="application/json")
    assert response.status_code == 200, response.get_json()
    out = response.get_json()
    if path.name.startswith("es_"):
        assert out["fulfillmentText"]
    else:
        assert out["fulfillmentResponse"]["messages"][0]["text"]["text"][0]


def test_with_verification_off_a_sample_is_answered_without_credentials(services, demo):
    local = dataclasses.replace(services,
                                settings=services.settings.with_(verify_requests=False))
    client = create_app(services=local).test_client()
    response = client.post("/dialogflow/demo",
                           data=(SAMPLES / "es_v2_webhook_request_golang_sample.json")
                           .read_bytes(), content_type="application/json")
    assert response.status_code == 200
    assert "didn't get that" in response.get_json()["fulfillmentText"]


@pytest.mark.parametrize(("body", "reason"), [
    (b"{not json", "not JSON"),
    (b"[1, 2]", "JSON object"),
    (b'{"queryResult": "text"}', "queryResult"),
    (b"\xff\xfe", ""),
])
def test_malformed_bodies_are_a_400_with_the_reason(services, demo, body, reason):
    client = create_app(services=services).test_client()
    headers = {demo["dialogflow"]["es_header"]: demo["dialogflow"]["es_secret"]}
    response = client.post("/dialogflow/demo", data=body, headers=headers,
                           content_type="application/json")
    assert response.status_code == 400
    assert reason in response.get_json()["error"]["message"]


def test_an_unknown_shop_is_a_404(services, demo):
    client = create_app(services=services).test_client()
    response = client.post("/dialogflow/nope", data=(REQUESTS[0]).read_bytes(),
                           content_type="application/json")
    assert response.status_code == 404
