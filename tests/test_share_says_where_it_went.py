"""Issue 27: a customer whose own confirmed phone or email got their invite hears where it
went (never the masked address read aloud) and is never told to write the code down; "write
it down" is only for when nothing could be sent. Real conversations through the verified
webhooks of Alexa, Dialogflow ES and Alice (fulfillment.simulator), in en, de and ru."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.models import Customer, Shop
from core.services import Services
from fulfillment.app import create_app
from fulfillment.simulator.conversations import produced
from fulfillment.simulator.turns import SimulationResult, Simulator

PLATFORMS = ("alexa", "dialogflow-es", "alice")
LOCALES = ("en-US", "de-DE", "ru-RU")
SHARE = {"en-US": "share the referral program", "de-DE": "teile das Empfehlungsprogramm",
         "ru-RU": "поделись реферальной программой"}
# The catalogs' words (voice/locale/*/messages.po) for "write the code down" and for where
# the message went.
WRITE_DOWN = {"en-US": "write the code down", "de-DE": "notieren Sie sich den Code",
              "ru-RU": "запишите код"}
TEXTED = {"en-US": "texted", "de-DE": "per SMS", "ru-RU": "в СМС"}
EMAILED = {"en-US": "email", "de-DE": "E-Mail", "ru-RU": "почт"}
ALREADY = {"en-US": "already", "de-DE": "schon", "ru-RU": "уже"}


def _add(services: Services, external_id: str, **fields: Any) -> None:
    with services.db.session() as uow:
        shop = uow.scalar(select(Shop).where(Shop.slug == "demo"))
        assert shop is not None
        uow.add(Customer(shop_id=shop.id, external_id=external_id, name=external_id.title(),
                         **fields))


@pytest.fixture
def simulator(services: Services, demo: dict[str, Any], clock) -> Simulator:  # type: ignore[no-untyped-def]
    now = clock()
    _add(services, "pat", phone="+15555550142", phone_confirmed_at=now, consent_sms=True)
    _add(services, "eve", email="eve@example.com", email_canonical="eve@example.com",
         email_confirmed_at=now, consent_email=True)
    # The shop gave a phone and an email, never confirmed by the customer, no consent.
    _add(services, "kim", phone="+15555550177", email="kim@example.com",
         email_canonical="kim@example.com")
    return Simulator(create_app(services=services), services)


def share(simulator: Simulator, platform: str, locale: str, user: str) -> SimulationResult:
    return simulator.say(simulator.start(platform, "demo", locale, user=user), SHARE[locale])


def sent_to(turn: SimulationResult) -> list[tuple[str, str]]:
    return [(m["kind"], m["to"]) for m in turn.messages]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_confirmed_phone_hears_it_was_texted_and_never_to_write_it_down(
        simulator, platform, locale):
    turn = share(simulator, platform, locale, "pat")
    assert sent_to(turn) == [("invite_self", "+15555550142")]
    assert TEXTED[locale] in turn.speech and WRITE_DOWN[locale] not in turn.speech
    assert "0142" not in turn.speech.replace(" ", "")  # no address read aloud


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_confirmed_email_hears_it_went_by_email_without_the_address(
        simulator, platform, locale):
    turn = share(simulator, platform, locale, "eve")
    assert sent_to(turn) == [("invite_self", "eve@example.com")]
    assert EMAILED[locale] in turn.speech and WRITE_DOWN[locale] not in turn.speech
    assert "@" not in turn.speech and "*" not in turn.speech and "example" not in turn.speech


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_second_share_today_says_where_the_first_one_went(simulator, platform, locale):
    """Nothing new is sent, but something was: the speech says where, not "write it down"."""
    for user, where in (("pat", TEXTED[locale]), ("eve", EMAILED[locale])):
        share(simulator, platform, locale, user)
        again = share(simulator, platform, locale, user)
        assert again.messages == []
        assert ALREADY[locale] in again.speech and where in again.speech, again.speech
        assert WRITE_DOWN[locale] not in again.speech


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_unconfirmed_contact_without_consent_is_told_to_write_the_code_down(
        simulator, platform, locale):
    turn = share(simulator, platform, locale, "kim")
    assert turn.messages == []  # nothing may be sent to an address nobody confirmed
    assert WRITE_DOWN[locale] in turn.speech


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_unknown_voice_user_is_paired_first_then_hears_where_it_went(
        simulator, platform, locale):
    conv = simulator.start(platform, "demo", locale, user="new")
    asked = simulator.say(conv, SHARE[locale])
    assert asked.messages == [] and WRITE_DOWN[locale] not in asked.speech
    code_sent = simulator.say(conv, "+1 555 555 0177")  # Kim's number: pairing confirms it
    assert sent_to(code_sent) == [("pairing_code", "+15555550177")]
    linked = simulator.say(conv, " ".join(produced(code_sent)["pairing_code"]))
    assert sent_to(linked) == [("invite_self", "+15555550177")]
    assert TEXTED[locale] in linked.speech and WRITE_DOWN[locale] not in linked.speech
