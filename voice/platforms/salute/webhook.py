"""Sber Salute behind the one webhook (POST /salute/<shop>/<token>).

Salute signs nothing (no signature, header or IP list is documented), so a request must come
to the shop's secret URL (its path token, rotatable on the connect page) and name the shop's
SmartApp Studio project; either wrong, it is refused (403) before the dialog runs, and
nothing is written. The platform carries no dialog state between turns (unlike Alice's
session_state), so each caller's state is kept in the database (core.voice_sessions) for
Salute's 10-minute session: the next turn may land on any worker."""

from __future__ import annotations

import hmac
import json
import logging
from datetime import datetime, timedelta
from typing import Any

from core.assistant_setup import path_token, path_token_setting
from core.models import Shop
from core.services import Services
from core.voice_sessions import VoiceSessions
from voice.platform import Accepted, Answer, AssistantPlatform, Inbound, Refused
from voice.platforms.salute import adapter
from voice.turn import SESSION_ENDED, Reply, Turn

log = logging.getLogger(__name__)
SESSION = timedelta(minutes=10)  # Salute starts a new session after 10 idle minutes
MAX_OPENED = 20_000
PROJECT_SETTING = "salute_project_id"


class SalutePlatform(AssistantPlatform):
    name = "salute"
    budget_seconds = 1.5  # of Salute's 7 s

    def __init__(self, services: Services) -> None:
        self.services = services
        self.sessions = VoiceSessions(services, self.name, SESSION)
        self._opened: dict[str, str | None] = {}  # sealed token -> token (decrypted once)

    def read(self, inbound: Inbound) -> dict[str, Any]:
        body = inbound.parsed
        if body is None:
            try:
                body = json.loads(inbound.body)
            except (ValueError, UnicodeDecodeError) as exc:
                raise Refused(400, "malformed_json", f"The body is not JSON: {exc}") from exc
        try:
            adapter.check_shape(body)
        except ValueError as exc:
            raise Refused(400, "unrecognized_request", str(exc)) from exc
        return body  # type: ignore[no-any-return]

    def verify(self, request: dict[str, Any], inbound: Inbound, shop: Shop,
               now: datetime) -> None:
        expected = self._token(shop)
        given = inbound.path_token or ""
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            log.warning("refused Salute request for %s: wrong path token", shop.slug)
            reason = ("this shop has no Salute webhook URL yet" if not expected else
                      "wrong path token: the request came to an old or guessed URL")
            raise Refused(403, "wrong_token", "This URL is not this shop's Salute webhook.",
                          variant="salute", status_reason=reason)
        project = str(shop.setting(PROJECT_SETTING) or "")
        if not project or adapter.project_id(request) != project:
            log.warning("refused Salute request for %s: project id mismatch", shop.slug)
            reason = ("this shop has no SmartApp Studio project id configured" if not project
                      else "projectId mismatch: the request names another SmartApp project")
            raise Refused(403, "wrong_project", "This request is for another smartapp.",
                          variant="salute", status_reason=reason)

    def _token(self, shop: Shop) -> str | None:
        """The shop's current path token; a sealed value opens to the same token for ever,
        so each is decrypted once (a rotation seals a new one)."""
        sealed = shop.setting(path_token_setting(self.name))
        if not isinstance(sealed, str) or not sealed:
            return None
        if sealed not in self._opened:
            if len(self._opened) >= MAX_OPENED:
                self._opened.clear()
            self._opened[sealed] = path_token({path_token_setting(self.name): sealed},
                                              self.services.box, self.name)
        return self._opened[sealed]

    def _save(self, request: dict[str, Any], shop: Shop, state: dict[str, Any]) -> None:
        self.sessions.save(shop.id, *_caller(request), state)

    def to_turn(self, request: dict[str, Any], inbound: Inbound, shop: Shop) -> Turn | Answer:
        fresh = bool(request["payload"].get("new_session")) or adapter.is_launch(request)
        state = {} if fresh else self.sessions.load(shop.id, *_caller(request))
        turn = adapter.to_turn(request, shop.slug, state,
                               (shop.name, shop.invocation_name, shop.slug))
        if turn is None:
            return Answer(adapter.nothing_found(request), one_line=True)
        if turn.intent == SESSION_ENDED:
            self._save(request, shop, {})
            return Answer(adapter.closed(request), one_line=True)
        return turn

    def accepted(self, request: dict[str, Any], turn: Turn | None) -> Accepted | None:
        return Accepted("salute", turn.intent if turn is not None else
                        str(request.get("messageName")), adapter.LOCALE)

    def respond(self, reply: Reply, turn: Turn, request: dict[str, Any], shop: Shop) -> Answer:
        self._save(request, shop, {} if reply.end_session else dict(reply.session))
        return Answer(adapter.to_response(reply, turn, request), one_line=True)

    def apology(self, request: Any, turn: Turn | None, error: Exception) -> Answer | None:
        log.exception("Salute turn failed", exc_info=error)
        return Answer(adapter.apology(request), one_line=True)


def _caller(request: dict[str, Any]) -> tuple[str, str]:
    """Who speaks (an anonymous caller is known by the session alone) and in which session."""
    session_id = str(request.get("sessionId") or "")
    return adapter.user_of(request) or f"session:{session_id}", session_id


def platform(services: Services) -> SalutePlatform:
    return SalutePlatform(services)
