"""Alexa adapter: the ask SDK's request envelope -> Turn (intent names and slots through the
language model), Reply -> the SDK's Response (SSML, reprompt, card, APL with the QR on
screens, permissions card). The SDK's models and response builder are used as they are; its
dispatcher is not (one webhook runs every assistant: voice.platforms.alexa.webhook)."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import (
    Intent,
    IntentConfirmationStatus,
    IntentRequest,
    Request,
    Response,
    Slot,
    SlotConfirmationStatus,
)
from ask_sdk_model.dialog import ConfirmSlotDirective, ElicitSlotDirective
from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective
from ask_sdk_model.ui import AskForPermissionsConsentCard, SimpleCard, StandardCard
from ask_sdk_model.ui.image import Image

from core.ports import ProfileLookup
from voice import model as language_model
from voice.platforms.alexa import profile as alexa_profile
from voice.platforms.alexa.reminders import BoundReminders, RemindersClient
from voice.speech import ALEXA_MAX_SPEECH, to_ssml
from voice.turn import (
    LAUNCH,
    SESSION_ENDED,
    Capabilities,
    ContactLookup,
    Reply,
    Speech,
    Turn,
)

log = logging.getLogger(__name__)
APL_INTERFACE = "Alexa.Presentation.APL"


@lru_cache(maxsize=1)
def _intent_names() -> dict[str, str]:
    """Alexa intent name -> neutral name (AMAZON.HelpIntent -> Help)."""
    lm = language_model.load()
    return {intent.name_on("alexa"): intent.name for intent in lm.intents.values()}


def _slot_value(slot: Any) -> str | None:
    """The entity-resolved id for custom types (text -> sms), else what was heard."""
    resolutions = getattr(slot, "resolutions", None)
    for authority in getattr(resolutions, "resolutions_per_authority", None) or []:
        status = getattr(getattr(authority, "status", None), "code", None)
        if getattr(status, "value", status) == "ER_SUCCESS_MATCH" and authority.values:
            return str(authority.values[0].value.id or authority.values[0].value.name)
    return slot.value if getattr(slot, "value", None) else None


def _channel_id(value: str, locale: str) -> str | None:
    """Spoken channel words to a channel id, when Alexa gave no resolution."""
    lm = language_model.load()
    needle = value.strip().lower()
    for item in lm.locale(locale).slot_values.get("CHANNEL", ()):
        if needle == item.id or needle in (s.lower() for s in item.synonyms):
            return item.id
    return None


def _request(handler_input: HandlerInput) -> Request:
    """Alexa always sends a request in the envelope (the SDK's model types it optional)."""
    request = handler_input.request_envelope.request
    if request is None:
        raise ValueError("an Alexa envelope without a request")
    return request


def to_turn(handler_input: HandlerInput, shop_slug: str, profile: ProfileLookup | None = None,
            reminders: RemindersClient | None = None) -> Turn:
    envelope = handler_input.request_envelope
    request = _request(handler_input)
    system = envelope.context.system if envelope.context else None
    session = envelope.session
    kind = request.object_type
    intent, slots, utterance = LAUNCH, {}, ""
    if isinstance(request, IntentRequest):  # the SDK deserializes by object_type
        said = request.intent
        intent = _intent_names().get(said.name or "", "Fallback") if said else "Fallback"
        for name, slot in ((said.slots if said else None) or {}).items():
            value = _slot_value(slot)
            if value:
                slots[name] = value
        answered = _confirmation(said)
        if answered is not None:  # the yes/no to our Dialog.ConfirmSlot read-back
            intent, slots = answered, {}
        if "channel" in slots:
            resolved = _channel_id(slots["channel"], request.locale or "en-US")
            if resolved:
                slots["channel"] = resolved
            elif slots["channel"] not in ("sms", "email", "whatsapp", "telegram"):
                slots.pop("channel")
        utterance = " ".join(slots.values())
    elif kind == "SessionEndedRequest":
        intent = SESSION_ENDED
    user = (system.user.user_id if system and system.user else None) or (
        session.user.user_id if session and session.user else None)
    interfaces = system.device.supported_interfaces if system and system.device else None
    has_screen = bool(interfaces and getattr(interfaces, "alexa_presentation_apl", None))
    platform: dict[str, Any] = {"request_id": request.request_id}
    endpoint, token = (system.api_endpoint, system.api_access_token) if system else (None, None)
    lookup, device = None, None
    if profile is not None and endpoint and token:
        lookup = ContactLookup(profile.lookup_for(endpoint, token), alexa_profile.PERMISSIONS)
    if reminders is not None and endpoint and token:
        device = BoundReminders(reminders, endpoint, token)
    return Turn(
        assistant="alexa",
        locale=request.locale or "en-US",
        shop_slug=shop_slug,
        voice_user_id=user,
        intent=intent,
        slots=slots,
        utterance=utterance,
        session=dict(handler_input.attributes_manager.session_attributes or {}),
        new_session=bool(session and session.new),
        has_screen=has_screen,
        platform=platform,
        capabilities=Capabilities(device_reminders=device, contact_lookup=lookup),
    )


def _confirmation(said: Intent | None) -> str | None:
    """"Yes" / "No" when Alexa answers a Dialog.ConfirmSlot with the slot's status."""
    for slot in ((said.slots if said else None) or {}).values():
        status = getattr(slot.confirmation_status, "value", slot.confirmation_status)
        if status == "CONFIRMED":
            return "Yes"
        if status == "DENIED":
            return "No"
    return None


def _dialog_directive(request: Request, reply: Reply) -> ElicitSlotDirective | \
        ConfirmSlotDirective | None:
    """Dialog.ElicitSlot when the reply asks for one value of the dialog model (the
    weekday, the pairing code), Dialog.ConfirmSlot when it reads one back for a yes/no.
    Only answering an intent request and keeping the session open (Amazon's rules)."""
    if reply.end_session or not isinstance(request, IntentRequest) or request.intent is None:
        return None
    lm = language_model.load()
    current = _intent_names().get(request.intent.name or "")
    heard = request.intent.slots or {}
    if reply.elicit_slot:
        target = lm.intent_eliciting(reply.elicit_slot, current)
        if target is None:
            return None
        kept = heard if target == current else {}
        return ElicitSlotDirective(slot_to_elicit=reply.elicit_slot,
                                   updated_intent=_intent(target, kept))
    if reply.confirm_slot and current and reply.confirm_slot in lm.dialog_slots.get(
            current, language_model.DialogSlots()).confirm and reply.confirm_slot in heard \
            and heard[reply.confirm_slot].value:
        return ConfirmSlotDirective(slot_to_confirm=reply.confirm_slot,
                                    updated_intent=_intent(current, heard))
    return None


def _intent(neutral: str, heard: dict[str, Slot]) -> Intent:
    """The intent as Alexa names it, every declared slot present (values kept)."""
    lm = language_model.load()
    slots = {name: Slot(name=name, value=heard[name].value if name in heard else None,
                        confirmation_status=SlotConfirmationStatus.NONE)
             for name in lm.intents[neutral].slots}
    return Intent(name=lm.intents[neutral].name_on("alexa"), slots=slots,
                  confirmation_status=IntentConfirmationStatus.NONE)


def ssml_inner(speech: Speech) -> str:
    """ResponseBuilder.speak() adds <speak> itself (and escapes nothing: we already did)."""
    return to_ssml(speech, ALEXA_MAX_SPEECH)[len("<speak>"):-len("</speak>")]


def _apl_document(reply: Reply) -> dict[str, Any]:
    return {
        "type": "APL", "version": "2023.3",
        "mainTemplate": {"parameters": ["payload"], "items": [{
            "type": "Container", "width": "100vw", "height": "100vh",
            "alignItems": "center", "justifyContent": "center",
            "items": [
                {"type": "Text", "text": "${payload.data.title}", "fontSize": "32dp",
                 "textAlign": "center"},
                {"type": "Image", "source": "${payload.data.qr}", "width": "50vh",
                 "height": "50vh", "scale": "best-fit"},
                {"type": "Text", "text": "${payload.data.link}", "fontSize": "20dp",
                 "textAlign": "center"},
            ],
        }]},
    }


def render(handler_input: HandlerInput, reply: Reply) -> Response:
    builder = handler_input.response_builder
    envelope = handler_input.request_envelope
    interfaces = envelope.context.system.device.supported_interfaces if (
        envelope.context and envelope.context.system and envelope.context.system.device) else None
    apl = bool(reply.image_url and interfaces and getattr(interfaces, "alexa_presentation_apl",
                                                          None))
    if reply.speech:  # words about the screen only when the APL document shows the QR
        builder.speak(ssml_inner(reply.speech.for_screen(apl)))
    if not reply.end_session and reply.reprompt:
        builder.ask(ssml_inner(reply.reprompt.for_screen(apl)))
    if reply.ask_permissions:
        builder.set_card(AskForPermissionsConsentCard(permissions=list(reply.ask_permissions)))
    elif reply.card_title and reply.image_url and reply.image_url.startswith("https://"):
        builder.set_card(StandardCard(title=reply.card_title, text=reply.card_text or "",
                                      image=Image(small_image_url=reply.image_url,
                                                  large_image_url=reply.image_url)))
    elif reply.card_title:
        builder.set_card(SimpleCard(title=reply.card_title, content=reply.card_text or ""))
    if apl:
        builder.add_directive(RenderDocumentDirective(
            token="invite-qr", document=_apl_document(reply),
            datasources={"data": {"title": reply.card_title or "", "qr": reply.image_url,
                                  "link": reply.link_url or ""}}))
    directive = _dialog_directive(_request(handler_input), reply)
    if directive is not None:
        builder.add_directive(directive)
    if reply.end_session:
        builder.set_should_end_session(True)
    elif _request(handler_input).object_type != "SessionEndedRequest":
        builder.set_should_end_session(False)
    handler_input.attributes_manager.session_attributes = dict(reply.session)
    return builder.response
