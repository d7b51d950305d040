"""Yandex Alice adapter (Yandex Dialogs protocol): dict in, dict out.

Intent from Alice's own NLU when the skill's grammars matched (our intent ids are the
neutral names) or a YANDEX.* built-in; otherwise the local NLU reads `command`. The reply's
TTS is Alice's markup, not SSML, and the QR is a BigImage card only once Yandex holds the
image (the HTTP layer knows the image id)."""

from __future__ import annotations

import json
from typing import Any

from voice import model as language_model
from voice.nlu import parse_phone, parse_slot, understand
from voice.speech import ALICE_MAX_TEXT, to_alice_tts, truncate
from voice.turn import LAUNCH, Reply, Turn

BUILTINS = {"YANDEX.HELP": "Help", "YANDEX.WHAT_CAN_YOU_DO": "WhatCanYouDo",
            "YANDEX.CONFIRM": "Yes", "YANDEX.REJECT": "No", "YANDEX.REPEAT": "Repeat"}
MAX_TITLE = 128
# Yandex keeps at most 1 KB of session_state (REFERENCE.md, Alice response). Measured as we
# send it (UTF-8, ", " and ": " separators: never smaller than Flask's compact output).
MAX_SESSION_STATE = 1024
MAX_BUTTON_TITLE = 64


class UnrecognizedRequest(ValueError):
    pass


def _dict(value: Any) -> dict[str, Any]:
    """Yandex adds fields over the years; a field of the wrong type reads as absent."""
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def check_shape(body: Any) -> None:
    if not isinstance(body, dict) or not isinstance(body.get("request"), dict) or \
            not isinstance(body.get("session"), dict):
        raise UnrecognizedRequest("Not a Yandex Dialogs request: expected request and session.")


def user_of(session: dict[str, Any]) -> str | None:
    return (_str(_dict(session.get("user")).get("user_id")) or _str(session.get("user_id"))
            or _str(_dict(session.get("application")).get("application_id")) or None)


def is_ping(body: dict[str, Any]) -> bool:
    return _str(body["request"].get("original_utterance")).strip().lower() == "ping"


def to_turn(body: dict[str, Any], shop_slug: str, names: tuple[str, ...] = ()) -> Turn:
    """`names`: the shop's own names, for the local understanding."""
    check_shape(body)
    request, session = body["request"], body["session"]
    meta = _dict(body.get("meta"))
    locale = _str(meta.get("locale")) or "ru-RU"
    command = _str(request.get("command"))
    utterance = _str(request.get("original_utterance")) or command
    nlu = _dict(request.get("nlu"))
    intent, slots = _from_alice_nlu(nlu)
    if intent is None:
        if session.get("new") and not command.strip():
            intent, slots = LAUNCH, {}
        else:
            understood = understand(command or utterance, locale, names=names or (shop_slug,))
            intent, slots = understood.intent, understood.slots
    raw = nlu.get("entities")
    entities: list[Any] = raw if isinstance(raw, list) else []
    intent, slots = _with_entities(intent, slots, entities, locale)
    payload = _dict(request.get("payload")) if request.get("type") == "ButtonPressed" else {}
    if _str(payload.get("intent")) in language_model.load().intents:
        intent = payload["intent"]
    state = _dict(body.get("state")).get("session") or {}
    return Turn(assistant="alice", locale=locale, shop_slug=shop_slug,
                voice_user_id=user_of(session), intent=intent, slots=slots,
                utterance=utterance, session=state if isinstance(state, dict) else {},
                new_session=bool(session.get("new")),
                has_screen="screen" in _dict(meta.get("interfaces")),
                platform={"request_id": session.get("message_id")})


