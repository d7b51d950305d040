"""Exports carry the same knowledge the webhook reads back: for every intent with slots, a
request built with exactly the parameter names the platform's export declares reaches the
dialog with the slot filled (the Dialogflow agents name the phone `phone`; a webhook that
only read `phone-number` dropped it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ask_sdk_core.attributes_manager import AttributesManager
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from voice import model as language_model
from voice.exports import ShopVoiceInfo
from voice.platforms.alexa import adapter as alexa
from voice.platforms.alexa import export as alexa_export
from voice.platforms.alice import adapter as alice
from voice.platforms.alice import export as alice_export
from voice.platforms.dialogflow import adapter as dialogflow
from voice.platforms.dialogflow import export_cx as dialogflow_cx
from voice.platforms.dialogflow import export_es as dialogflow_es

SHOP = ShopVoiceInfo(slug="demo", name="Demo Shop", base_url="https://refer.test",
                     invocation_names={"en": "demo shop", "ru": "магазин демо"},
                     skill_ids={"alice": "skill-1"})
# What each platform's NLU hands over for a slot type (as the speaker said it).
SAID = {"PHONE": "415 555 0199", "EMAIL": "pat@example.org", "CHANNEL": "sms",
        "NUMBER": "482917", "WEEKDAY": "friday"}
WANT = {"PHONE": "415 555 0199", "EMAIL": "pat@example.org", "CHANNEL": "sms",
        "NUMBER": "482917", "WEEKDAY": "friday"}


def _slot_intents() -> list[str]:
    return [name for name, intent in language_model.load().intents.items() if intent.slots]


def _neutral(intent: str, declared: str) -> str:
    """The neutral slot a declared parameter is meant to fill (its slot type)."""
    return language_model.load().intents[intent].slots[declared]


@pytest.mark.parametrize("intent", _slot_intents())
def test_dialogflow_es_parameters_the_agent_declares_arrive_as_slots(intent: str):
    files = dialogflow_es.agent_files(SHOP)
    declared = [p["name"] for p in files[f"intents/{intent}.json"]["responses"][0]["parameters"]]
    assert declared
    for parameter in declared:
        slot_type = _neutral(intent, parameter)
        body = {"responseId": "r", "session": "projects/p/agent/sessions/s",
                "queryResult": {"queryText": "x", "languageCode": "en",
                                "parameters": {parameter: SAID[slot_type]},
                                "intent": {"displayName": intent}}}
        turn = dialogflow.to_turn(body, "demo")
        assert (turn.intent, turn.slots.get(parameter)) == (intent, WANT[slot_type]), parameter


@pytest.mark.parametrize("intent", _slot_intents())
def test_dialogflow_cx_parameters_the_agent_declares_arrive_as_slots(intent: str):
    files = dialogflow_cx.agent_files(SHOP)
    declared = [p["id"] for p in files[f"intents/{intent}/{intent}.json"]["parameters"]]
    phrases = files[f"intents/{intent}/trainingPhrases/en.json"]["trainingPhrases"]
    annotated = {part["parameterId"] for phrase in phrases for part in phrase["parts"]
                 if "parameterId" in part}
    assert annotated <= set(declared)
    for parameter in declared:
        slot_type = _neutral(intent, parameter)
        body = {"detectIntentResponseId": "r", "languageCode": "en",
                "fulfillmentInfo": {"tag": intent},
                "intentInfo": {"displayName": intent, "parameters": {
                    parameter: {"originalValue": SAID[slot_type],
                                "resolvedValue": SAID[slot_type]}}},
                "sessionInfo": {"session": "projects/p/locations/l/agents/a/sessions/s",
                                "parameters": {}}}
        turn = dialogflow.to_turn(body, "demo")
        assert (turn.intent, turn.slots.get(parameter)) == (intent, WANT[slot_type]), parameter


@pytest.mark.parametrize("intent", [i for i in _slot_intents()
                                    if language_model.load().intents[i].on("alexa")])
def test_alexa_slots_the_interaction_model_declares_arrive_as_slots(intent: str):
    model = alexa_export.interaction_model("en-US", "demo shop")
    [entry] = [i for i in model["interactionModel"]["languageModel"]["intents"]
               if i["name"] == intent]
    declared = [s["name"] for s in entry["slots"]]
    assert all(set(language_model.slots_in(s)) <= set(declared) for s in entry["samples"])
    for parameter in declared:
        slot_type = _neutral(intent, parameter)
        body = {"version": "1.0",
                "session": {"new": False, "sessionId": "s", "application": {"applicationId": "a"},
                            "user": {"userId": "u"}, "attributes": {}},
                "context": {"System": {"application": {"applicationId": "a"},
                                       "user": {"userId": "u"}, "device": {
                                           "supportedInterfaces": {}}}},
                "request": {"type": "IntentRequest", "requestId": "r", "locale": "en-US",
                            "timestamp": "2026-01-01T00:00:00Z",
                            "intent": {"name": intent, "confirmationStatus": "NONE",
                                       "slots": {parameter: {"name": parameter,
                                                             "value": SAID[slot_type]}}}}}
        envelope = DefaultSerializer().deserialize(json.dumps(body), RequestEnvelope)
        handler_input = HandlerInput(request_envelope=envelope,
                                     attributes_manager=AttributesManager(envelope))
        turn = alexa.to_turn(handler_input, "demo")  # no call context: no profile lookup
        assert (turn.intent, turn.slots.get(parameter)) == (intent, WANT[slot_type]), parameter


@pytest.mark.parametrize("intent", [i for i in _slot_intents()
                                    if language_model.load().intents[i].on("alice")])
def test_alice_grammar_slots_arrive_as_slots(intent: str, tmp_path: Path):
    grammar = alice_export.grammar(intent)
    declared = [line.strip()[:-1] for line in grammar.split("slots:\n", 1)[1].splitlines()
                if line.startswith("    ") and not line.startswith("        ")
                and line.strip().endswith(":")]
    assert set(declared) == set(language_model.load().intents[intent].slots)
    for parameter in declared:
        slot_type = _neutral(intent, parameter)
        body = {"meta": {"locale": "ru-RU", "interfaces": {}},
                "session": {"message_id": 1, "session_id": "s", "new": False,
                            "user": {"user_id": "u"}},
                "request": {"command": "x", "original_utterance": "x",
                            "type": "SimpleUtterance",
                            "nlu": {"tokens": [], "entities": [], "intents": {intent: {
                                "slots": {parameter: {"type": "YANDEX.STRING",
                                                      "value": SAID[slot_type]}}}}}},
                "state": {"session": {}}, "version": "1.0"}
        turn = alice.to_turn(body, "demo")
        assert (turn.intent, turn.slots.get(parameter)) == (intent, WANT[slot_type]), parameter
