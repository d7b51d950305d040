"""The simulator's Salute requests (SmartApp API, shaped as the example on
developers.sber.ru/docs/ru/va/api/smartapp-api-requests), naming the shop's project id, and
what a person would hear and see in the answer. The character is Афина (female, «вы»), the
voice the Russian catalog speaks in; a screen means a SberBox, no screen a SberBoom."""

from __future__ import annotations

import re
import uuid as uuids
from datetime import datetime
from typing import Any

from voice.simulation.requests import Answer, Conversation, Utterance, plain
from voice.turn import LAUNCH, Turn

SBERBOX = {"platformType": "android", "platformVersion": "9", "surface": "SBERBOX",
           "surfaceVersion": "1.54.20200708131247", "deviceId": "SIM-SBERBOX",
           "deviceManufacturer": "SberDevices", "deviceModel": "sberbox",
           "features": {"appTypes": ["APK", "WEB_APP", "DIALOG", "CHAT_APP"]},
           "capabilities": {"screen": {"available": True, "width": 1920, "height": 1080},
                            "mic": {"available": True}, "speak": {"available": True}},
           "additionalInfo": {}}
SBERBOOM = {"platformType": "android", "platformVersion": "9", "surface": "SBERBOOM",
            "surfaceVersion": "24.10.1", "deviceId": "SIM-SBERBOOM",
            "deviceManufacturer": "SberDevices", "deviceModel": "sberboom",
            "features": {"appTypes": ["DIALOG", "CHAT_APP"]},
            "capabilities": {"screen": {"available": False}, "mic": {"available": True},
                             "speak": {"available": True}},
            "additionalInfo": {}}
ATHENA = {"id": "athena", "name": "Афина", "gender": "female", "appeal": "official"}


def build(conv: Conversation, said: Utterance, now: datetime) -> dict[str, Any]:
    launch = said.intent == LAUNCH
    payload: dict[str, Any] = {
        "app_info": {"projectId": conv.skill_id, "applicationId": str(uuids.uuid4()),
                     "appversionId": str(uuids.uuid4()), "frontendType": "CHAT_APP"},
        "projectName": "Рекомендуй друзьям",
        "intent": "run_app" if launch else "scenario",
        "original_intent": "run_app" if launch else "scenario",
        "intent_meta": {}, "new_session": conv.turns == 0,
        "meta": {"time": {"timezone_id": "Europe/Moscow", "timezone_offset_sec": 10800,
                          "timestamp": int(now.timestamp() * 1_000_000)},
                 "features": {"screen": {"enabled": conv.screen}}},
        "device": SBERBOX if conv.screen else SBERBOOM, "character": ATHENA,
        "selected_item": {}}
    if launch:
        payload["server_action"] = {"action_id": "run_app", "parameters": {}}
    else:
        payload["message"] = {"original_text": said.text,
                              "normalized_text": " ".join(re.findall(r"\w+",
                                                                     said.text.lower())),
                              "asr_normalized_message": None, "entities": {},
                              "tokenized_elements_list": []}
    return {"messageName": "RUN_APP" if launch else "MESSAGE_TO_SKILL",
            "sessionId": conv.session_id, "messageId": 1_615_272_218_988_870_000 + conv.turns,
            "uuid": {"userChannel": "B2C", "sub": conv.user_id, "userId": conv.user_id},
            "payload": payload}


def read(conv: Conversation, response: dict[str, Any]) -> Answer:
    """What a person hears and sees (the dialog state stays on our side)."""
    payload = response.get("payload") or {}
    items = payload.get("items") or []
    card = next((i["card"] for i in items if "card" in i), None)
    image = next((c["content"]["url"] for c in (card or {}).get("cells", [])
                  if c.get("type") == "image_cell_view"), None)
    bubbles = " ".join(i["bubble"]["text"] for i in items if "bubble" in i)
    link = re.search(r"https?://\S+", bubbles)
    ssml = payload.get("pronounceText", "")
    return Answer(heard(ssml), ssml, bool(payload.get("finished")), card, image,
                  link.group(0) if link else None)


def heard(ssml: str) -> str:
    """The speech as text, a code's digits (said one by one) written as a screen shows them."""
    joined = re.sub(r"(?<!\d)\d(?: \d(?!\d))+", lambda m: m.group(0).replace(" ", ""), ssml)
    return plain(joined)


def headers(conv: Conversation, raw: bytes, keys: Any, services: Any) -> dict[str, str]:
    """Salute signs nothing: the URL's token and the project id are the check."""
    return {}


def understood(body: dict[str, Any], shop: str, locale: str) -> Turn:
    """The Turn the webhook would make (our NLU reads `original_text`)."""
    from voice.platforms.salute import adapter

    turn = adapter.to_turn(body, shop, {})
    if turn is None:
        raise ValueError("not a request the dialog answers")
    return turn
