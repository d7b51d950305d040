"""POST /alice/<shop>: the Yandex Dialogs webhook.

Alice signs nothing: the request must name this shop's skill id (else 403) and the URL is
kept secret. Malformed bodies get 400, unknown shops 404; pings are answered at once."""

from __future__ import annotations

import json
import logging
import time

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from core import alice_images, assistant_setup, assistant_status, codes
from core.services import Services
from fulfillment.context import services as current_services
from fulfillment.simulator import capture as turn_capture
from fulfillment.web.auth import public
from voice.dialog import handle
from voice.platforms import alice

log = logging.getLogger(__name__)

bp = Blueprint("alice", __name__)
BUDGET_SECONDS = 1.5  # of Alice's 4.5 s: anything slower (image uploads) runs in a job


def _error(status: int, code: str, message: str) -> ResponseReturnValue:
    return jsonify({"error": {"code": code, "message": message}}), status


@bp.post("/alice/<shop>")
@public("verified by the shop's Alice skill id")
def webhook(shop: str) -> ResponseReturnValue:
    started = time.perf_counter()
    services = current_services()
    try:
        body = json.loads(request.get_data())
    except (ValueError, UnicodeDecodeError) as exc:
        return _error(400, "malformed_json", f"The body is not JSON: {exc}")
    try:
        alice.check_shape(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return _error(400, "unrecognized_request", str(exc) or "The body is not JSON.")
    # NotFound -> 404; the shop snapshot the turn reads anyway, not a query per request
    skill_id = assistant_setup.expected_skill_id(services, shop, "alice")
    if services.settings.verify_requests and (not skill_id or
                                              body["session"].get("skill_id") != skill_id):
        log.warning("refused Alice request for %s: skill id mismatch", shop)
        reason = ("this shop has no Alice skill id configured" if not skill_id else
                  "skill id mismatch: the request names another skill")
        assistant_status.recorder(services).note_refused(shop, "alice", services.clock(),
                                                         reason)
        return _error(403, "wrong_skill", "This request is for another skill.")
    if alice.is_ping(body):
        return jsonify(alice.pong(body))
    turn = alice.to_turn(body, shop)
    if services.settings.verify_requests:
        assistant_status.recorder(services).note_accepted(shop, "alice", services.clock(),
                                                          turn.intent, turn.locale)
    reply = handle(turn, services)
    image_id = None
    if reply.image_url and turn.has_screen:
        image_id = _image_id(services, services.shops.read(services.db, shop)[0].id,
                             reply.image_url)
    turn_capture.record([reply])  # the simulator's own request only
    response = jsonify(alice.to_response(reply, turn, body, image_id))
    elapsed = time.perf_counter() - started
    (log.warning if elapsed > BUDGET_SECONDS else log.info)(
        "alice %s %s -> %s in %.1f ms", shop, turn.intent, reply.intent, elapsed * 1000)
    return response


_READY_MAX = 50_000


def _image_id(services: Services, shop_id: int, qr_url: str) -> str | None:
    """The uploaded image for the reply's QR (our own dialog made the URL, so the code is
    ours), from memory once known; otherwise the database, queueing the upload if new."""
    code = qr_url.rsplit("/", 1)[-1].split(".")[0]
    try:
        code = codes.validate(code)
    except codes.InvalidCode:
        return None
    ready = services.alice_ready_images
    known = ready.get((shop_id, code))  # an uploaded image's id never changes
    if known is not None:
        return known
    with services.db.session() as session:
        image_id = alice_images.image_for(session, shop_id, code)
    if image_id is not None:
        if len(ready) >= _READY_MAX:
            ready.clear()
        ready[(shop_id, code)] = image_id
    return image_id
