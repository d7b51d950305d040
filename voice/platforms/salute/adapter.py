"""Sber Salute adapter (SmartApp API): dict in, dict out, no HTTP.

Requests (developers.sber.ru/docs/ru/va/api/smartapp-api-requests): MESSAGE_TO_SKILL (a
phrase: our local NLU reads `original_text`), SERVER_ACTION (a button), RUN_APP (launch; a
voice launch may also come as MESSAGE_TO_SKILL with intent `run_app`), CLOSE_APP (no answer
needed). Requests may hold null and numbers where strings are expected: a field of the wrong
type reads as absent. There is no locale field: Salute speaks Russian.

Answers (…/smartapp-api-responses): ANSWER_TO_USER echoing messageId, sessionId, uuid and
payload.device; no null anywhere and no line breaks; bubbles of at most 250 characters; on a
device with a screen the QR as a list_card with an image_cell_view (…/code/js-api/variables/
response) and a bubble with the code and link; speakers get speech only."""

from __future__ import annotations

from typing import Any

from voice import model as language_model
from voice.nlu import understand
from voice.platforms.salute.grammar import agreed
from voice.speech import truncate, xml_text
from voice.turn import LAUNCH, SESSION_ENDED, Digits, Pause, Phone, Reply, Say, Speech, Spell, Turn

MESSAGE_NAMES = ("MESSAGE_TO_SKILL", "SERVER_ACTION", "RUN_APP", "CLOSE_APP")
LOCALE = "ru-RU"
MAX_BUBBLE = 250
MAX_SPEECH = 4000
MAX_BUTTON_TITLE = 64


class UnrecognizedRequest(ValueError):
    pass


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _id(value: Any) -> str:
    """`uuid.userId` is a string on one page and an integer on another: either, as text."""
    if isinstance(value, bool):
        return ""
    return str(value) if isinstance(value, (str, int)) else ""


def check_shape(body: Any) -> None:
    if not isinstance(body, dict) or body.get("messageName") not in MESSAGE_NAMES or \
            not isinstance(body.get("payload"), dict) or not isinstance(body.get("uuid"), dict):
        raise UnrecognizedRequest(
            "Not a SmartApp API request: expected messageName (MESSAGE_TO_SKILL, "
            "SERVER_ACTION, RUN_APP or CLOSE_APP), uuid and payload.")
    if isinstance(body.get("messageId"), bool) or \
            not isinstance(body.get("messageId"), (int, str)):
        raise UnrecognizedRequest("A SmartApp API request carries a messageId.")


def project_id(body: dict[str, Any]) -> str:
    return _str(_dict(body["payload"].get("app_info")).get("projectId"))


def user_of(body: dict[str, Any]) -> str | None:
    """`sub` (stable for a Sber ID user) when present, else `userId` (an unauthenticated
    device; it changes after a reset or reinstall, so such a customer pairs again)."""
    uuid = _dict(body.get("uuid"))
    return _id(uuid.get("sub")) or _id(uuid.get("userId")) or None


def has_screen(payload: dict[str, Any]) -> bool:
    """Sber's own Alice map: meta.interfaces.screen -> device.capabilities.screen.available
    (meta.features.screen.enabled only says the screen is on)."""
    screen = _dict(_dict(_dict(payload.get("device")).get("capabilities")).get("screen"))
    return screen.get("available") is True


def gender_of(payload: dict[str, Any]) -> str:
    """male (Сбер) or female (Афина, Джой); an unknown character speaks as Сбер."""
    gender = _str(_dict(payload.get("character")).get("gender"))
    return gender if gender in ("male", "female") else "male"


def is_launch(body: dict[str, Any]) -> bool:
    payload = body["payload"]
    return body["messageName"] == "RUN_APP" or (
        body["messageName"] == "MESSAGE_TO_SKILL" and _str(payload.get("intent")) == "run_app"
        and bool(payload.get("new_session"))) or (
        body["messageName"] == "SERVER_ACTION"
        and _str(_dict(payload.get("server_action")).get("action_id")) == "run_app")


def to_turn(body: dict[str, Any], shop_slug: str, state: dict[str, Any],
            names: tuple[str, ...] = ()) -> Turn | None:
    """The Turn of a request; None for a SERVER_ACTION we did not send (nothing to do)."""
    check_shape(body)
    payload = body["payload"]
    text = _str(_dict(payload.get("message")).get("original_text")).strip()
    slots: dict[str, str] = {}
    if body["messageName"] == "CLOSE_APP":
        intent = SESSION_ENDED
    elif is_launch(body) or (body["messageName"] == "MESSAGE_TO_SKILL" and not text):
        intent = LAUNCH
    elif body["messageName"] == "SERVER_ACTION":
        action = _dict(payload.get("server_action"))
        named = _str(_dict(action.get("parameters")).get("intent"))
        if named not in language_model.load().intents:
            return None
        intent = named
    else:
        understood = understand(text, LOCALE, names=names or (shop_slug,))
        intent, slots = understood.intent, dict(understood.slots)
    return Turn(assistant="salute", locale=LOCALE, shop_slug=shop_slug,
                voice_user_id=user_of(body), intent=intent, slots=slots, utterance=text,
                session=state, new_session=bool(payload.get("new_session")),
                has_screen=has_screen(payload),
                platform={"request_id": body.get("messageId"),
                          "surface": _str(_dict(payload.get("device")).get("surface")),
                          "gender": gender_of(payload)})


