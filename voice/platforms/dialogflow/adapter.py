"""Dialogflow adapter (ES v2 and CX v3 webhooks): dict in, dict out, nothing else.

The two request shapes are told apart by their keys (ES has `queryResult`, CX has
`fulfillmentInfo` / `sessionInfo` / `detectIntentResponseId`). Our dialog state rides in an
ES output context or a CX session parameter, as a JSON string, so both agents carry it
without knowing what it is."""

from __future__ import annotations

import json
from typing import Any

from voice import model as language_model
from voice.speech import to_ssml, truncate
from voice.turn import LAUNCH, Reply, Speech, Turn

STATE_CONTEXT = "referral-dialog"
STATE_PARAM = "referral_state"
ES_MAX_TEXT = 4000
WELCOME = {"Default Welcome Intent", "Welcome", "WELCOME", "sys.welcome"}
FALLBACK = {"Default Fallback Intent", "sys.no-match-default", "sys.no-match"}
OPEN = {"en": "Open", "de": "Öffnen", "ru": "Открыть"}
# `phone` is the name the exported agents declare; the others are what hand-made agents use.
SLOT_ALIASES = {"phone": "phone", "phone-number": "phone", "phone_number": "phone",
                "email": "email", "channel": "channel", "pin": "pin", "number": "pin",
                "weekday": "weekday"}


class UnrecognizedRequest(ValueError):
    """Neither an ES nor a CX WebhookRequest."""


