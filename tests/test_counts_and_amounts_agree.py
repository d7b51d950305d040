"""Counts and amounts agree (issue 25): when fraud rules flag a referral whose friend then
orders, "how many friends joined" counts that order and says its reward waits for the check,
instead of "1 of them placed an order" next to the money of two orders."""

from __future__ import annotations

from typing import Any

import pytest

from core.services import Services
from fulfillment.app import create_app
from fulfillment.simulator.sandbox_keys import sandbox_keys
from tests.support.alexa import AlexaConversation
from tests.support.events import ShopBackend


@pytest.fixture
def shop(client, demo: dict[str, Any], clock) -> ShopBackend:  # type: ignore[no-untyped-def]
    return ShopBackend(client, demo["webhook_secret"], clock)


@pytest.mark.parametrize("locale, ordered, checked", [
    ("en-US", "2 of them have placed an order", "$10 waits while 1 order is checked"),
    ("de-DE", "2 davon haben bestellt", "gibt es, sobald 1 Bestellung geprüft ist"),
    ("ru-RU", "Из них 2 сделали заказ", "после проверки 1 заказа"),
])
def test_a_flagged_order_is_counted_and_its_reward_said_as_waiting_for_the_check(
        shop: ShopBackend, services: Services, demo: dict[str, Any], clock: Any,
        locale: str, ordered: str, checked: str) -> None:
    shop.signup("fine", demo["code"], email="fine@example.org")
    flagged = shop.signup("temp", demo["code"], email="x@mailinator.com").get_json()
    assert flagged["result"]["status"] == "flagged"
    shop.order("fine", "o-1", 6000)
    shop.order("temp", "o-2", 6000)
    keys = sandbox_keys(services)
    assert keys is not None
    talk = AlexaConversation(client=create_app(services=services).test_client(),
                             sign=keys.alexa_headers, skill_id=demo["skill_ids"]["alexa"],
                             user_id=demo["voice_users"]["alexa"], clock=clock, locale=locale)
    talk.say("MyReferrals")
    assert ordered in talk.speech, talk.speech
    assert checked in talk.speech, talk.speech
