"""'How many friends joined?' and 'What is my balance?' come from the ledger and are said
with the right plural and currency in each language."""

from __future__ import annotations

from typing import Any

import pytest

from core.rewards import release_due as release_once
from core.services import Services
from tests.support.events import ShopBackend
from voice.dialog import handle
from voice.turn import Turn


def ask(services: Services, demo: dict[str, Any], intent: str, locale: str) -> str:
    turn = Turn(assistant="alice", locale=locale, shop_slug="demo",
                voice_user_id=demo["voice_users"]["alice"], intent=intent)
    return handle(turn, services).speech.to_plain().replace("\xa0", " ")


@pytest.fixture
def shop(client, demo, clock) -> ShopBackend:  # type: ignore[no-untyped-def]
    return ShopBackend(client, demo["webhook_secret"], clock)


def friends_join(shop: ShopBackend, demo: dict[str, Any], n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        shop.signup(f"friend-{i}", demo["code"], email=f"friend{i}@example.org")


def test_nobody_joined_yet_is_said_plainly(services, demo):
    assert "No friends have joined" in ask(services, demo, "MyReferrals", "en-US")
    assert "Наград пока нет" in ask(services, demo, "RewardBalance", "ru-RU")


@pytest.mark.parametrize("joined, english, russian", [
    (1, "1 friend has joined", "присоединился 1 друг"),
    (2, "2 friends have joined", "присоединились 2 друга"),
    (5, "5 friends have joined", "присоединились 5 друзей"),
])
def test_friends_are_counted_with_the_right_plural(services, demo, shop, joined, english,
                                                   russian):
    friends_join(shop, demo, joined)
    assert english in ask(services, demo, "MyReferrals", "en-US")
    assert russian in ask(services, demo, "MyReferrals", "ru-RU")


def test_the_balance_moves_from_on_hold_to_ready_as_the_window_passes(services, demo, shop,
                                                                      clock):
    friends_join(shop, demo, 2)
    shop.order("friend-0", "o-0", 6000)
    shop.order("friend-1", "o-1", 6000)
    release_once(services)
    said = ask(services, demo, "RewardBalance", "en-US")
    assert "$20 is on hold" in said
    assert "20 $ werden nach Ablauf der Rückgabefrist freigegeben" in ask(
        services, demo, "RewardBalance", "de-DE")
    clock.advance(days=15)
    release_once(services)
    assert "$20 is ready to use" in ask(services, demo, "RewardBalance", "en-US")
    status = ask(services, demo, "MyReferrals", "ru-RU")
    assert "Из них 2 сделали заказ" in status and "20 $ можно потратить" in status