def _from_alice_nlu(nlu: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
    known = language_model.load().intents
    for name, found in _dict(nlu.get("intents")).items():
        neutral = BUILTINS.get(name) or (name if name in known else None)
        if neutral is None:
            continue
        slots = {slot: str(value.get("value")) for slot, value in
                 _dict(_dict(found).get("slots")).items()
                 if isinstance(value, dict) and isinstance(value.get("value"), (str, int))}
        if "channel" in slots:  # grammar slots carry the words said; we want the id
            channel = parse_slot("CHANNEL", slots["channel"], "ru-RU")
            slots.pop("channel")
            if channel:
                slots["channel"] = channel
        return neutral, slots
    return None, {}


NUMBER_INTENTS = {"ProvideCode", "ProvideContact", "SendInvite", "Fallback"}


def _with_entities(intent: str, slots: dict[str, str], entities: list[Any],
                   locale: str) -> tuple[str, dict[str, str]]:
    """Alice's YANDEX.NUMBER entities (numbers said in groups, already as values) fill a
    missing phone or one-time code; YANDEX.FIO gives a `name`."""
    numbers: list[tuple[int, str]] = []
    for entity in entities:
        if not isinstance(entity, dict):
            continue
        value, start = entity.get("value"), _dict(entity.get("tokens")).get("start")
        if entity.get("type") == "YANDEX.NUMBER" and isinstance(value, int) and value >= 0:
            numbers.append((start if isinstance(start, int) else 0, str(value)))
        elif entity.get("type") == "YANDEX.FIO" and isinstance(value, dict) and \
                "name" not in slots:
            name = " ".join(str(value[k]) for k in ("first_name", "patronymic_name",
                                                    "last_name") if value.get(k))
            if name:
                slots = {**slots, "name": name}
    if not numbers or intent not in NUMBER_INTENTS or slots.keys() & {"phone", "email", "pin"}:
        return intent, slots
    digits = "".join(v for _, v in sorted(numbers))
    if intent in ("ProvideCode", "Fallback") and 4 <= len(digits) <= 6:
        return "ProvideCode", {**slots, "pin": digits}
    phone = parse_phone(digits, (locale.split("-", 1)[1:] or ["RU"])[0])
    if phone and intent != "ProvideCode":
        return ("ProvideContact" if intent == "Fallback" else intent), {**slots, "phone": phone}
    return intent, slots


def to_response(reply: Reply, turn: Turn, body: dict[str, Any],
                image_id: str | None = None) -> dict[str, Any]:
    shows_card = bool(image_id and turn.has_screen)
    speech = reply.speech.for_screen(shows_card)  # "QR on the screen" only with the card
    text = truncate(speech.to_plain().replace("\xa0", " "), ALICE_MAX_TEXT) or "…"
    response: dict[str, Any] = {"text": text, "tts": to_alice_tts(speech),
                                "end_session": reply.end_session}
    if reply.link_url:
        response["buttons"] = [{"title": truncate(reply.card_title or "Ссылка",
                                                  MAX_BUTTON_TITLE),
                                "url": reply.link_url, "hide": False}]
    if shows_card:
        response["card"] = {"type": "BigImage", "image_id": image_id,
                            "title": truncate(reply.card_title or "", MAX_TITLE),
                            "description": truncate(reply.card_text or text, ALICE_MAX_TEXT)}
    session = _dict(body.get("session"))
    return {"response": response, "session_state": fit_session_state(reply.session),
            "session": {"session_id": session.get("session_id"),
                        "message_id": session.get("message_id"),
                        "user_id": user_of(session)},
            "version": "1.0"}


def pong(body: dict[str, Any]) -> dict[str, Any]:
    return {"response": {"text": "pong", "end_session": True}, "version": "1.0"}


def state_size(state: dict[str, Any]) -> int:
    return len(json.dumps(state, ensure_ascii=False).encode("utf-8"))


def fit_session_state(state: dict[str, Any], limit: int = MAX_SESSION_STATE) -> dict[str, Any]:
    """The dialog state within Yandex's limit whatever a shop's texts are: the last speech
    (kept for "repeat") gives way first, its longest sentences shortened while the code's
    digits and spelling stay; then the words a contact was heard in; then everything but
    the pending question. The state that goes out is never over `limit`."""
    if state_size(state) <= limit:
        return state
    fitted = json.loads(json.dumps(state))  # a copy to shorten
    dialog: dict[str, Any] = fitted["dialog"] if isinstance(fitted.get("dialog"), dict) else {}
    last: list[Any] = dialog["last"] if isinstance(dialog.get("last"), list) else []
    says = [item for item in last if isinstance(item, list) and len(item) == 2
            and item[0] == "say" and isinstance(item[1], str)]
    while says and state_size(fitted) > limit:
        longest = max(says, key=lambda item: len(item[1]))
        excess = state_size(fitted) - limit
        keep = max(0, len(longest[1]) - max(excess, 8) - 1)
        longest[1] = truncate(longest[1], keep) if keep > 8 else ""
        if not longest[1]:
            last.remove(longest)
            says.remove(longest)
    for key, empty in (("last", []), ("heard", ""), ("pending", {})):
        if state_size(fitted) > limit and key in dialog:
            dialog[key] = empty
    if state_size(fitted) > limit:
        fitted = {"dialog": {"awaiting": dialog.get("awaiting")}}
    return fitted if state_size(fitted) <= limit else {}
