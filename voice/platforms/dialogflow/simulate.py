"""The simulator's Dialogflow requests (ES and CX WebhookRequests), authenticated with an ID
token the sandbox's Google key signed, and what a person would hear and see in the answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from core import simulation
from voice.simulation.requests import Answer, Conversation, Utterance
from voice.turn import LAUNCH, Turn


def _df_intent(said: Utterance) -> str:
    return "Default Welcome Intent" if said.intent == LAUNCH else said.intent


def _es(conv: Conversation, said: Utterance, now: datetime) -> dict[str, Any]:
    session = f"projects/console-agent/agent/sessions/{conv.session_id}"
    contexts = list(conv.state or [])
    return {"responseId": str(uuid.uuid4()), "session": session,
            "queryResult": {"queryText": said.text, "parameters": dict(said.slots),
                            "allRequiredParamsPresent": True,
                            "intent": {"name": f"projects/console-agent/agent/intents/"
                                               f"{said.intent}",
                                       "displayName": _df_intent(said)},
                            "intentDetectionConfidence": 1.0,
                            "languageCode": conv.locale.split("-")[0],
                            "outputContexts": contexts},
            "originalDetectIntentRequest": {"source": "console", "payload": {
                "userId": conv.user_id, "hasScreen": conv.screen}}}


def _cx(conv: Conversation, said: Utterance, now: datetime) -> dict[str, Any]:
    session = (f"projects/console-project/locations/global/agents/console-agent/sessions/"
               f"{conv.session_id}")
    return {"detectIntentResponseId": str(uuid.uuid4()),
            "intentInfo": {"lastMatchedIntent": f"intents/{said.intent}",
                           "displayName": _df_intent(said), "confidence": 1.0,
                           "parameters": {k: {"originalValue": v, "resolvedValue": v}
                                          for k, v in said.slots.items()}},
            "fulfillmentInfo": {"tag": _df_intent(said)},
            "sessionInfo": {"session": session, "parameters": dict(conv.state or {})},
            "text": said.text, "languageCode": conv.locale.lower(),
            "payload": {"userId": conv.user_id, "hasScreen": conv.screen}}


def build(conv: Conversation, said: Utterance, now: datetime) -> dict[str, Any]:
    return (_es if conv.platform == "dialogflow-es" else _cx)(conv, said, now)


def read(conv: Conversation, response: dict[str, Any]) -> Answer:
    """What a person hears and sees; keeps the contexts / parameters for the next turn."""
    if conv.platform == "dialogflow-es":
        conv.state = response.get("outputContexts") or []
        card = next((m["card"] for m in response.get("fulfillmentMessages", []) if "card" in m),
                    None)
        extra = (response.get("payload") or {}).get("referrals") or {}
        return Answer(response.get("fulfillmentText", ""), extra.get("ssml", ""),
                      bool(extra.get("endSession")), card, (card or {}).get("imageUri"),
                      extra.get("link"))
    params = (response.get("sessionInfo") or {}).get("parameters") or {}
    conv.state = params
    messages = (response.get("fulfillmentResponse") or {}).get("messages") or []
    text = " ".join(" ".join(m["text"]["text"]) for m in messages if "text" in m)
    ssml = next((m["outputAudioText"]["ssml"] for m in messages
                 if "outputAudioText" in m), "")
    rich = [item for m in messages if "payload" in m
            for group in m["payload"].get("richContent", []) for item in group]
    image = next((i["rawUrl"] for i in rich if i.get("type") == "image"), None)
    link = next((i["link"] for i in rich if i.get("type") == "button"), None)
    return Answer(text, ssml, bool(params.get("end_session")), {"rich": rich} if rich
                  else None, image, link)


def headers(conv: Conversation, raw: bytes, keys: Any, services: Any) -> dict[str, str]:
    """An ID token for the shop's audience and service agent, as Google's would be."""
    google = simulation.google_audience(services, conv.shop)
    return {"Authorization": "Bearer " + keys.google_id_token(google.audience,
                                                              google.service_agent)}


def understood(body: dict[str, Any], shop: str, locale: str) -> Turn:
    """The Turn the adapter makes of this request, without a webhook (nlu-eval)."""
    from voice.platforms.dialogflow import adapter

    return adapter.to_turn(body, shop, locale)
