"""Alexa behind the one webhook (POST /alexa/<shop>).

Order of checks: JSON shape (400), the shop (404, the pipeline's), Amazon's verification
(400 with the reason), then the ask SDK's reading of the envelope (400). Verification runs
before the SDK so a refused request is answered with *why*, and a wrong skill id is a 400.
Requests that are not turns (System.ExceptionEncountered, playback, skill events) get an
empty response; a failed turn an apology, never a skill error."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ask_sdk_core.__version__ import __version__ as sdk_version
from ask_sdk_core.attributes_manager import AttributesManager
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import RESPONSE_FORMAT_VERSION, user_agent_info
from ask_sdk_model import RequestEnvelope, Response, ResponseEnvelope
from ask_sdk_runtime.utils import UserAgentManager

from core.models import Shop
from core.services import Services
from voice.platform import Accepted, Answer, AssistantPlatform, Inbound, Refused
from voice.platforms.alexa import adapter, envelope
from voice.platforms.alexa.profile import ProfileClient
from voice.platforms.alexa.reminders import RemindersClient
from voice.platforms.alexa.serializer import ModelSerializer
from voice.platforms.alexa.signature import AlexaVerifier, VerificationFailed, fetch_over_https
from voice.turn import SESSION_ENDED, Reply, Speech, Turn

log = logging.getLogger(__name__)
TURNS = ("LaunchRequest", "IntentRequest", "SessionEndedRequest")


@dataclass
class AlexaRequest:
    raw: dict[str, Any]
    handler_input: HandlerInput | None = None  # once the SDK has read the envelope


def _bad(message: str) -> Refused:
    return Refused(400, "not_an_alexa_request", message)


def refusal_reason(reason: str, raw: dict[str, Any], skill_id: str | None) -> str:
    """For the connect page: a skill id mismatch names both ids (they are not secret)."""
    if reason != "request is for another skill":
        return reason
    system = (raw.get("context") or {}).get("System") or {}
    named = ((system.get("application") or {}).get("applicationId")
             or ((raw.get("session") or {}).get("application") or {}).get("applicationId"))
    shown = str(named)[:120]
    return f"skill id mismatch: the request is for {shown}, this shop has {skill_id}"


class AlexaPlatform(AssistantPlatform):
    name = "alexa"

    def __init__(self, services: Services) -> None:
        verifier = services.adapters.alexa_verifier
        if verifier is None:
            verifier = AlexaVerifier(fetch=services.adapters.alexa_cert_fetcher
                                     or fetch_over_https)
            services.adapters.alexa_verifier = verifier
        self.verifier = verifier
        self.serializer = ModelSerializer()  # the SDK's models, without per-request reflection
        self.profile = services.adapters.alexa_profile or ProfileClient()
        reminders = services.adapters.alexa_reminders or RemindersClient()
        self.reminders = reminders if isinstance(reminders, RemindersClient) else None
        UserAgentManager.register_component(user_agent_info(sdk_version=sdk_version))

    def read(self, inbound: Inbound) -> AlexaRequest:
        raw = inbound.parsed
        if raw is None:
            try:
                raw = json.loads(inbound.body)
            except (ValueError, UnicodeDecodeError):
                raise Refused(400, "malformed_json", "The body is not JSON.") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("request"), dict) \
                or not raw["request"].get("type"):
            raise _bad("Expected an Alexa request envelope.")
        shape = envelope.shape_problem(raw)
        if shape is not None:
            raise _bad(shape)
        return AlexaRequest(raw)

    def verify(self, request: AlexaRequest, inbound: Inbound, shop: Shop,
               now: datetime) -> None:
        found = shop.setting("alexa_skill_id")
        skill_id = str(found) if found else None
        try:
            self.verifier.verify(inbound.headers, inbound.body, request.raw, skill_id=skill_id,
                                 now=now)
        except VerificationFailed as exc:
            log.warning("refused Alexa request for %s: %s", shop.slug, exc)
            raise Refused(400, "verification_failed", str(exc), variant="alexa",
                          status_reason=refusal_reason(str(exc), request.raw, skill_id)) from exc

    def to_turn(self, request: AlexaRequest, inbound: Inbound, shop: Shop) -> Turn | Answer:
        sdk_envelope, unreadable = envelope.read(self.serializer, inbound.parsed, inbound.body)
        if unreadable is not None:  # the SDK's reading, as a 400
            raise _bad(unreadable)
        handler_input = HandlerInput(
            request_envelope=sdk_envelope,
            attributes_manager=AttributesManager(request_envelope=sdk_envelope))
        request.handler_input = handler_input
        kind = sdk_envelope.request.object_type
        if kind not in TURNS:
            if kind == "System.ExceptionEncountered":  # a directive we sent failed
                log.warning("Alexa reported: %s", getattr(sdk_envelope.request, "error", None))
            return self._answer(handler_input, handler_input.response_builder.response)
        return adapter.to_turn(handler_input, shop.slug, self.profile, self.reminders)

    def accepted(self, request: AlexaRequest, turn: Turn | None) -> Accepted:
        inner = request.raw["request"]
        intent = inner.get("intent") if isinstance(inner.get("intent"), dict) else {}
        return Accepted("alexa", str(intent.get("name") or inner["type"]),
                        str(inner.get("locale") or ""))

    def respond(self, reply: Reply, turn: Turn, request: AlexaRequest, shop: Shop) -> Answer:
        handler_input = request.handler_input
        assert handler_input is not None
        if turn.intent == SESSION_ENDED:
            # No speech on SessionEndedRequest; an error object in it is only logged.
            error = getattr(handler_input.request_envelope.request, "error", None)
            if error is not None:
                log.info("Alexa ended the session with an error: %s", error)
            return self._answer(handler_input, handler_input.response_builder.response)
        return self._answer(handler_input, adapter.render(handler_input, reply))

    def apology(self, request: AlexaRequest, turn: Turn | None,
                error: Exception) -> Answer | None:
        """A bug must still answer: the customer hears a short apology."""
        handler_input = request.handler_input
        if handler_input is None:
            return None
        log.exception("Alexa turn failed", exc_info=error)
        inner = handler_input.request_envelope.request
        locale = (inner.locale if inner else None) or "en-US"
        from voice.i18n import translator

        text = translator(locale)._("Sorry, something went wrong on my side. Please try again.")
        builder = handler_input.response_builder
        builder.speak(adapter.ssml_inner(Speech.of(text))).set_should_end_session(False)
        answer = self._answer(handler_input, builder.response)
        return Answer(answer.body, answer.status, Reply(Speech.of(text), intent="Error"))

    def _answer(self, handler_input: HandlerInput, response: Response) -> Answer:
        """The response envelope as the SDK's skill.invoke makes it."""
        sdk_envelope: RequestEnvelope = handler_input.request_envelope
        attributes = (handler_input.attributes_manager.session_attributes
                      if sdk_envelope.session is not None else None)
        out = ResponseEnvelope(response=response, version=RESPONSE_FORMAT_VERSION,
                               session_attributes=attributes,
                               user_agent=UserAgentManager.get_user_agent())
        return Answer(self.serializer.serialize(out))


def platform(services: Services) -> AlexaPlatform:
    return AlexaPlatform(services)
