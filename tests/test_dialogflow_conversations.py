"""Dialogflow ES and CX as Google sends them, multi-turn, through the verified endpoint: ES
with the header secret and our state in an output context, CX with a service-agent ID token
(signed at test time) and our state in a session parameter. The share turn carries the QR
card and the invite link; a friend's number from @sys.phone-number is read back and sent."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from core.models import Message
from core.services import Services
from fulfillment.app import create_app
from tests.support.google_tokens import GoogleKeys

WORDS = {
    "en-US": {"share": "Your code is", "offer": "Send it to a friend too?",
              "ask": "What's your friend's phone number", "confirm": "Shall I send it?",
              "done": "your invite is on its way", "phone": "+1 212 555 0199",
              "sent_to": "+12125550199"},
    "ru-RU": {"share": "Ваш код:", "offer": "Отправить и другу?",
              "ask": "Назовите номер телефона", "confirm": "Отправить?",
              "done": "приглашение отправляется", "phone": "+7 912 345-67-89",
              "sent_to": "+79123456789"},
}


class Agent:
    """One Dialogflow session on ES or CX, carrying back what our webhook returned."""

    def __init__(self, client: Any, kind: str, locale: str, user: str,
                 headers: dict[str, str]) -> None:
        self.client, self.kind, self.locale, self.user = client, kind, locale, user
        self.headers = headers
        self.session = f"projects/p/agent/sessions/{uuid.uuid4()}"
        self.contexts: list[dict[str, Any]] = []
        self.parameters: dict[str, Any] = {}

    def body(self, intent: str, text: str, parameters: dict[str, Any]) -> dict[str, Any]:
        language = self.locale.split("-")[0]
        if self.kind == "es":
            return {"responseId": str(uuid.uuid4()), "session": self.session,
                    "queryResult": {"queryText": text, "languageCode": language,
                                    "parameters": parameters, "intent": {
                                        "name": "projects/p/agent/intents/1",
                                        "displayName": intent},
                                    "outputContexts": self.contexts},
                    "originalDetectIntentRequest": {"source": "google", "payload": {
                        "user": {"userId": self.user}, "surface": {"capabilities": [
                            {"name": "actions.capability.SCREEN_OUTPUT"}]}}}}
        return {"detectIntentResponseId": str(uuid.uuid4()),
                "intentInfo": {"lastMatchedIntent": "projects/p/intents/1",
                               "displayName": intent, "confidence": 0.9,
                               "parameters": {k: {"originalValue": v, "resolvedValue": v}
                                              for k, v in parameters.items()}},
                "fulfillmentInfo": {"tag": intent},
                "sessionInfo": {"session": self.session, "parameters": self.parameters},
                "text": text, "languageCode": language,
                "payload": {"userId": self.user, "hasScreen": True}}

    def say(self, intent: str, text: str = "", **parameters: Any) -> dict[str, Any]:
        response = self.client.post("/dialogflow/demo", headers=self.headers(),
                                    data=json.dumps(self.body(intent, text, parameters)),
                                    content_type="application/json")
        assert response.status_code == 200, response.get_json()
        out = response.get_json()
        if self.kind == "es":
            self.contexts = out.get("outputContexts") or []
        else:
            self.parameters = {**self.parameters, **out["sessionInfo"]["parameters"]}
        return out


def text_of(out: dict[str, Any]) -> str:
    if "fulfillmentText" in out:
        return out["fulfillmentText"]
    return " ".join(m["text"]["text"][0] for m in out["fulfillmentResponse"]["messages"]
                    if "text" in m)


@pytest.fixture
def keys() -> GoogleKeys:
    return GoogleKeys()


@pytest.fixture
def agent_for(services: Services, demo, keys):  # type: ignore[no-untyped-def]
    services.adapters.google_certs_fetcher = keys.fetch
    client = create_app(services=services).test_client()

    def make(kind: str, locale: str) -> Agent:
        if kind == "es":  # ES agents: the header secret set in the console
            def headers() -> dict[str, str]:
                return {demo["dialogflow"]["es_header"]: demo["dialogflow"]["es_secret"]}
        else:  # CX: a fresh service-agent ID token on every call, as Google does
            def headers() -> dict[str, str]:
                token = keys.token(audience=demo["dialogflow"]["audience"])
                return {"Authorization": f"Bearer {token}"}
        return Agent(client, kind, locale, demo["voice_users"]["google"], headers)

    return make


@pytest.mark.parametrize("kind", ["es", "cx"])
@pytest.mark.parametrize("locale", ["en-US", "ru-RU"])
def test_share_then_send_to_a_friend_with_a_read_back(agent_for, services, kind, locale):
    words = WORDS[locale]
    agent = agent_for(kind, locale)
    shared = agent.say("ShareProgram", "share")
    assert words["share"] in text_of(shared) and words["offer"] in text_of(shared)
    if kind == "es":
        card = next(m["card"] for m in shared["fulfillmentMessages"] if "card" in m)
        assert card["imageUri"].endswith(".png") and "/r/" in card["buttons"][0]["postback"]
        assert shared["payload"]["referrals"]["ssml"].startswith("<speak>")
        assert agent.contexts[0]["lifespanCount"] > 0
    else:
        [rich] = next(m["payload"]["richContent"] for m in
                      shared["fulfillmentResponse"]["messages"] if "payload" in m)
        kinds = {item["type"]: item for item in rich}
        assert kinds["image"]["rawUrl"].endswith(".png") and "/r/" in kinds["button"]["link"]
    assert words["ask"] in text_of(agent.say("Yes", "yes"))
    heard = agent.say("ProvideContact", words["phone"], phone=words["phone"])
    assert words["confirm"] in text_of(heard)
    done = agent.say("Yes", "yes")
    assert words["done"] in text_of(done)
    if kind == "es":
        assert done["outputContexts"][0]["lifespanCount"] == 0
    else:
        assert done["sessionInfo"]["parameters"]["end_session"] is True
    with services.db.session() as session:
        last = session.scalars(select(Message).order_by(Message.id.desc())).first()
        assert (last.kind, last.recipient) == ("invite_friend", words["sent_to"])


@pytest.mark.parametrize("kind", ["es", "cx"])
def test_an_intent_the_agent_has_but_we_do_not_gets_the_fallback(agent_for, kind):
    out = agent_for(kind, "en-US").say("order.pizza", "a large pizza")
    assert "didn't get that" in text_of(out)


def test_a_cx_token_for_another_agent_is_refused_mid_conversation(agent_for, keys, demo,
                                                                  services):
    agent = agent_for("cx", "en-US")
    agent.say("ShareProgram", "share")
    agent.headers = lambda: {"Authorization": "Bearer " + keys.token(
        audience="https://refer.test/dialogflow/other")}
    response = agent.client.post("/dialogflow/demo", headers=agent.headers(),
                                 data=json.dumps(agent.body("Yes", "yes", {})),
                                 content_type="application/json")
    assert response.status_code == 401
