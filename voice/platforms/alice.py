"""Yandex Alice adapter (Yandex Dialogs protocol): dict in, dict out.

Intent from Alice's own NLU when the skill's grammars matched (our intent ids are the
neutral names) or a YANDEX.* built-in; otherwise the local NLU reads `command`. The reply's
TTS is Alice's markup, not SSML, and the QR is a BigImage card only once Yandex holds the
image (the HTTP layer knows the image id)."""

from __future__ import annotations

from typing import Any

from voice import model as language_model
from voice.nlu import parse_slot, understand
from voice.speech import ALICE_MAX_TEXT, to_alice_tts, truncate
from voice.turn import LAUNCH, Reply, Turn

BUILTINS = {"YANDEX.HELP": "Help", "YANDEX.WHAT_CAN_YOU_DO": "WhatCanYouDo",
            "YANDEX.CONFIRM": "Yes", "YANDEX.REJECT": "No", "YANDEX.REPEAT": "Repeat"}
MAX_TITLE = 128
MAX_BUTTON_TITLE = 64


class UnrecognizedRequest(ValueError):
    pass


def check_shape(body: Any) -> None:
    if not isinstance(body, dict) or not isinstance(body.get("request"), dict) or \
            not isinstance(body.get("session"), dict):
        raise UnrecognizedRequest("Not a Yandex Dialogs request: expected request and session.")


def user_of(session: dict[str, Any]) -> str | None:
    user = session.get("user") or {}
    application = session.get("application") or {}
    return (user.get("user_id") or session.get("user_id")
            or application.get("application_id") or None)


def is_ping(body: dict[str, Any]) -> bool:
    return str(body["request"].get("original_utterance") or "").strip().lower() == "ping"


def to_turn(body: dict[str, Any], shop_slug: str) -> Turn:
    check_shape(body)
    request, session = body["request"], body["session"]
    meta = body.get("meta") or {}
    locale = str(meta.get("locale") or "ru-RU")
    command = str(request.get("command") or "")
    utterance = str(request.get("original_utterance") or command)
    intent, slots = _from_alice_nlu(request.get("nlu") or {})
    if intent is None:
        if session.get("new") and not command.strip():
            intent, slots = LAUNCH, {}
        else:
            understood = understand(utterance or command, locale)
            intent, slots = understood.intent, understood.slots
    payload = request.get("payload") if request.get("type") == "ButtonPressed" else None
    if isinstance(payload, dict) and payload.get("intent"):
        intent = str(payload["intent"])
    state = ((body.get("state") or {}).get("session")) or {}
    return Turn(assistant="alice", locale=locale, shop_slug=shop_slug,
                voice_user_id=user_of(session), intent=intent, slots=slots,
                utterance=utterance, session=state if isinstance(state, dict) else {},
                new_session=bool(session.get("new")),
                has_screen="screen" in (meta.get("interfaces") or {}),
                platform={"request_id": session.get("message_id")})


def _from_alice_nlu(nlu: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
    intents = nlu.get("intents") or {}
    known = language_model.load().intents
    for name, found in intents.items():
        neutral = BUILTINS.get(name) or (name if name in known else None)
        if neutral is None:
            continue
        slots = {slot: str(value.get("value")) for slot, value in
                 ((found or {}).get("slots") or {}).items()
                 if isinstance(value, dict) and value.get("value") is not None}
        if "channel" in slots:  # grammar slots carry the words said; we want the id
            channel = parse_slot("CHANNEL", slots["channel"], "ru-RU")
            slots.pop("channel")
            if channel:
                slots["channel"] = channel
        return neutral, slots
    return None, {}


def to_response(reply: Reply, turn: Turn, body: dict[str, Any],
                image_id: str | None = None) -> dict[str, Any]:
    text = truncate(reply.speech.to_plain().replace("\xa0", " "), ALICE_MAX_TEXT) or "…"
    response: dict[str, Any] = {"text": text, "tts": to_alice_tts(reply.speech),
                                "end_session": reply.end_session}
    if reply.link_url:
        response["buttons"] = [{"title": truncate(reply.card_title or "Ссылка",
                                                  MAX_BUTTON_TITLE),
                                "url": reply.link_url, "hide": False}]
    if image_id and turn.has_screen:
        response["card"] = {"type": "BigImage", "image_id": image_id,
                            "title": truncate(reply.card_title or "", MAX_TITLE),
                            "description": truncate(reply.card_text or text, ALICE_MAX_TEXT)}
    session = body.get("session") or {}
    return {"response": response, "session_state": reply.session,
            "session": {"session_id": session.get("session_id"),
                        "message_id": session.get("message_id"),
                        "user_id": user_of(session)},
            "version": "1.0"}


def pong(body: dict[str, Any]) -> dict[str, Any]:
    return {"response": {"text": "pong", "end_session": True}, "version": "1.0"}
