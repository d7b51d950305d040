"""The same conversations on Dialogflow ES, Dialogflow CX and Alice, in Russian and English,
through the real, verified webhooks (sandbox credentials): share, send to a friend with a
read-back, explain, status and balance, help and stop."""

from __future__ import annotations

import pytest

from core.services import Services
from fulfillment.app import create_app
from fulfillment.simulator.turns import Simulator

PLATFORMS = ["dialogflow-es", "dialogflow-cx", "alice"]

SCRIPT = {
    "ru-RU": {
        "share": ("поделись реферальной программой", "Ваш код:"),
        "sent": "отправила ссылку и QR-код в СМС",
        "offer": "Отправить и другу?",
        "yes": "да", "ask_friend": "Назовите номер телефона или адрес почты друга",
        "friend": "+7 912 345 67 89", "confirm": "Отправить?",
        "done": "приглашение отправляется",
        "explain": ("как работает реферальная программа", "Друг получит скидку 10 %"),
        "status": ("сколько друзей я пригласил", "По вашему коду пока никто"),
        "balance": ("какой у меня баланс", "Наград пока нет"),
        "help": ("помощь", "Скажите:"), "stop": ("стоп", "До свидания"),
    },
    "en-US": {
        "share": ("share the referral program", "Your code is"),
        "sent": "texted your link and QR code",
        "offer": "Send it to a friend too?",
        "yes": "yes", "ask_friend": "What's your friend's phone number or email address?",
        "friend": "my number is 555 555 0123", "confirm": "Shall I send it?",
        "done": "your invite is on its way",
        "explain": ("how does the referral program work", "Your friend gets 10% off"),
        "status": ("how many friends have I invited", "No friends have joined"),
        "balance": ("what is my reward balance", "You have no rewards yet"),
        "help": ("help", "Say: share my code"), "stop": ("stop", "Goodbye"),
    },
}


@pytest.fixture
def simulator(services: Services, demo) -> Simulator:  # type: ignore[no-untyped-def]
    return Simulator(create_app(services=services), services)


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("locale", ["ru-RU", "en-US"])
def test_share_and_send_to_a_friend(simulator, platform, locale):
    script = SCRIPT[locale]
    conv = simulator.start(platform, "demo", locale, screen=True)
    shared = simulator.say(conv, script["share"][0])
    assert shared.status == 200, shared.response
    assert shared.intent == "ShareProgram"
    assert script["share"][1] in shared.speech and script["sent"] in shared.speech
    assert script["offer"] in shared.speech and not shared.end_session
    assert [m["kind"] for m in shared.messages] == ["invite_self"]
    assert shared.link and "/r/" in shared.link
    asked = simulator.say(conv, script["yes"])
    assert script["ask_friend"] in asked.speech
    heard = simulator.say(conv, script["friend"])
    assert script["confirm"] in heard.speech and heard.messages == []
    sent = simulator.say(conv, script["yes"])
    assert script["done"] in sent.speech and sent.end_session
    assert [(m["kind"], m["channel"]) for m in sent.messages] == [("invite_friend", "sms")]


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("locale", ["ru-RU", "en-US"])
@pytest.mark.parametrize("step", ["explain", "status", "balance", "help", "stop"])
def test_explain_status_balance_help_and_stop(simulator, platform, locale, step):
    said, expected = SCRIPT[locale][step]
    conv = simulator.start(platform, "demo", locale)
    result = simulator.say(conv, said)
    assert result.status == 200, result.response
    assert expected in result.speech.replace("\xa0", " "), result.speech
    assert result.end_session is (step == "stop")


def test_alice_answers_what_can_you_do_as_moderation_requires(simulator):
    conv = simulator.start("alice", "demo", "ru-RU")
    result = simulator.say(conv, "что ты умеешь")
    assert result.request["request"]["nlu"]["intents"] == {"YANDEX.WHAT_CAN_YOU_DO":
                                                          {"slots": {}}}
    assert "Скажите:" in result.speech and not result.end_session


def test_alice_tts_is_her_markup_not_ssml(simulator):
    conv = simulator.start("alice", "demo", "ru-RU")
    result = simulator.say(conv, "поделись реферальной программой")
    tts = result.response["response"]["tts"]
    assert "<speak>" not in tts and "say-as" not in tts and "sil <[" in tts
    assert len(result.response["response"]["text"]) <= 1024


def test_an_unknown_voice_user_on_alice_is_paired_first(simulator, services):
    conv = simulator.start("alice", "demo", "ru-RU", user="new")
    result = simulator.say(conv, "поделись реферальной программой")
    assert "привязать это устройство" in result.speech


def test_alice_refuses_another_skills_requests(simulator, services):
    conv = simulator.start("alice", "demo", "ru-RU")
    conv.skill_id = "someone-elses-skill"
    result = simulator.say(conv, "помощь")
    assert result.status == 403


def test_an_unknown_intent_gets_the_fallback_everywhere(simulator):
    for platform in PLATFORMS:
        conv = simulator.start(platform, "demo", "en-US")
        result = simulator.say(conv, "order me a large pizza with olives")
        assert result.intent == "Fallback" and "didn't get that" in result.speech
