"""The simulator's Alexa requests: a genuine request envelope, signed by the sandbox's keys,
and what a person would hear and see in the answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from voice import model as language_model
from voice.simulation.requests import Answer, Conversation, Utterance, link_in, plain
from voice.turn import LAUNCH, Turn


def build(conv: Conversation, said: Utterance, now: datetime) -> dict[str, Any]:
    application = {"applicationId": conv.skill_id}
    user = {"userId": conv.user_id}
    request: dict[str, Any] = {
        "type": "LaunchRequest" if said.intent == LAUNCH else "IntentRequest",
        "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
        "timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "locale": conv.locale}
    if said.intent != LAUNCH:
        lm = language_model.load()
        intent = lm.intents.get(said.intent)
        name = intent.name_on("alexa") if intent else said.intent
        request["intent"] = {"name": name, "confirmationStatus": "NONE", "slots": {
            k: {"name": k, "value": v, "confirmationStatus": "NONE"}
            for k, v in said.slots.items()}}
    interfaces = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}} \
        if conv.screen else {}
    return {"version": "1.0",
            "session": {"new": conv.turns == 0,
                        "sessionId": f"amzn1.echo-api.session.{conv.session_id}",
                        "application": application, "user": user,
                        "attributes": conv.state or {}},
            "context": {"System": {"application": application, "user": user,
                                   "device": {"deviceId": "amzn1.ask.device.console",
                                              "supportedInterfaces": interfaces},
                                   "apiEndpoint": "https://api.amazonalexa.com"}},
            "request": request}


def read(conv: Conversation, response: dict[str, Any]) -> Answer:
    """What a person hears and sees; keeps the session attributes for the next turn."""
    r = response.get("response", {})
    ssml = (r.get("outputSpeech") or {}).get("ssml", "")
    conv.state = response.get("sessionAttributes") or {}
    card = r.get("card")
    directives = r.get("directives") or []
    image = next((d["datasources"]["data"]["qr"] for d in directives
                  if d.get("type", "").endswith("RenderDocument")), None)
    if image is None and card and card.get("image"):
        image = card["image"].get("largeImageUrl")
    return Answer(plain(ssml), ssml, bool(r.get("shouldEndSession")), card, image,
                  link_in((card or {}).get("content") or (card or {}).get("text") or ""))


def headers(conv: Conversation, raw: bytes, keys: Any, services: Any) -> dict[str, str]:
    """Signed as Amazon signs: the sandbox's certificate chain (fulfillment.simulator)."""
    return dict(keys.alexa_headers(raw))


def understood(body: dict[str, Any], shop: str, locale: str) -> Turn:
    """The Turn the adapter makes of this request, without a webhook (nlu-eval)."""
    import json

    from ask_sdk_core.attributes_manager import AttributesManager
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_model import RequestEnvelope

    from voice.platforms.alexa import adapter

    envelope = DefaultSerializer().deserialize(json.dumps(body), RequestEnvelope)
    handler_input = HandlerInput(request_envelope=envelope,
                                 attributes_manager=AttributesManager(envelope))
    return adapter.to_turn(handler_input, shop)
