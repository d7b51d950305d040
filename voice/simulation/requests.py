"""Genuine platform requests built from a neutral description, and the facts read back from
the platform's answer. Used by `simulate`, the console and the YAML conversation tests, so
all of them exercise the same webhook code the assistants call."""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from voice import model as language_model
from voice.turn import LAUNCH

PLATFORMS = ("alexa", "dialogflow-es", "dialogflow-cx", "alice")
ENDPOINTS = {"alexa": "/alexa/{shop}", "dialogflow-es": "/dialogflow/{shop}",
             "dialogflow-cx": "/dialogflow/{shop}", "alice": "/alice/{shop}"}
ALICE_BUILTINS = {"Help": "YANDEX.HELP", "WhatCanYouDo": "YANDEX.WHAT_CAN_YOU_DO",
                  "Yes": "YANDEX.CONFIRM", "No": "YANDEX.REJECT", "Repeat": "YANDEX.REPEAT"}


@dataclass
class Utterance:
    """What the person said and what the assistant's own NLU would have made of it."""

    text: str
    intent: str
    slots: dict[str, str] = field(default_factory=dict)


@dataclass
class Conversation:
    platform: str
    shop: str
    locale: str
    user_id: str
    skill_id: str = ""
    screen: bool = False
    session_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: Any = None  # what the platform carries: attributes / context / parameters
    turns: int = 0


def build(conv: Conversation, said: Utterance, now: datetime) -> dict[str, Any]:
    builder = {"alexa": _alexa, "dialogflow-es": _es, "dialogflow-cx": _cx,
               "alice": _alice}[conv.platform]
    body = builder(conv, said, now)
    conv.turns += 1
    return body


def _alexa(conv: Conversation, said: Utterance, now: datetime) -> dict[str, Any]:
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


def _alice(conv: Conversation, said: Utterance, now: datetime) -> dict[str, Any]:
    tokens = re.findall(r"\w+", said.text.lower())
    intents: dict[str, Any] = {}
    if said.intent in ALICE_BUILTINS:
        intents[ALICE_BUILTINS[said.intent]] = {"slots": {}}
    elif said.intent != LAUNCH:
        intents[said.intent] = {"slots": {k: {"type": "YANDEX.STRING", "value": v}
                                          for k, v in said.slots.items()}}
    interfaces: dict[str, Any] = {"payments": {}, "account_linking": {}}
    if conv.screen:
        interfaces["screen"] = {}
    return {"meta": {"locale": conv.locale, "timezone": "Europe/Moscow",
                     "client_id": "ru.yandex.searchplugin/7.16 (console)",
                     "interfaces": interfaces},
            "session": {"message_id": conv.turns, "session_id": conv.session_id,
                        "skill_id": conv.skill_id, "user": {"user_id": conv.user_id},
                        "application": {"application_id": f"app-{conv.user_id}"},
                        "new": conv.turns == 0},
            "request": {"command": "" if said.intent == LAUNCH else said.text.lower(),
                        "original_utterance": "" if said.intent == LAUNCH else said.text,
                        "type": "SimpleUtterance", "markup": {"dangerous_context": False},
                        "nlu": {"tokens": tokens, "entities": [], "intents": intents}},
            "state": {"session": conv.state or {}, "user": {}, "application": {}},
            "version": "1.0"}


# --- reading the answer back ------------------------------------------------------------

@dataclass
class Answer:
    speech: str  # what a person hears, as text
    markup: str  # SSML (Alexa, Dialogflow) or Alice TTS
    end_session: bool
    card: dict[str, Any] | None
    image: str | None
    link: str | None


def read(conv: Conversation, response: dict[str, Any]) -> Answer:
    """Also stores what the platform would carry into the next turn."""
    if conv.platform == "alexa":
        r = response.get("response", {})
        ssml = (r.get("outputSpeech") or {}).get("ssml", "")
        conv.state = response.get("sessionAttributes") or {}
        card = r.get("card")
        directives = r.get("directives") or []
        image = next((d["datasources"]["data"]["qr"] for d in directives
                      if d.get("type", "").endswith("RenderDocument")), None)
        if image is None and card and card.get("image"):
            image = card["image"].get("largeImageUrl")
        return Answer(_plain(ssml), ssml, bool(r.get("shouldEndSession")), card, image,
                      _link_in((card or {}).get("content") or (card or {}).get("text") or ""))
    if conv.platform == "dialogflow-es":
        conv.state = response.get("outputContexts") or []
        card = next((m["card"] for m in response.get("fulfillmentMessages", []) if "card" in m),
                    None)
        extra = (response.get("payload") or {}).get("referrals") or {}
        return Answer(response.get("fulfillmentText", ""), extra.get("ssml", ""),
                      bool(extra.get("endSession")), card, (card or {}).get("imageUri"),
                      extra.get("link"))
    if conv.platform == "dialogflow-cx":
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
    r = response.get("response", {})
    conv.state = response.get("session_state") or {}
    buttons = r.get("buttons") or []
    return Answer(r.get("text", ""), r.get("tts", ""), bool(r.get("end_session")),
                  r.get("card"), None, next((b.get("url") for b in buttons), None))


def _plain(ssml: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", " ", ssml)).replace("\xa0", " ")
    return re.sub(r"\s+([,.!?])", r"\1", " ".join(text.split()))


def _link_in(text: str) -> str | None:
    match = re.search(r"https?://\S+", text)
    return match.group(0) if match else None
