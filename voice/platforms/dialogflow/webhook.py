"""Dialogflow ES and CX behind the one webhook (POST /dialogflow/<shop>).

Authentication first (any failure: 401, nothing processed, the body not even parsed), then
the shape (400 with the reason), then the dialog."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from core.models import Shop
from core.services import Services
from voice.platform import Accepted, Answer, AssistantPlatform, Inbound, Refused
from voice.platforms.dialogflow import adapter
from voice.platforms.dialogflow.id_token import (
    AuthFailed,
    CachingCertsRequest,
    check_es_secret,
    fetch_over_https,
    verify_service_agent,
)
from voice.turn import Reply, Turn

log = logging.getLogger(__name__)


def kind_of(raw: bytes, headers: Any) -> str:
    """Which Dialogflow sent a refused request, for its status line, without parsing what
    may be a flood: CX bodies carry `fulfillmentInfo`, ES bodies `queryResult`; else a
    Bearer token means CX."""
    if b'"fulfillmentInfo"' in raw:
        return "dialogflow-cx"
    if b'"queryResult"' in raw:
        return "dialogflow-es"
    bearer = headers.get("Authorization", "").startswith("Bearer ")
    return "dialogflow-cx" if bearer else "dialogflow-es"


class DialogflowPlatform(AssistantPlatform):
    name = "dialogflow"
    budget_seconds = 2.5  # half of Dialogflow's 5 s webhook timeout

    def __init__(self, services: Services) -> None:
        self.certs = CachingCertsRequest(
            services.adapters.google_certs_fetcher or fetch_over_https,
            extra_certs=services.adapters.google_extra_certs)

    def read(self, inbound: Inbound) -> Inbound:
        return inbound  # nothing is read before the caller is known

    def authenticate(self, headers: Any, settings: dict[str, Any]) -> None:
        header = headers.get("Authorization", "")
        if header.startswith("Bearer "):
            verify_service_agent(header[7:].strip(), self.certs,
                                 audience=settings.get("dialogflow_audience"),
                                 service_agent=settings.get("dialogflow_service_agent"))
            return
        if not check_es_secret(headers, settings):
            raise AuthFailed("no valid ID token, header secret or basic auth")

    def verify(self, request: Inbound, inbound: Inbound, shop: Shop, now: datetime) -> None:
        try:
            self.authenticate(inbound.headers, dict(shop.settings or {}))
        except AuthFailed as exc:
            log.warning("refused Dialogflow request for %s: %s", shop.slug, exc)
            raise Refused(401, "unauthenticated", str(exc),
                          variant=kind_of(inbound.body, inbound.headers),
                          status_reason=str(exc)) from exc

    def to_turn(self, request: Inbound, inbound: Inbound, shop: Shop) -> Turn:
        body = inbound.parsed  # the edge parsed it once already
        if body is None:
            try:
                body = json.loads(inbound.body)
            except (ValueError, UnicodeDecodeError) as exc:
                raise Refused(400, "malformed_json", f"The body is not JSON: {exc}") from exc
        try:
            return adapter.to_turn(body, shop.slug, shop.locale)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Refused(400, "unrecognized_request",
                          str(exc) or "The body is not JSON.") from exc

    def accepted(self, request: Inbound, turn: Turn | None) -> Accepted | None:
        if turn is None:
            return None
        return Accepted(f"dialogflow-{turn.platform.get('kind')}", turn.intent, turn.locale)

    def respond(self, reply: Reply, turn: Turn, request: Inbound, shop: Shop) -> Answer:
        return Answer(adapter.to_response(reply, turn))


def platform(services: Services) -> DialogflowPlatform:
    return DialogflowPlatform(services)
