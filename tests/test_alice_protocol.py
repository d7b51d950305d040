"""Alice through /alice/<shop> as Yandex sends it: a shop that has not pasted the grammars
into Yandex's console yet gets requests with `command` and no intents, and the local NLU must
carry every intent; YANDEX.* built-ins and YANDEX.NUMBER entities are used when present; the
skill id is checked; pings, malformed bodies and unknown shops get quick, clear answers."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from core.models import Message, Shop
from core.services import Services
from fulfillment.app import create_app
from tests.conftest import PROTOCOL_SAMPLES
from voice.platforms.alice import adapter as alice

SAMPLE = PROTOCOL_SAMPLES / "alice/thirdparty_aleksi_request_simpleutterance_docs2019.json"


class AliceSession:
    """One Yandex session: message ids count up, session_state comes back as state.session."""

    def __init__(self, client: Any, skill_id: str, user_id: str | None, locale: str = "ru-RU",
                 screen: bool = True) -> None:
        self.client, self.skill_id, self.user_id = client, skill_id, user_id
        self.locale, self.screen = locale, screen
        self.session_id, self.message_id, self.state = str(uuid.uuid4()), 0, {}

    def body(self, command: str, *, intents: dict[str, Any] | None = None,
             entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        session: dict[str, Any] = {
            "message_id": self.message_id, "session_id": self.session_id,
            "skill_id": self.skill_id, "new": self.message_id == 0,
            "application": {"application_id": f"app-{self.user_id}"}}
        if self.user_id:
            session["user"] = {"user_id": self.user_id}
        return {"meta": {"locale": self.locale, "timezone": "Europe/Moscow",
                         "client_id": "ru.yandex.searchplugin/7.16 (test)",
                         "interfaces": {"screen": {}} if self.screen else {}},
                "session": session,
                "request": {"command": command.lower(), "original_utterance": command,
                            "type": "SimpleUtterance",
                            "nlu": {"tokens": re.findall(r"\w+", command.lower()),
                                    "entities": entities or [], "intents": intents or {}}},
                "state": {"session": self.state, "user": {}, "application": {}},
                "version": "1.0"}

    def say(self, command: str, **kwargs: Any) -> dict[str, Any]:
        response = self.client.post("/alice/demo", data=json.dumps(self.body(command, **kwargs)),
                                    content_type="application/json")
        assert response.status_code == 200, response.get_data(as_text=True)
        out = response.get_json()
        self.message_id += 1
        self.state = out.get("session_state") or {}
        return out


@pytest.fixture
def client(services: Services, demo):  # type: ignore[no-untyped-def]
    return create_app(services=services).test_client()


@pytest.fixture
def alex(client, demo) -> AliceSession:  # type: ignore[no-untyped-def]
    return AliceSession(client, demo["skill_ids"]["alice"], demo["voice_users"]["alice"])


def text(out: dict[str, Any]) -> str:
    return out["response"]["text"].replace("\xa0", " ")


def assert_valid(out: dict[str, Any]) -> None:
    response = out["response"]
    assert out["version"] == "1.0" and isinstance(response["end_session"], bool)
    assert 0 < len(response["text"]) <= 1024 and len(response["tts"]) <= 1024
    assert "<speak" not in response["tts"] and "<say-as" not in response["tts"]


def number_entities(*values: int) -> list[dict[str, Any]]:
    return [{"type": "YANDEX.NUMBER", "value": v, "tokens": {"start": i + 1, "end": i + 2}}
            for i, v in enumerate(values)]


def test_share_and_send_to_a_friend_on_command_alone(alex, services):
    launch = alex.say("")
    assert_valid(launch)
    assert not launch["response"]["end_session"]
    shared = alex.say("Поделись реферальной программой")
    assert_valid(shared)
    assert "Ваш код:" in text(shared) and "Отправить и другу?" in text(shared)
    [button] = shared["response"]["buttons"]
    assert "/r/" in button["url"] and len(button["title"]) <= 64
    assert "card" not in shared["response"]  # the QR is still being uploaded to Yandex
    asked = alex.say("да")
    assert "Назовите номер телефона или адрес почты друга" in text(asked)
    # Alice hears numbers in groups and hands them over as YANDEX.NUMBER entities
    heard = alex.say("вот 8 912 345 67 89 запиши", entities=number_entities(8, 912, 345, 67, 89))
    assert "Отправить?" in text(heard) and not heard["response"]["end_session"]
    done = alex.say("да")
    assert "приглашение отправляется" in text(done) and done["response"]["end_session"]
    with services.db.session() as session:
        kinds = [(m.kind, m.channel, m.recipient) for m in
                 session.scalars(select(Message).order_by(Message.id))]
    assert kinds[-1] == ("invite_friend", "sms", "+79123456789")


@pytest.mark.parametrize(("locale", "said", "expected", "ends"), [
    ("ru-RU", "как работает реферальная программа", "Друг получит скидку 10 %", False),
    ("ru-RU", "сколько друзей я пригласил", "По вашему коду пока никто", False),
    ("ru-RU", "какой у меня баланс", "Наград пока нет", False),
    ("ru-RU", "помощь", "Скажите:", False),
    ("ru-RU", "стоп", "До свидания", True),
    ("en-US", "how does the referral program work", "Your friend gets 10% off", False),
    ("en-US", "how many friends have I invited", "No friends have joined", False),
    ("en-US", "what is my reward balance", "You have no rewards yet", False),
    ("en-US", "help", "Say: share my code", False),
    ("en-US", "stop", "Goodbye", True),
])
def test_every_other_intent_on_command_alone(client, demo, locale, said, expected, ends):
    session = AliceSession(client, demo["skill_ids"]["alice"], demo["voice_users"]["alice"],
                           locale=locale)
    out = session.say(said)
    assert_valid(out)
    assert expected in text(out) and out["response"]["end_session"] is ends


@pytest.mark.parametrize(("builtin", "command"), [("YANDEX.HELP", "помоги мне пожалуйста"),
                                                  ("YANDEX.WHAT_CAN_YOU_DO", "а ты что умеешь")])
def test_yandex_help_and_what_can_you_do_are_answered_as_moderation_requires(alex, builtin,
                                                                             command):
    out = alex.say(command, intents={builtin: {"slots": {}}})
    assert "Скажите:" in text(out) and not out["response"]["end_session"]


def test_a_number_said_as_words_is_a_friends_phone_too(alex):
    alex.say("отправь приглашение другу")
    heard = alex.say("восемь девятьсот двенадцать триста сорок пять шестьдесят семь "
                     "восемьдесят девять")
    assert "Отправить?" in text(heard)


def test_without_a_user_the_application_id_identifies_the_speaker(client, demo):
    session = AliceSession(client, demo["skill_ids"]["alice"], None)
    body = session.body("поделись реферальной программой")
    body["session"]["application"]["application_id"] = demo["voice_users"]["alice"]
    out = client.post("/alice/demo", json=body).get_json()
    assert "Ваш код:" in text(out)


def test_ping_is_answered_without_the_dialog(client, demo, services):
    session = AliceSession(client, demo["skill_ids"]["alice"], demo["voice_users"]["alice"])
    out = client.post("/alice/demo", json=session.body("ping")).get_json()
    assert out["response"] == {"text": "pong", "end_session": True}
    with services.db.session() as db:
        assert db.scalars(select(Message)).first() is None


@pytest.mark.parametrize("skill_id", ["someone-elses-skill", "", None])
def test_requests_for_another_skill_are_refused_with_403(client, demo, skill_id):
    body = AliceSession(client, "x", demo["voice_users"]["alice"]).body("помощь")
    body["session"]["skill_id"] = skill_id
    response = client.post("/alice/demo", json=body)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "wrong_skill"


@pytest.mark.parametrize(("raw", "reason"), [
    (b"{oops", "not JSON"),
    (b'{"session": {}}', "expected request and session"),
    (b'{"request": "help", "session": {}}', "expected request and session"),
])
def test_malformed_requests_are_a_400_with_the_reason(client, raw, reason):
    response = client.post("/alice/demo", data=raw, content_type="application/json")
    assert response.status_code == 400 and reason in response.get_json()["error"]["message"]


def test_an_unknown_shop_is_a_404(client, demo):
    body = AliceSession(client, demo["skill_ids"]["alice"], "u").body("помощь")
    assert client.post("/alice/nope", json=body).status_code == 404


def test_the_2019_documentation_request_is_answered(client, services, demo):
    body = json.loads(SAMPLE.read_text())
    with services.db.session() as session:  # the sample's skill becomes the demo shop's
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        shop.settings = {**shop.settings, "alice_skill_id": body["session"]["skill_id"]}
    response = client.post("/alice/demo", data=SAMPLE.read_bytes(),
                           content_type="application/json")
    assert response.status_code == 200, response.get_json()
    out = response.get_json()
    assert_valid(out)
    assert out["session"]["user_id"] == body["session"]["user_id"]


def test_the_adapter_reads_the_samples_entities():
    turn = alice.to_turn(json.loads(SAMPLE.read_text()), "demo")
    assert turn.intent == "Fallback"  # pizza is not a referral
    assert turn.slots == {"name": "лев толстой"} and turn.has_screen
    assert turn.voice_user_id and turn.locale == "ru-RU"


def test_numbers_fill_a_code_or_a_phone_only_where_one_is_expected():
    body = json.loads(SAMPLE.read_text())
    body["request"].update(command="вот запиши", nlu={"entities": number_entities(
        8, 912, 345, 67, 89)})
    turn = alice.to_turn(body, "demo")
    assert (turn.intent, turn.slots.get("phone")) == ("ProvideContact", "+79123456789")
    body["request"].update(command="это 427109", nlu={"entities": number_entities(427109)})
    assert alice.to_turn(body, "demo").slots.get("pin") == "427109"
    body["request"].update(command="поделись реферальной программой",
                           nlu={"entities": number_entities(8, 912, 345, 67, 89)})
    turn = alice.to_turn(body, "demo")
    assert turn.intent == "ShareProgram" and "phone" not in turn.slots


def test_a_grammar_match_carries_the_channel_entity_value_id():
    body = json.loads(SAMPLE.read_text())
    body["request"].update(command="пришли ссылку на почту", nlu={"intents": {"ShareProgram": {
        "slots": {"channel": {"type": "Channel", "value": "email",
                              "tokens": {"start": 3, "end": 4}}}}}})
    turn = alice.to_turn(body, "demo")
    assert (turn.intent, turn.slots) == ("ShareProgram", {"channel": "email"})
