"""Yandex Alice behind the one webhook (POST /alice/<shop>).

Alice signs nothing: the request must name this shop's skill id (else 403) and the URL is
kept secret. Malformed bodies get 400, unknown shops 404; pings are answered at once. The
QR goes out as a BigImage card once Yandex holds the image (core.alice_images uploads it
in a job: nothing slow runs inside Alice's 4.5 s)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from core import alice_images, codes
from core.models import Shop
from core.services import Services
from voice.platform import Accepted, Answer, AssistantPlatform, Inbound, Refused
from voice.platforms.alice import adapter
from voice.turn import Reply, Turn

log = logging.getLogger(__name__)
_READY_MAX = 50_000


class AlicePlatform(AssistantPlatform):
    name = "alice"
    budget_seconds = 1.5  # of Alice's 4.5 s: anything slower (image uploads) runs in a job

    def __init__(self, services: Services) -> None:
        self.services = services

    def read(self, inbound: Inbound) -> dict[str, Any]:
        body = inbound.parsed  # the edge parsed it once already
        if body is None:
            try:
                body = json.loads(inbound.body)
            except (ValueError, UnicodeDecodeError) as exc:
                raise Refused(400, "malformed_json", f"The body is not JSON: {exc}") from exc
        try:
            adapter.check_shape(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Refused(400, "unrecognized_request",
                          str(exc) or "The body is not JSON.") from exc
        return body  # type: ignore[no-any-return]

    def verify(self, request: dict[str, Any], inbound: Inbound, shop: Shop,
               now: datetime) -> None:
        found = shop.setting("alice_skill_id")
        skill_id = str(found) if found else None
        if not skill_id or request["session"].get("skill_id") != skill_id:
            log.warning("refused Alice request for %s: skill id mismatch", shop.slug)
            reason = ("this shop has no Alice skill id configured" if not skill_id else
                      "skill id mismatch: the request names another skill")
            raise Refused(403, "wrong_skill", "This request is for another skill.",
                          variant="alice", status_reason=reason)

    def to_turn(self, request: dict[str, Any], inbound: Inbound, shop: Shop) -> Turn | Answer:
        if adapter.is_ping(request):
            return Answer(adapter.pong(request))
        return adapter.to_turn(request, shop.slug, (shop.name, shop.invocation_name, shop.slug))

    def accepted(self, request: dict[str, Any], turn: Turn | None) -> Accepted | None:
        """A ping is not noted."""
        return Accepted("alice", turn.intent, turn.locale) if turn is not None else None

    def respond(self, reply: Reply, turn: Turn, request: dict[str, Any], shop: Shop) -> Answer:
        image_id = None
        if reply.image_url and turn.has_screen:
            image_id = self._image_id(shop.id, reply.image_url)
        return Answer(adapter.to_response(reply, turn, request, image_id))

    def _image_id(self, shop_id: int, qr_url: str) -> str | None:
        """The uploaded image for the reply's QR (our own dialog made the URL, so the code
        is ours), from memory once known; otherwise the database, queueing the upload if
        new."""
        code = qr_url.rsplit("/", 1)[-1].split(".")[0]
        try:
            code = codes.validate(code)
        except codes.InvalidCode:
            return None
        ready = self.services.alice_ready_images
        known = ready.get((shop_id, code))  # an uploaded image's id never changes
        if known is not None:
            return known
        with self.services.db.session() as session:
            image_id = alice_images.image_for(session, shop_id, code)
        if image_id is not None:
            if len(ready) >= _READY_MAX:
                ready.clear()
            ready[(shop_id, code)] = image_id
        return image_id


def platform(services: Services) -> AlicePlatform:
    return AlicePlatform(services)
