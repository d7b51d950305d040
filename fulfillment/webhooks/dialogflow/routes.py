"""POST /dialogflow/<shop>: Dialogflow ES and CX webhooks on the neutral dialog.

Authentication first (any failure: 401, nothing processed), then the shape (400 with the
reason), then the dialog."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from core import assistant_status, referrals
from core.services import Services
from fulfillment.context import services as current_services
from fulfillment.simulator import capture as turn_capture
from fulfillment.web.auth import public
from fulfillment.webhooks.dialogflow.id_token import (
    AuthFailed,
    CachingCertsRequest,
    check_es_secret,
    fetch_over_https,
    verify_service_agent,
)
from voice.dialog import handle
from voice.platforms import dialogflow

log = logging.getLogger(__name__)

bp = Blueprint("dialogflow", __name__)
EXT = "referrals.google"
BUDGET_SECONDS = 2.5  # half of Dialogflow's 5 s webhook timeout


@bp.record_once
def _setup(state: Any) -> None:
    app: Flask = state.app
    services: Services = app.extensions["referrals.services"]
    extra = services.adapters.google_extra_certs
    app.extensions[EXT] = CachingCertsRequest(
        services.adapters.google_certs_fetcher or fetch_over_https, extra_certs=extra)


def _error(status: int, code: str, message: str) -> ResponseReturnValue:
    return jsonify({"error": {"code": code, "message": message}}), status


def _shop_settings(slug: str) -> tuple[dict[str, Any], str]:
    with current_services().db.session() as session:
        shop = referrals.shop_by_slug(session, slug)
        return dict(shop.settings or {}), shop.locale


def authenticate(settings: dict[str, Any]) -> None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        verify_service_agent(header[7:].strip(), current_app.extensions[EXT],
                             audience=settings.get("dialogflow_audience"),
                             service_agent=settings.get("dialogflow_service_agent"))
        return
    if not check_es_secret(request.headers, settings):
        raise AuthFailed("no valid ID token, header secret or basic auth")


def _kind_of(raw: bytes) -> str:
    """Which Dialogflow sent a refused request, for its status line, without parsing what
    may be a flood: CX bodies carry `fulfillmentInfo`, ES bodies `queryResult`; else a
    Bearer token means CX."""
    if b'"fulfillmentInfo"' in raw:
        return "dialogflow-cx"
    if b'"queryResult"' in raw:
        return "dialogflow-es"
    bearer = request.headers.get("Authorization", "").startswith("Bearer ")
    return "dialogflow-cx" if bearer else "dialogflow-es"


@bp.post("/dialogflow/<shop>")
@public("verified by the Dialogflow ID token or the shop's header secret")
def webhook(shop: str) -> ResponseReturnValue:
    started = time.perf_counter()
    services = current_services()
    settings, default_locale = _shop_settings(shop)  # NotFound -> 404
    if services.settings.verify_requests:
        try:
            authenticate(settings)
        except AuthFailed as exc:
            log.warning("refused Dialogflow request for %s: %s", shop, exc)
            assistant_status.recorder(services).note_refused(
                shop, _kind_of(request.get_data()), services.clock(), str(exc))
            return _error(401, "unauthenticated", str(exc))
    try:
        body = json.loads(request.get_data())
    except (ValueError, UnicodeDecodeError) as exc:
        return _error(400, "malformed_json", f"The body is not JSON: {exc}")
    try:
        turn = dialogflow.to_turn(body, shop, default_locale)
    except (ValueError, UnicodeDecodeError) as exc:
        return _error(400, "unrecognized_request", str(exc) or "The body is not JSON.")
    if services.settings.verify_requests:
        assistant_status.recorder(services).note_accepted(
            shop, f"dialogflow-{turn.platform.get('kind')}", services.clock(), turn.intent,
            turn.locale)
    reply = handle(turn, services)
    turn_capture.record([reply])  # the simulator's own request only
    response = jsonify(dialogflow.to_response(reply, turn))
    elapsed = time.perf_counter() - started
    (log.warning if elapsed > BUDGET_SECONDS else log.info)(
        "dialogflow-%s %s %s -> %s in %.1f ms", turn.platform.get("kind"), shop, turn.intent,
        reply.intent, elapsed * 1000)
    return response
