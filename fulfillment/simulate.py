"""Simulation through the real path: a genuine platform request, signed or authenticated
with the sandbox credentials (which exist only in sandbox mode), posted to the same webhook
the assistant calls; back come the platform's response, the neutral Reply and the messages
the turn queued (captured by the sandbox channel, never sent)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from core import referrals
from core.errors import Forbidden, NotFound
from core.models import Customer, Message, VoiceIdentity
from core.services import Services
from fulfillment.sandbox_keys import sandbox_keys
from voice.nlu import understand
from voice.simulation.requests import (
    ENDPOINTS,
    PLATFORMS,
    Conversation,
    Utterance,
    build,
    read,
)
from voice.turn import LAUNCH, Reply

ASSISTANT = {"alexa": "alexa", "dialogflow-es": "google", "dialogflow-cx": "google",
             "alice": "alice"}


@dataclass
class SimulationResult:
    utterance: str
    intent: str
    slots: dict[str, str]
    score: float
    near_misses: list[tuple[str, float]]
    speech: str
    markup: str
    end_session: bool
    card: dict[str, Any] | None
    image: str | None
    link: str | None
    messages: list[dict[str, Any]]
    request: dict[str, Any]
    response: dict[str, Any]
    status: int
    handled_intent: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"utterance": self.utterance, "intent": self.intent, "slots": self.slots,
                "score": self.score, "near_misses": self.near_misses, "speech": self.speech,
                "ssml": self.markup, "end_session": self.end_session, "card": self.card,
                "qr": self.image, "link": self.link, "messages": self.messages,
                "request": self.request, "response": self.response, "status": self.status,
                "handled_intent": self.handled_intent}


@dataclass
class Simulator:
    app: Flask
    services: Services
    replies: list[Reply] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.services.settings.messaging_mode != "sandbox" or sandbox_keys(
                self.services) is None:
            raise Forbidden("Simulation needs sandbox mode (MESSAGING_MODE=sandbox).",
                            code="not_sandbox")
        self.services.extras["reply_sink"] = self.replies
        self.client = self.app.test_client()

    def start(self, platform: str, shop: str, locale: str, user: str = "alex",
              screen: bool = False) -> Conversation:
        if platform not in PLATFORMS:
            raise NotFound(f"Unknown platform {platform!r}; choose from {PLATFORMS}.",
                           code="unknown_platform")
        with self.services.db.session() as session:
            found = referrals.shop_by_slug(session, shop)
            skill = found.setting("alice_skill_id" if platform == "alice" else
                                  "alexa_skill_id") or ""
            user_id = self._voice_user(session, found.id, ASSISTANT[platform], user)
        return Conversation(platform, shop, locale, user_id, skill, screen)

    @staticmethod
    def _voice_user(session: Any, shop_id: int, assistant: str, user: str) -> str:
        """`alex` -> that customer's voice id (made if missing); `new` -> an unknown one."""
        if user in ("new", "anonymous", ""):
            return f"sandbox-new-{assistant}-{shop_id}"
        customer = session.scalar(select(Customer).where(Customer.shop_id == shop_id,
                                                         Customer.external_id == user))
        if customer is None:
            raise NotFound(f"No customer {user!r} in this shop.", code="unknown_customer")
        identity = session.scalar(select(VoiceIdentity).where(
            VoiceIdentity.customer_id == customer.id, VoiceIdentity.assistant == assistant))
        if identity is None:
            identity = VoiceIdentity(shop_id=shop_id, assistant=assistant,
                                     assistant_user_id=f"sandbox-{assistant}-{customer.id}",
                                     customer_id=customer.id)
            session.add(identity)
        return identity.assistant_user_id

    def say(self, conv: Conversation, text: str) -> SimulationResult:
        if text.strip():
            understood = understand(text, conv.locale)
            said = Utterance(text, understood.intent, dict(understood.slots))
            score, near = understood.score, [list(n) for n in understood.near_misses]
        else:
            said, score, near = Utterance("", LAUNCH), 1.0, []
        body = build(conv, said, self.services.clock())
        raw = json.dumps(body, ensure_ascii=False).encode()
        before = self._last_message_id()
        self.replies.clear()
        response = self.client.post(ENDPOINTS[conv.platform].format(shop=conv.shop), data=raw,
                                    headers=self._auth(conv, raw),
                                    content_type="application/json")
        payload = response.get_json(silent=True) or {}
        answer = read(conv, payload) if response.status_code == 200 else None
        return SimulationResult(
            utterance=text, intent=said.intent, slots=said.slots, score=score,
            near_misses=near, speech=answer.speech if answer else "",
            markup=answer.markup if answer else "", end_session=bool(answer and
                                                                     answer.end_session),
            card=answer.card if answer else None, image=answer.image if answer else None,
            link=answer.link if answer else None, messages=self._messages_after(before),
            request=body, response=payload, status=response.status_code,
            handled_intent=self.replies[-1].intent if self.replies else "")

    def _auth(self, conv: Conversation, raw: bytes) -> dict[str, str]:
        keys = sandbox_keys(self.services)
        assert keys is not None
        if conv.platform == "alexa":
            return keys.alexa_headers(raw)
        if conv.platform.startswith("dialogflow"):
            with self.services.db.session() as session:
                shop = referrals.shop_by_slug(session, conv.shop)
                audience = shop.setting("dialogflow_audience") or ""
                agent = shop.setting("dialogflow_service_agent") or ""
            return {"Authorization": f"Bearer {keys.google_id_token(audience, agent)}"}
        return {}

    def _last_message_id(self) -> int:
        with self.services.db.session() as session:
            return session.scalar(select(func.max(Message.id))) or 0

    def _messages_after(self, message_id: int) -> list[dict[str, Any]]:
        with self.services.db.session() as session:
            rows = session.scalars(select(Message).where(Message.id > message_id)
                                   .order_by(Message.id)).all()
            return [{"id": m.id, "kind": m.kind, "channel": m.channel, "to": m.recipient,
                     "status": m.status, "context": m.context} for m in rows]
