"""Every reply stays under its platform's limits, however long the shop's name and terms:
Alexa speech 8,000 characters and the response 24 KB, Dialogflow ES 64 KiB, Alice text and
TTS 1,024 characters and a button title 64 (docs/platform-reference.md)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.models import Program, Shop
from fulfillment.app import create_app
from fulfillment.simulator.turns import Simulator
from voice.simulation.requests import PLATFORMS

LONG_NAME = ("Ü&<Very> " * 40)[:200]
TURNS = {"en-US": ["", "yes", "how does it work", "help", "415 555 0199", "what",
                   "send my invite to a friend", "pat at example dot org", "yes"],
         "ru-RU": ["", "да", "как это работает", "помощь", "+7 916 123 45 67", "повтори",
                   "отправь приглашение другу", "маша собака яндекс точка ру", "да"]}


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("locale", ["en-US", "ru-RU"])
def test_every_reply_fits_the_platform_with_a_long_shop_name(services, demo, platform,
                                                              locale):
    if platform == "alexa" and locale == "ru-RU":
        pytest.skip("Alexa has no Russian")
    with services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        shop.name = LONG_NAME
        for program in session.scalars(select(Program).where(Program.shop_id == shop.id)):
            program.referrer_reward_amount = 10 ** 15  # the longest amounts said aloud
            program.min_order_amount = 10 ** 15
    services.shops.forget("demo")  # the dialog reads the renamed shop at once
    simulator = Simulator(create_app(services=services), services)
    conv = simulator.start(platform, "demo", locale, screen=True)
    spoke_the_name = False
    for said in TURNS[locale]:
        result = simulator.say(conv, said)
        spoke_the_name |= "Ü&<Very>" in result.speech
        assert result.status == 200, (said, result.response)
        size = len(json.dumps(result.response, ensure_ascii=False).encode())
        if platform == "alexa":
            ssml = result.response["response"]["outputSpeech"]["ssml"]
            assert len(ssml) <= 8000 and size <= 24 * 1024, said
        elif platform == "alice":
            answer = result.response["response"]
            assert len(answer["text"]) <= 1024 and len(answer["tts"]) <= 1024, said
            assert all(len(b["title"]) <= 64 for b in answer.get("buttons", []))
        else:
            assert size <= 64 * 1024, said
        assert result.speech, said
    assert spoke_the_name  # the long name really was in the replies
