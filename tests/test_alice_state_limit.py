"""Alice's session_state stays inside Yandex's 1 KB (issue 26, item 14: 1,215 bytes with a
300-character Russian terms sentence, because the state keeps the whole last speech for
"repeat"). Tested at the longest settings a shop may save."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core import programs
from core.models import Shop
from tests.test_alice_protocol import AliceSession, client  # noqa: F401 (fixture)
from voice.platforms.alice.adapter import MAX_SESSION_STATE, fit_session_state, state_size

TERMS_RU = ("Приведите друга и получите подарок, когда он оформит первый заказ в нашем "
            "магазине; предложение действует для всех покупателей, кроме сотрудников, "
            "не суммируется с другими скидками и акциями, распространяется только на "
            "товары из основного каталога и продлится до конца текущего календарного года ")
# The longest in bytes too: a shop may decorate its terms (emoji take 4 bytes in UTF-8).
TERMS_RU = (TERMS_RU.replace(", ", " 🎁🎁 ").replace(" и ", " 🎁 и 🎁 ")
            .replace("; ", " —🎁— ")) * 2
TERMS_RU = TERMS_RU[:programs.MAX_TERMS].rstrip()


@pytest.fixture
def longest_shop(services, demo) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == demo["shop"]))
        shop.name = ("Книжный магазин у старого моста " * 8)[:200]
        programs.save_version(session, shop, {  # every part the terms speech can have
            "terms": {"ru": TERMS_RU}, "referrer_reward_kind": "fixed_discount",
            "referrer_reward_amount": 987_654_321_00, "friend_reward_kind": "fixed_discount",
            "friend_reward_amount": 123_456_789_00, "min_order_amount": 555_555_555_00,
            "hold_days": 90, "cap_per_referrer_month": 999, "level2_percent": 50})
    services.shops.forget(demo["shop"])
    return demo


def test_the_state_stays_under_one_kilobyte_at_the_longest_settings(client, longest_shop,  # noqa: F811
                                                                    services) -> None:
    assert len(TERMS_RU) >= programs.MAX_TERMS - 1
    alex = AliceSession(client, longest_shop["skill_ids"]["alice"],
                        longest_shop["voice_users"]["alice"])
    sizes = []
    for said in ("", "как работает реферальная программа", "повтори", "поделись программой",
                 "повтори", "помощь", "отправь приглашение другу"):
        out = alex.say(said)
        sizes.append(state_size(out["session_state"]))
    assert max(sizes) <= MAX_SESSION_STATE, sizes
    explained = alex.say("как работает реферальная программа")
    repeated = alex.say("повтори")
    assert "987" in explained["response"]["text"]  # the amounts are said, and
    assert TERMS_RU[:40] not in explained["response"]["text"]  # the shop's words not in full
    assert repeated["response"]["text"][:30] == explained["response"]["text"][:30]


def test_any_state_is_fitted_and_the_codes_digits_survive() -> None:
    state = {"dialog": {"awaiting": "friend_confirm", "after_pairing": "SendToFriend",
                        "contact": {"kind": "email", "value": "a" * 300 + "@example.com"},
                        "heard": "ж" * 500, "retries": 1, "channel": "email",
                        "last": [["say", "ш" * 900], ["digits", ["4271", "38"]],
                                 ["say", "щ" * 400], ["spell", "ALEX"]],
                        "pending": {"weekday": "э" * 500}}}
    assert state_size(state) > MAX_SESSION_STATE
    fitted = fit_session_state(state)
    assert state_size(fitted) <= MAX_SESSION_STATE
    assert fitted["dialog"]["awaiting"] == "friend_confirm"
    small = {"dialog": {"awaiting": None, "last": [["say", "Привет"]]}}
    assert fit_session_state(small) == small
