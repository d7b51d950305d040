"""POST /<assistant>/<shop>: one webhook for every assistant in core.assistants.

The pipeline: read the request (its shape, 400) → the shop, once (404) → verify it is the
shop's assistant calling (its refusal, noted for the connect page's live status) → the
adapter's Turn → the dialog, with the shop already read → the adapter's answer → the live
status. One call into core before the dialog (the shop snapshot), none between.
What differs between assistants lives in voice/platforms/<name>/webhook.py."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue

from core import assistant_setup, assistant_status
from core.assistants import ASSISTANTS, NAMES, Assistant
from core.messaging import outbox
from core.services import Services
from fulfillment.context import services as current_services
from fulfillment.web.auth import public
from fulfillment.webhooks import turn_capture
from voice.dialog import handle
from voice.platform import Answer, AssistantPlatform, Inbound, Refused
from voice.platforms import platform as build_platform
from voice.turn import Turn

log = logging.getLogger(__name__)

bp = Blueprint("assistants", __name__)
EXT = "referrals.assistants"


@bp.record_once
def _setup(state: Any) -> None:
    app: Flask = state.app
    services: Services = app.extensions["referrals.services"]
    app.extensions[EXT] = {a.name: (a, build_platform(a.name, services)) for a in ASSISTANTS}


def _json(answer: Answer) -> Response:
    if answer.one_line:  # exactly one line whatever the app's JSON settings (debug pretty-prints)
        return Response(json.dumps(answer.body, ensure_ascii=False, separators=(",", ":")),
                        status=answer.status, mimetype="application/json")
    response: Response = jsonify(answer.body)
    response.status_code = answer.status
    return response


@bp.post(f"/<any({', '.join(NAMES)}):assistant>/<shop>")
@bp.post(f"/<any({', '.join(NAMES)}):assistant>/<shop>/<token>")
@public("verified by each assistant's own check: signature, ID token, secret or skill id")
def webhook(assistant: str, shop: str, token: str | None = None) -> ResponseReturnValue:
    started = time.perf_counter()
    known: Assistant
    platform: AssistantPlatform
    known, platform = current_app.extensions[EXT][assistant]
    if (token is not None) != known.path_token:
        abort(404)  # a URL shape this assistant does not have
    services = current_services()
    inbound = Inbound(request.headers,  # type: ignore[arg-type]  # case-insensitive Headers
                      request.get_data(cache=True),
                      g.get("json_body"),  # parsed once by the edge limits (fulfillment.edge)
                      token)
    verify = services.settings.verify_requests
    turn: Turn | None = None
    read: Any = None
    try:
        read = platform.read(inbound)
        found, program = assistant_setup.shop_for_request(services, shop)  # NotFound: 404
        capture = turn_capture.current()  # the in-process simulator's request, or None
        # Without SANDBOX the simulator has no keys to sign with: its own in-process
        # request is trusted as such, and is not counted as a verified platform request.
        if capture is not None and capture.trusted and services.adapters.sandbox_keys is None:
            verify = False
        if verify:
            platform.verify(read, inbound, found, services.clock())
        made = platform.to_turn(read, inbound, found)
        if isinstance(made, Answer):  # answered without the dialog
            _note_accepted(services, platform, shop, read, None, verify)
            return _json(made)
        turn = made
        with outbox.simulated_turn(capture is not None):  # its messages: sandbox only
            reply = handle(turn, services, snapshot=(found, program))
        turn_capture.record([reply])  # the simulator's own request only
        answer = platform.respond(reply, turn, read, found)
        _note_accepted(services, platform, shop, read, turn, verify)
    except Refused as refused:
        if refused.status_reason is not None and refused.variant is not None:
            assistant_status.recorder(services).note_refused(
                shop, refused.variant, services.clock(), refused.status_reason)
        return _json(refused.answer())
    except Exception as exc:
        apology = platform.apology(read, turn, exc) if read is not None else None
        if apology is None or _is_unknown_shop(exc):
            raise
        if apology.reply is not None:
            turn_capture.record([apology.reply])
        if turn is not None:  # verified and read: the connect page counts it
            _note_accepted(services, platform, shop, read, turn, verify)
        return _json(apology)
    elapsed = time.perf_counter() - started
    budget = platform.budget_seconds
    (log.warning if budget is not None and elapsed > budget else log.info)(
        "%s %s %s -> %s in %.1f ms", assistant, shop, turn.intent, reply.intent, elapsed * 1000)
    return _json(answer)


def _note_accepted(services: Services, platform: AssistantPlatform, shop: str, read: Any,
                   turn: Turn | None, verify: bool) -> None:
    seen = platform.accepted(read, turn) if verify else None
    if seen is not None:
        assistant_status.recorder(services).note_accepted(
            shop, seen.variant, services.clock(), seen.intent, seen.locale)


def _is_unknown_shop(exc: Exception) -> bool:
    return getattr(exc, "code", None) == "unknown_shop"