def _segment(seg: object) -> str:
    """Sber's SSML: text and breaks; digits and letters said one by one as separate words."""
    if isinstance(seg, Say):
        return xml_text(seg.text)
    if isinstance(seg, Digits):  # one by one, a short pause between groups
        return '<break time="150ms"/>'.join(" ".join(g) for g in seg.groups if g)
    if isinstance(seg, Spell):
        return xml_text(" ".join(seg.chars))
    if isinstance(seg, Pause):
        return f'<break time="{max(0, min(int(seg.ms), 5000))}ms"/>'
    if isinstance(seg, Phone):
        return xml_text(seg.shown)
    raise TypeError(f"unknown speech segment {seg!r}")


def to_ssml(speech: Speech) -> str:
    text = ""
    for part in (_segment(s) for s in speech.segments):
        if not part:
            continue
        text += part if not text or part.startswith((",", ".", "!", "?", ";", ":")) \
            else " " + part
    return f"<speak>{truncate(text, MAX_SPEECH)}</speak>"


def _one_line(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def _bubble(text: str) -> dict[str, Any]:
    return {"bubble": {"text": truncate(_one_line(text), MAX_BUBBLE) or "…",
                       "markdown": False, "expand_policy": "auto_expand"}}


def _qr_card(reply: Reply) -> dict[str, Any]:
    cells: list[dict[str, Any]] = [
        {"type": "image_cell_view", "content": {"url": reply.image_url}}]
    if reply.card_title:
        cells.append({"type": "text_cell_view",
                      "paddings": {"top": "6x", "left": "8x", "right": "8x", "bottom": "6x"},
                      "content": {"text": truncate(_one_line(reply.card_title), MAX_BUBBLE),
                                  "typeface": "title1", "text_color": "default"}})
    return {"card": {"type": "list_card", "cells": cells}}


def _button(title: str, said: str) -> dict[str, Any]:
    return {"title": truncate(title, MAX_BUTTON_TITLE),
            "actions": [{"type": "text", "text": said, "should_send_to_backend": True}]}


def envelope(body: dict[str, Any], message_name: str,
             payload: dict[str, Any]) -> dict[str, Any]:
    """The answer's frame: the request's ids echoed exactly, its device in the payload."""
    device = _dict(body.get("payload", {}).get("device")) if isinstance(body, dict) else {}
    out = {"messageName": message_name, "sessionId": _str(body.get("sessionId")),
           "messageId": body.get("messageId"), "uuid": _dict(body.get("uuid")),
           "payload": {**payload, "device": device}}
    return pruned(out)  # type: ignore[no-any-return]


def to_response(reply: Reply, turn: Turn, body: dict[str, Any]) -> dict[str, Any]:
    shows_card = bool(reply.image_url and turn.has_screen)
    speech = agreed(reply.speech.for_screen(shows_card), str(turn.platform.get("gender")))
    items: list[dict[str, Any]] = []
    if turn.has_screen:
        items.append(_bubble(speech.to_plain()))
        if shows_card:
            items.append(_bubble(_code_and_link(reply)))
            items.append(_qr_card(reply))
    payload: dict[str, Any] = {
        "pronounceText": to_ssml(speech), "pronounceTextType": "application/ssml",
        "items": items, "auto_listening": not reply.end_session,
        "finished": reply.end_session}
    if turn.has_screen and not reply.end_session:
        buttons = ([_button("Да", "да"), _button("Нет", "нет")] if reply.confirm_slot else
                   [_button("Отправить другу", "отправь другу")] if shows_card else [])
        if buttons:
            payload["suggestions"] = {"buttons": buttons}
    return envelope(body, "ANSWER_TO_USER", payload)


def _code_and_link(reply: Reply) -> str:
    """The bubble under the QR: the card's text (the code) and the link, once each."""
    text = _one_line(reply.card_text or "")
    if reply.link_url and reply.link_url not in text:
        text = f"{text} {reply.link_url}".strip()
    return text


def closed(body: dict[str, Any]) -> dict[str, Any]:
    """CLOSE_APP needs no answer; the platform ignores the body, so it says nothing."""
    return envelope(body, "ANSWER_TO_USER", {"items": [], "finished": True,
                                             "auto_listening": False})


def nothing_found(body: dict[str, Any]) -> dict[str, Any]:
    """A SERVER_ACTION we do not know: the smartapp found nothing to do."""
    return envelope(body, "NOTHING_FOUND", {})


def apology(body: dict[str, Any]) -> dict[str, Any]:
    """Our own failure, said in words (ERROR would make the assistant speak for us)."""
    text = "Простите, что-то пошло не так. Попробуйте ещё раз чуть позже."
    return envelope(body, "ANSWER_TO_USER", {
        "pronounceText": f"<speak>{text}</speak>", "pronounceTextType": "application/ssml",
        "items": [_bubble(text)], "auto_listening": False, "finished": False})


def pruned(value: Any) -> Any:
    """No null anywhere (keys whose value is None are dropped) and no line breaks in text."""
    if isinstance(value, dict):
        return {k: pruned(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [pruned(v) for v in value if v is not None]
    if isinstance(value, str):
        return value.replace("\r", " ").replace("\n", " ")
    return value
