"""An assistant says the QR is on the screen only in an answer that shows it: Alice only once
Yandex holds the image (BigImage card), Alexa only with the APL document, Dialogflow only with
the image in its card / rich content; Repeat shows nothing, so it does not say so either."""

from __future__ import annotations

import pytest

from core import alice_images
from core.demo import demo_secrets
from core.services import Services
from fulfillment.app import create_app
from fulfillment.simulator.turns import Simulator
from tests.support.fake_yandex import fake_dialogs
from voice.platforms.alice import adapter as alice
from voice.platforms.dialogflow import adapter as dialogflow
from voice.turn import Reply, ScreenRemark, Speech, Turn

ON_SCREEN = {"en": "on the screen", "ru": "на экране"}


@pytest.fixture
def simulator(services: Services, demo) -> Simulator:  # type: ignore[no-untyped-def]
    return Simulator(create_app(services=services), services)


def alice_says(response: dict) -> str:
    return response["response"]["text"] + " " + response["response"]["tts"]


def test_alice_on_a_screen_does_not_mention_the_screen_until_the_image_is_uploaded(
        simulator, services):
    with fake_dialogs(demo_secrets(services)["alice_oauth_token"]) as yandex:
        services.adapters.yandex_dialogs_url = yandex.url
        first = simulator.say(simulator.start("alice", "demo", "ru-RU", screen=True),
                              "поделись реферальной программой")
        assert "card" not in first.response["response"]
        assert ON_SCREEN["ru"] not in alice_says(first.response)
        assert "Ваш код" in first.response["response"]["text"]  # the rest is still said
        assert alice_images.upload_pending(services) == 1
        again = simulator.say(simulator.start("alice", "demo", "ru-RU", screen=True),
                              "поделись реферальной программой")
        assert again.response["response"]["card"]["type"] == "BigImage"
        assert ON_SCREEN["ru"] in again.response["response"]["text"]
        assert ON_SCREEN["ru"] in again.response["response"]["tts"]


def test_alice_without_a_screen_never_mentions_one(simulator):
    result = simulator.say(simulator.start("alice", "demo", "ru-RU", screen=False),
                           "поделись реферальной программой")
    assert ON_SCREEN["ru"] not in alice_says(result.response)


@pytest.mark.parametrize("platform", ["alexa", "dialogflow-es", "dialogflow-cx"])
def test_a_screen_answer_mentions_the_screen_with_its_image_and_repeat_does_not(
        simulator, platform):
    conv = simulator.start(platform, "demo", "en-US", screen=True)
    shared = simulator.say(conv, "share the referral program")
    assert shared.image and ON_SCREEN["en"] in shared.speech
    repeated = simulator.say(conv, "repeat that")
    assert repeated.intent == "Repeat" and repeated.image is None
    assert "Your code is" in repeated.speech and ON_SCREEN["en"] not in repeated.speech


@pytest.mark.parametrize("platform", ["alexa", "dialogflow-es", "dialogflow-cx"])
def test_without_a_screen_there_is_no_image_and_no_mention(simulator, platform):
    result = simulator.say(simulator.start(platform, "demo", "en-US", screen=False),
                           "share the referral program")
    assert result.image is None and ON_SCREEN["en"] not in result.speech


def remark_reply(image_url: str | None) -> Reply:
    return Reply(speech=Speech.of("Your code is 123.", ScreenRemark("It is on the screen.")),
                 image_url=image_url, card_title="Invite")


def test_the_adapters_drop_a_screen_remark_from_an_answer_without_the_image():
    turn = Turn(assistant="alice", locale="ru-RU", shop_slug="demo", voice_user_id="u",
                intent="ShareProgram", has_screen=True)
    body = {"session": {"session_id": "s", "message_id": 1}, "request": {}}
    assert "screen" not in alice_says(alice.to_response(remark_reply("https://q"), turn, body))
    shown = alice.to_response(remark_reply("https://q"), turn, body, image_id="1/img")
    assert "screen" in shown["response"]["text"] and shown["response"]["card"]
    for kind in ("es", "cx"):
        df = Turn(assistant="google", locale="en-US", shop_slug="demo", voice_user_id="u",
                  intent="ShareProgram", has_screen=True, platform={"kind": kind})
        assert "screen" not in str(dialogflow.to_response(remark_reply(None), df))
        with_image = str(dialogflow.to_response(remark_reply("https://q.png"), df))
        assert "on the screen" in with_image and "https://q.png" in with_image
