"""The simulator's Alice requests (Yandex Dialogs), naming the shop's skill id, and what a
person would hear and see in the answer."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from voice.simulation.requests import Answer, Conversation, Utterance
from voice.turn import LAUNCH, Turn

BUILTINS = {"Help": "YANDEX.HELP", "WhatCanYouDo": "YANDEX.WHAT_CAN_YOU_DO",
            "Yes": "YANDEX.CONFIRM", "No": "YANDEX.REJECT", "Repeat": "YANDEX.REPEAT"}


def build(conv: Conversation, said: Utterance, now: datetime) -> dict[str, Any]:
    tokens = re.findall(r"\w+", said.text.lower())
    intents: dict[str, Any] = {}
    if said.intent in BUILTINS:
        intents[BUILTINS[said.intent]] = {"slots": {}}
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


def read(conv: Conversation, response: dict[str, Any]) -> Answer:
    """What a person hears and sees; keeps the session state for the next turn."""
    r = response.get("response", {})
    conv.state = response.get("session_state") or {}
    buttons = r.get("buttons") or []
    return Answer(r.get("text", ""), r.get("tts", ""), bool(r.get("end_session")),
                  r.get("card"), None, next((b.get("url") for b in buttons), None))


def headers(conv: Conversation, raw: bytes, keys: Any, services: Any) -> dict[str, str]:
    """Alice signs nothing: the skill id in the body is the check."""
    return {}


def understood(body: dict[str, Any], shop: str, locale: str) -> Turn:
    """Alice before the shop's grammars match: no intents from Yandex, so the adapter asks
    the local NLU about `command` (lower-cased, as Yandex sends it). Without a webhook."""
    from voice.platforms.alice import adapter

    body["request"]["nlu"]["intents"] = {}
    return adapter.to_turn(body, shop)