def _dict(value: Any) -> dict[str, Any]:
    """Platforms add and drop fields; a field of the wrong type reads as absent."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def kind_of(body: Any) -> str:
    if not isinstance(body, dict):
        raise UnrecognizedRequest("The body must be a JSON object.")
    if isinstance(body.get("queryResult"), dict):
        return "es"
    if any(isinstance(body.get(k), dict) for k in ("fulfillmentInfo", "sessionInfo")) or \
            body.get("detectIntentResponseId"):
        return "cx"
    raise UnrecognizedRequest("Not a Dialogflow WebhookRequest: expected queryResult (ES) or "
                              "fulfillmentInfo / sessionInfo (CX).")


def _locale(language_code: str | None, default: str) -> str:
    code = _str(language_code).replace("_", "-")
    if not code:
        return default
    if "-" in code:
        lang, region = code.split("-", 1)
        return f"{lang.lower()}-{region.upper()}"
    return {"en": "en-US", "ru": "ru-RU", "de": "de-DE"}.get(code.lower(), code)


def _intent(name: str | None) -> str:
    if not name:
        return "Fallback"
    if name in WELCOME:
        return LAUNCH
    if name in FALLBACK:
        return "Fallback"
    intents = language_model.load().intents
    return name if name in intents else "Fallback"


def _slots(parameters: dict[str, Any] | None) -> dict[str, str]:
    slots: dict[str, str] = {}
    for key, value in _dict(parameters).items():
        name = SLOT_ALIASES.get(key)
        if isinstance(value, dict):  # CX intentInfo parameters: {"resolvedValue": ...}
            value = value.get("resolvedValue", value.get("originalValue"))
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # @sys.number in a protobuf Value: 482917.0 is the code 482917
        if name and isinstance(value, (str, int, float)) and not isinstance(value, bool) \
                and value != "":
            slots[name] = str(value)
    return slots


def _state(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict) else {}


def to_turn(body: dict[str, Any], shop_slug: str, default_locale: str = "en-US") -> Turn:
    if kind_of(body) == "es":
        return _es_turn(body, shop_slug, default_locale)
    return _cx_turn(body, shop_slug, default_locale)


def _es_turn(body: dict[str, Any], shop_slug: str, default_locale: str) -> Turn:
    query = body["queryResult"]
    session_path = _str(body.get("session"))
    state: dict[str, Any] = {}
    for context in map(_dict, _list(query.get("outputContexts"))):
        if _str(context.get("name")).endswith(f"/contexts/{STATE_CONTEXT}"):
            state = _state(_dict(context.get("parameters")).get("state"))
    payload = _dict(_dict(body.get("originalDetectIntentRequest")).get("payload"))
    user = (_str(_dict(payload.get("user")).get("userId")) or _str(payload.get("userId"))
            or session_path.rsplit("/", 1)[-1] or None)
    capabilities = [c.get("name") for c in _list(_dict(payload.get("surface"))
                                                 .get("capabilities")) if isinstance(c, dict)]
    intent = _intent(_str(_dict(query.get("intent")).get("displayName")))
    return Turn(assistant="google", locale=_locale(query.get("languageCode"), default_locale),
                shop_slug=shop_slug, voice_user_id=user, intent=intent,
                slots=_slots(query.get("parameters")), utterance=_str(query.get("queryText")),
                session=state, new_session=not state,
                has_screen="actions.capability.SCREEN_OUTPUT" in capabilities or bool(
                    payload.get("hasScreen")),
                platform={"request_id": body.get("responseId"), "session": session_path,
                          "kind": "es"})


def _cx_turn(body: dict[str, Any], shop_slug: str, default_locale: str) -> Turn:
    session_info = _dict(body.get("sessionInfo"))
    parameters = _dict(session_info.get("parameters"))
    intent_info = _dict(body.get("intentInfo"))
    tag = _str(_dict(body.get("fulfillmentInfo")).get("tag")) or _str(
        intent_info.get("displayName"))
    session_path = _str(session_info.get("session"))
    payload = _dict(body.get("payload"))
    slots = _slots(parameters)
    # A form page's FINAL route (export_cx.form_page) calls us tagged as the intent route
    # would, the value filled in the session parameters and in pageInfo.formInfo (CX
    # WebhookRequest.PageInfo.FormInfo.ParameterInfo: displayName, state, value); a value
    # CX marked INVALID or EMPTY is not one.
    form = _list(_dict(_dict(body.get("pageInfo")).get("formInfo")).get("parameterInfo"))
    slots.update(_slots({str(p.get("displayName")): p.get("value") for p in form
                         if isinstance(p, dict) and not isinstance(p.get("value"), dict)
                         and p.get("state") not in ("INVALID", "EMPTY")}))
    slots.update(_slots(intent_info.get("parameters")))
    return Turn(assistant="google", locale=_locale(body.get("languageCode"), default_locale),
                shop_slug=shop_slug,
                voice_user_id=_str(payload.get("userId")) or session_path.rsplit("/", 1)[-1]
                or None,
                intent=_intent(tag), slots=slots,
                utterance=_str(body.get("text")) or _str(body.get("transcript")),
                session=_state(parameters.get(STATE_PARAM)),
                new_session=STATE_PARAM not in parameters,
                has_screen=bool(payload.get("hasScreen")),
                platform={"request_id": body.get("detectIntentResponseId"),
                          "session": session_path, "kind": "cx",
                          "heard_slots": sorted(k for k in parameters if k in SLOT_ALIASES)})


def _speech(reply: Reply) -> Speech:
    """Words about the screen only when the answer carries the image (ES card, CX rich
    content); the dialog sets `image_url` only for screens."""
    return reply.speech.for_screen(bool(reply.image_url))


def _text(reply: Reply) -> str:
    return truncate(_speech(reply).to_plain().replace("\xa0", " "), ES_MAX_TEXT)


def es_response(reply: Reply, turn: Turn) -> dict[str, Any]:
    text = _text(reply)
    messages: list[dict[str, Any]] = [{"text": {"text": [text]}}]
    if reply.card_title or reply.image_url:
        card: dict[str, Any] = {"title": reply.card_title or "", "subtitle":
                                reply.card_text or ""}
        if reply.image_url:
            card["imageUri"] = reply.image_url
        if reply.link_url:
            card["buttons"] = [{"text": OPEN.get(turn.locale[:2], "Open"),
                                "postback": reply.link_url}]
        messages.append({"card": card})
    out: dict[str, Any] = {
        "fulfillmentText": text, "fulfillmentMessages": messages,
        "payload": {"referrals": {"ssml": to_ssml(_speech(reply)), "endSession":
                                  reply.end_session, "link": reply.link_url}},
    }
    session = turn.platform.get("session")
    if session:
        out["outputContexts"] = [{"name": f"{session}/contexts/{STATE_CONTEXT}",
                                  "lifespanCount": 0 if reply.end_session else 5,
                                  "parameters": {"state": json.dumps(reply.session)}}]
    return out


def cx_response(reply: Reply, turn: Turn) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"text": {"text": [_text(reply)]}},
                                      {"outputAudioText": {"ssml": to_ssml(_speech(reply))}}]
    rich: list[dict[str, Any]] = []
    if reply.image_url:
        rich.append({"type": "image", "rawUrl": reply.image_url,
                     "accessibilityText": reply.card_title or "QR code"})
    if reply.link_url:
        rich.append({"type": "button", "text": reply.card_title or "Open",
                     "link": reply.link_url})
    if rich:
        messages.append({"payload": {"richContent": [rich]}})
    # Slots live one turn: a value CX kept in the session (a filled form parameter, an
    # intent's parameter) is removed (null clears a session parameter), so the next
    # "remind me" gets its page's question instead of last week's day, and an old number
    # never fills a later invite. The dialog keeps what it needs in referral_state.
    cleared = {k: None for k in turn.platform.get("heard_slots") or ()}
    out: dict[str, Any] = {
        "fulfillmentResponse": {"messages": messages, "mergeBehavior": "REPLACE"},
        "sessionInfo": {"parameters": {**cleared, STATE_PARAM: json.dumps(reply.session),
                                       "end_session": reply.end_session}},
    }
    session = str(turn.platform.get("session") or "")
    if reply.end_session and "/sessions/" in session:
        agent = session.split("/sessions/")[0]
        out["targetPage"] = (f"{agent}/flows/00000000-0000-0000-0000-000000000000/pages/"
                             "END_SESSION")
    return out


def to_response(reply: Reply, turn: Turn) -> dict[str, Any]:
    if turn.platform.get("kind") == "es":
        return es_response(reply, turn)
    return cx_response(reply, turn)
