"""Simulation through the real path: a genuine platform request, signed or authenticated
with the sandbox credentials (which exist only in sandbox mode), posted to the same webhook
the assistant calls; back come the platform's response, the neutral Reply and the messages
the turn queued (captured by the sandbox channel, never sent).

The Reply and the turn's message ids travel back in a `TurnCapture` placed in that one
request's WSGI environ (fulfillment.webhooks.turn_capture): nothing process-global, so concurrent
simulations (two shops' staff in the console) never see each other's turns. The messages
shown are exactly the rows the turn's Replies name, and only the simulated shop's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Flask

from core import simulation
from core.assistants import of_variant
from core.errors import NotFound
from core.services import Services
from fulfillment.simulator.sandbox_keys import sandbox_keys
from fulfillment.webhooks.turn_capture import TurnCapture
from voice.nlu import understand
from voice.simulation.requests import (
    ENDPOINTS,
    PLATFORMS,
    Conversation,
    Utterance,
    build,
    headers,
    read,
)
from voice.turn import LAUNCH, Reply


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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimulationResult:
        """Back from `as_dict` (the console keeps its turns in the database)."""
        return cls(utterance=data["utterance"], intent=data["intent"], slots=data["slots"],
                   score=data["score"], near_misses=data["near_misses"],
                   speech=data["speech"], markup=data["ssml"],
                   end_session=data["end_session"], card=data["card"], image=data["qr"],
                   link=data["link"], messages=data["messages"], request=data["request"],
                   response=data["response"], status=data["status"],
                   handled_intent=data.get("handled_intent", ""))


@dataclass
class Simulator:
    app: Flask
    services: Services

    def __post_init__(self) -> None:
        """No switch needed: the simulator's requests never leave this process and are
        trusted only as such (fulfillment.webhooks.turn_capture); what they queue goes to
        the sandbox channel, never a real one."""
        self.client = self.app.test_client()

    def start(self, platform: str, shop: str, locale: str, user: str = "alex",
              screen: bool = False) -> Conversation:
        if platform not in PLATFORMS:
            raise NotFound(f"Unknown platform {platform!r}; choose from {PLATFORMS}.",
                           code="unknown_platform")
        assistant = of_variant(platform)
        who = simulation.caller(self.services, shop, assistant=assistant.speaker,
                                skill_setting=assistant.skill_id_setting or "", user=user)
        token = simulation.path_token(self.services, shop, assistant.name) \
            if assistant.path_token else ""
        return Conversation(platform, shop, locale, who.voice_user, who.skill_id, screen,
                            path_token=token)

    def say(self, conv: Conversation, text: str,
            headers: dict[str, str] | None = None) -> SimulationResult:
        """`headers` replace the sandbox's credentials (the connect page tests a shop's own
        Dialogflow ES header secret with them)."""
        if text.strip():
            understood = understand(text, conv.locale)
            said = Utterance(text, understood.intent, dict(understood.slots))
            score, near = understood.score, list(understood.near_misses)
        else:
            said, score, near = Utterance("", LAUNCH), 1.0, []
        body = build(conv, said, self.services.clock())
        raw = json.dumps(body, ensure_ascii=False).encode()
        capture = TurnCapture(trusted=headers is None)  # a shop's own secret is verified
        auth = headers if headers is not None else self._auth(conv, raw)
        path = ENDPOINTS[conv.platform].format(shop=conv.shop, token=conv.path_token)
        response = self.client.post(path, data=raw,
                                    headers=auth,
                                    content_type="application/json",
                                    environ_overrides=capture.environ())
        replies: list[Reply] = capture.replies
        payload = response.get_json(silent=True) or {}
        answer = read(conv, payload) if response.status_code == 200 else None
        return SimulationResult(
            utterance=text, intent=said.intent, slots=said.slots, score=score,
            near_misses=near, speech=answer.speech if answer else "",
            markup=answer.markup if answer else "", end_session=bool(answer and
                                                                     answer.end_session),
            card=answer.card if answer else None, image=self._image(answer, replies),
            link=answer.link if answer else None,
            messages=simulation.turn_messages(self.services, conv.shop,
                                              capture.message_ids),
            request=body, response=payload, status=response.status_code,
            handled_intent=replies[-1].intent if replies else "")

    @staticmethod
    def _image(answer: Any, replies: list[Reply]) -> str | None:
        """The image the device shows: the platform's own URL, or for Alice's BigImage card
        (an image id Yandex holds) the QR we uploaded under that id."""
        if answer is None:
            return None
        if answer.image is None and (answer.card or {}).get("image_id") and replies:
            return replies[-1].image_url
        return str(answer.image) if answer.image else None

    def _auth(self, conv: Conversation, raw: bytes) -> dict[str, str]:
        """The request signed as the platform would sign it when the sandbox keys exist
        (SANDBOX=1: shown in the console's request JSON); none needed otherwise."""
        keys = sandbox_keys(self.services)
        return headers(conv, raw, keys, self.services) if keys is not None else {}
