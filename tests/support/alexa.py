"""Alexa request envelopes for tests, and a client that signs them like Amazon does."""

from __future__ import annotations

import html
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def envelope(
    *,
    skill_id: str,
    user_id: str,
    request_type: str = "IntentRequest",
    intent: str | None = None,
    slots: dict[str, str] | None = None,
    locale: str = "en-US",
    attributes: dict[str, Any] | None = None,
    new: bool = False,
    now: datetime,
    screen: bool = False,
    api_endpoint: str = "https://api.amazonalexa.com",
    statuses: dict[str, str] | None = None,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "type": request_type,
        "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
        "timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "locale": locale,
    }
    if intent:
        request["intent"] = {"name": intent, "confirmationStatus": "NONE", "slots": {
            name: {"name": name, "value": value,
                   "confirmationStatus": (statuses or {}).get(name, "NONE")}
            for name, value in (slots or {}).items()}}
    interfaces: dict[str, Any] = {}
    if screen:
        interfaces["Alexa.Presentation.APL"] = {"runtime": {"maxVersion": "2023.3"}}
    application = {"applicationId": skill_id}
    user = {"userId": user_id}
    return {
        "version": "1.0",
        "session": {"new": new, "sessionId": "amzn1.echo-api.session.test",
                    "application": application, "user": user,
                    "attributes": attributes or {}},
        "context": {"System": {"application": application, "user": user,
                               "device": {"deviceId": "amzn1.ask.device.test",
                                          "supportedInterfaces": interfaces},
                               "apiEndpoint": api_endpoint,
                               "apiAccessToken": "test-token"}},
        "request": request,
    }


@dataclass
class AlexaConversation:
    """Posts signed turns to /alexa/<shop>, carrying session attributes like Alexa does."""

    client: Any
    sign: Any  # body bytes -> headers
    skill_id: str
    user_id: str
    clock: Any
    shop: str = "demo"
    locale: str = "en-US"
    screen: bool = False
    attributes: dict[str, Any] = field(default_factory=dict)
    last: dict[str, Any] = field(default_factory=dict)

    def send(self, request_type: str = "IntentRequest", intent: str | None = None,
             statuses: dict[str, str] | None = None, **slots: str) -> dict[str, Any]:
        body = json.dumps(envelope(
            skill_id=self.skill_id, user_id=self.user_id, request_type=request_type,
            intent=intent, slots=slots, locale=self.locale, attributes=self.attributes,
            new=not self.attributes, now=self.clock(), screen=self.screen,
            statuses=statuses)).encode()
        response = self.client.post(f"/alexa/{self.shop}", data=body,
                                    headers={**self.sign(body),
                                             "Content-Type": "application/json"})
        assert response.status_code == 200, response.get_data(as_text=True)
        self.last = response.get_json()
        self.attributes = self.last.get("sessionAttributes") or {}
        return self.last

    def answer_confirmation(self, intent: str, status: str, **slots: str) -> dict[str, Any]:
        """Alexa's request after a Dialog.ConfirmSlot: the same intent, the slot's status
        CONFIRMED or DENIED (Dialog Interface Reference, ConfirmSlot)."""
        return self.send("IntentRequest", intent, statuses={n: status for n in slots},
                         **slots)

    def launch(self) -> dict[str, Any]:
        return self.send("LaunchRequest")

    def say(self, intent: str, **slots: str) -> dict[str, Any]:
        return self.send("IntentRequest", intent, **slots)

    @property
    def ssml(self) -> str:
        return (self.last.get("response", {}).get("outputSpeech") or {}).get("ssml", "")

    @property
    def speech(self) -> str:
        """The SSML with entities decoded and no-break spaces as spaces, for reading."""
        return html.unescape(self.ssml).replace("\xa0", " ")

    @property
    def ends(self) -> bool:
        return bool(self.last.get("response", {}).get("shouldEndSession"))
