"""Every public Alexa request sample parses and gets an answer without an error: unknown
intents fall back, SessionEndedRequest with an error object and System.ExceptionEncountered
get no speech, unknown fields are ignored."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from core.clock import FrozenClock
from core.services import Services
from fulfillment.app import create_app
from tests.conftest import PROTOCOL_SAMPLES

SAMPLES = sorted((PROTOCOL_SAMPLES / "alexa").glob("*.json"))


def as_envelope(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    if "request" in data:
        return data
    # `*.request_object.json` holds only the request object: give it the usual envelope.
    return {"version": "1.0",
            "session": {"new": False, "sessionId": "s", "application": {"applicationId": "x"},
                        "user": {"userId": "amzn1.ask.account.sample"}},
            "context": {"System": {"application": {"applicationId": "x"},
                                   "user": {"userId": "amzn1.ask.account.sample"},
                                   "device": {"supportedInterfaces": {}}}},
            "request": data}


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_every_sample_parses_with_the_sdk(path: Path):
    envelope = DefaultSerializer().deserialize(json.dumps(as_envelope(path)), RequestEnvelope)
    assert envelope.request.object_type


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_every_sample_is_answered_without_an_error(path: Path, services: Services, demo):
    unverified = dataclasses.replace(
        services, settings=services.settings.with_(verify_requests=False))
    raw = as_envelope(path)["request"].get("timestamp", "2019-07-15T22:44:23Z")
    unverified.clock = FrozenClock(datetime.fromisoformat(raw.replace("Z", "+00:00"))
                                   .astimezone(UTC))
    client = create_app(services=unverified).test_client()
    response = client.post("/alexa/demo", data=json.dumps(as_envelope(path)),
                           content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    kind = as_envelope(path)["request"]["type"]
    if kind in ("LaunchRequest", "IntentRequest"):
        assert body["response"]["outputSpeech"]["ssml"].startswith("<speak>")
    else:  # session end, exceptions, Dialog.API and other requests: acknowledged silently
        assert "outputSpeech" not in body["response"]
