"""The webhook's ask SDK serializer (reflection done once per type) reads every envelope into
the same model objects as the SDK's DefaultSerializer, refuses what it refuses with the same
exception, and writes responses to the same JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.response_helper import ResponseFactory
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope, ResponseEnvelope
from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective
from ask_sdk_model.ui import AskForPermissionsConsentCard, SimpleCard

from tests.support.alexa import envelope
from tests.test_alexa_samples import SAMPLES, as_envelope
from voice.platforms.alexa.serializer import ModelSerializer

SHARE = envelope(skill_id="amzn1.ask.skill.x", user_id="amzn1.ask.account.A",
                 intent="ShareProgram", now=datetime(2026, 12, 1, 22, 50, 42, 123456, UTC))


def _odd_envelopes() -> list[dict[str, Any]]:
    """Fields of another JSON type than the model's, unknown keys, nulls, other times."""
    odd = []
    for change in (
        lambda e: e["request"].update(timestamp="2019-07-15T22:44:23+02:00"),
        lambda e: e["request"].update(timestamp="15 July 2019"),
        lambda e: e["request"].update(timestamp="not a time"),
        lambda e: e["request"].update(type="NoSuchRequest"),
        lambda e: e["request"].pop("type"),
        lambda e: e.update(session=["a", "list"]),
        lambda e: e["session"].update(new="yes"),
        lambda e: e["session"].update(attributes=None),
        lambda e: e["context"]["System"].update(apiAccessToken=7),
        lambda e: e["request"].update(locale=None, unknownField={"x": [1, 2]}),
        lambda e: e["request"]["intent"].update(slots={"channel": {"name": "channel",
                                                                    "value": 5}}),
        lambda e: e["request"]["intent"].update(confirmationStatus="MAYBE"),
        lambda e: e["request"]["intent"].update(slots=[]),
    ):
        copy = json.loads(json.dumps(SHARE))
        change(copy)
        odd.append(copy)
    return odd


BODIES = [json.dumps(as_envelope(p)) for p in SAMPLES] + [json.dumps(SHARE)] + [
    json.dumps(e) for e in _odd_envelopes()] + ["[]", "{}", "null", '"x"', "{not json"]


def _read(serializer: DefaultSerializer, body: str) -> tuple[str, Any]:
    try:
        return "ok", serializer.deserialize(body, RequestEnvelope)
    except SerializationException as exc:
        return "refused", str(exc)


@pytest.mark.parametrize("body", BODIES, ids=[str(i) for i in range(len(BODIES))])
def test_an_envelope_reads_as_the_sdks_default_serializer_reads_it(body: str):
    assert _read(ModelSerializer(), body) == _read(DefaultSerializer(), body)


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_an_envelope_parsed_once_reads_as_its_text_does(path: Path):
    data = as_envelope(path)
    fast = ModelSerializer()
    assert fast.deserialize_parsed(data, RequestEnvelope) == DefaultSerializer().deserialize(
        json.dumps(data), RequestEnvelope)


def test_a_response_writes_as_the_sdks_default_serializer_writes_it():
    factory = ResponseFactory()
    factory.speak("<b>hi</b>").ask("again?").set_card(SimpleCard(title="t", content="c"))
    factory.add_directive(RenderDocumentDirective(token="qr", document={"type": "APL"},
                                                  datasources={"data": {"n": [1, 2.5]}}))
    factory.set_should_end_session(False)
    with_permissions = ResponseFactory()
    with_permissions.set_card(AskForPermissionsConsentCard(permissions=["a", "b"]))
    for response in (factory.response, with_permissions.response):
        out = ResponseEnvelope(response=response, version="1.0", user_agent="u",
                               session_attributes={"dialog": {"last": [["say", "x"]]}})
        assert ModelSerializer().serialize(out) == DefaultSerializer().serialize(out)
