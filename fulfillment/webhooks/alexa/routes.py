"""POST /alexa/<shop>: the Alexa skill endpoint.

Order of checks: JSON shape (400), the shop (404), Amazon's verification (400 with the
reason), then flask-ask-sdk's SkillAdapter dispatches to the ask-sdk-core skill whose
handlers call the neutral dialog. Verification runs here rather than inside the adapter so a
refused request is answered with *why*, and a wrong skill id is a 400, never the SDK's 500."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue

from core import assistant_setup, assistant_status
from core.services import Services
from fulfillment.context import services as current_services
from fulfillment.simulator import capture as turn_capture
from fulfillment.simulator import sandbox_keys
from fulfillment.web.auth import public
from fulfillment.webhooks.alexa import envelope as alexa_envelope
from fulfillment.webhooks.alexa.sdk_compat import skill_adapter_class
from fulfillment.webhooks.alexa.serializer import ModelSerializer
from fulfillment.webhooks.alexa.signature import AlexaVerifier, VerificationFailed, fetch_over_https
from voice.platforms import alexa as alexa_platform
from voice.platforms.alexa_profile import ProfileClient
from voice.platforms.alexa_reminders import RemindersClient

log = logging.getLogger(__name__)

bp = Blueprint("alexa", __name__)
EXT = "referrals.alexa"
@bp.record_once
def _setup(state: Any) -> None:
    app: Flask = state.app
    services: Services = app.extensions["referrals.services"]
    verifier = services.adapters.alexa_verifier
    if verifier is None:
        verifier = AlexaVerifier(fetch=services.adapters.alexa_cert_fetcher
                                 or fetch_over_https)
        services.adapters.alexa_verifier = verifier
    # The sandbox CA goes into our own verifier (one a test plugs in trusts what it trusts).
    if services.settings.sandbox and services.adapters.sandbox_keys is None \
            and isinstance(verifier, AlexaVerifier):
        log.info("SANDBOX=1: the simulator's in-memory Alexa CA and Google key are trusted "
                 "(local and staging only)")
        sandbox_keys.install(services, verifier)
    app.config["ASK_SDK_VERIFY_SIGNATURE"] = False  # verified above, with reasons
    app.config["ASK_SDK_VERIFY_TIMESTAMP"] = False
    skill = alexa_platform.build_skill()
    skill.serializer = ModelSerializer()  # the SDK's models, without its per-request reflection
    adapter = skill_adapter_class()(skill=skill, skill_id="referrals", verifiers=[], app=app)
    profile = services.adapters.alexa_profile or ProfileClient()
    reminders = services.adapters.alexa_reminders or RemindersClient()
    app.extensions[EXT] = {"adapter": adapter, "verifier": verifier, "profile": profile,
                           "reminders": reminders}


def _bad_request(code: str, message: str) -> ResponseReturnValue:
    return jsonify({"error": {"code": code, "message": message}}), 400


def _refusal_reason(reason: str, envelope: dict[str, Any], skill_id: str | None) -> str:
    """For the connect page: a skill id mismatch names both ids (they are not secret)."""
    if reason != "request is for another skill":
        return reason
    system = (envelope.get("context") or {}).get("System") or {}
    named = ((system.get("application") or {}).get("applicationId")
             or ((envelope.get("session") or {}).get("application") or {}).get("applicationId"))
    return f"skill id mismatch: the request is for {named!s:.120}, this shop has {skill_id}"


@bp.post("/alexa/<shop>")
@public("verified by the Alexa request signature, timestamp and skill id")
def webhook(shop: str) -> ResponseReturnValue:
    services = current_services()
    ext = current_app.extensions[EXT]
    body = request.get_data(cache=True)
    parsed = g.get("json_body")  # parsed once by the edge limits (fulfillment.edge)
    envelope = parsed
    if envelope is None:
        try:
            envelope = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _bad_request("malformed_json", "The body is not JSON.")
    if not isinstance(envelope, dict) or not isinstance(envelope.get("request"), dict) \
            or not envelope["request"].get("type"):
        return _bad_request("not_an_alexa_request", "Expected an Alexa request envelope.")
    shape = alexa_envelope.shape_problem(envelope)
    if shape is not None:
        return _bad_request("not_an_alexa_request", shape)
    skill_id = assistant_setup.expected_skill_id(services, shop, "alexa")  # NotFound: 404
    if services.settings.verify_requests:
        try:
            ext["verifier"].verify(request.headers, body, envelope, skill_id=skill_id,
                                   now=services.clock())
        except VerificationFailed as exc:
            log.warning("refused Alexa request for %s: %s", shop, exc)
            assistant_status.recorder(services).note_refused(
                shop, "alexa", services.clock(), _refusal_reason(str(exc), envelope, skill_id))
            return _bad_request("verification_failed", str(exc))
    sdk_envelope, unreadable = alexa_envelope.read(ext["adapter"].serializer, parsed, body)
    if unreadable is not None:  # the SDK's reading, as a 400
        return _bad_request("not_an_alexa_request", unreadable)
    if services.settings.verify_requests:
        inner = envelope["request"]
        intent = inner.get("intent") if isinstance(inner.get("intent"), dict) else {}
        assistant_status.recorder(services).note_accepted(
            shop, "alexa", services.clock(), str(intent.get("name") or inner["type"]),
            str(inner.get("locale") or ""))
    call = alexa_platform.AlexaCall(shop_slug=shop, services=services, profile=ext["profile"],
                                    reminders=ext["reminders"])
    # the call rides HandlerInput.context
    response: Response = ext["adapter"].dispatch_with(call, sdk_envelope)
    turn_capture.record(call.replies)  # the simulator's own request only
    return response
