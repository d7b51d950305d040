"""Conversations with the Alexa skill, through the verified endpoint, as a customer has them:
sharing, sending to a friend, pairing an unknown speaker, and everything certification asks."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.models import Message, PairingChallenge, Share, VoiceIdentity
from core.services import Services
from fulfillment.app import create_app
from fulfillment.simulator.sandbox_keys import sandbox_keys
from tests.support.alexa import AlexaConversation


@pytest.fixture
def alexa(services: Services, demo: dict[str, Any], clock):  # type: ignore[no-untyped-def]
    """Alex on an Echo, speaking English unless a test says otherwise."""
    client = create_app(services=services).test_client()
    keys = sandbox_keys(services)
    assert keys is not None

    def conversation(user: str | None = None, locale: str = "en-US",
                     screen: bool = False) -> AlexaConversation:
        return AlexaConversation(client=client, sign=keys.alexa_headers,
                                 skill_id=demo["skill_ids"]["alexa"],
                                 user_id=user or demo["voice_users"]["alexa"], clock=clock,
                                 locale=locale, screen=screen)

    return conversation


def messages(services: Services) -> list[Message]:
    with services.db.session() as session:
        rows = session.scalars(select(Message).order_by(Message.id)).all()
        session.expunge_all()
        return list(rows)


def test_launch_welcomes_and_keeps_the_session_open(alexa):
    talk = alexa()
    response = talk.launch()
    assert "Welcome to the Demo Shop referral program" in talk.speech
    assert response["response"]["reprompt"]["outputSpeech"]["ssml"].startswith("<speak>")
    assert not talk.ends


def test_sharing_says_the_code_first_and_queues_the_link_and_terms_by_text(alexa, services,
                                                                          demo):
    talk = alexa()
    talk.say("ShareProgram")
    assert talk.speech.startswith("<speak>Your code is")  # the terms go in the message
    assert "Your friend gets 10% off" not in talk.speech
    word, digits = demo["code"].split("-")
    assert f"{word.capitalize()}, " in talk.speech
    assert f'<say-as interpret-as="digits">{digits[:3]}</say-as>' in talk.speech
    assert "I've texted your link and QR code." in talk.speech
    [message] = messages(services)
    assert (message.kind, message.channel, message.recipient) == ("invite_self", "sms",
                                                                  "+15555550100")
    assert message.context["link"].endswith("?c=sms&a=alexa") and message.context["qr_png"]
    assert "Your friend gets 10% off" in message.context["terms"]
    card = talk.last["response"]["card"]
    assert card["title"] == "Your invite to Demo Shop" and demo["code"] in card["content"]


def test_asking_for_email_sends_it_by_email(alexa, services):
    alexa().say("ShareProgram", channel="e-mail")
    [message] = messages(services)
    assert (message.channel, message.recipient) == ("email", "alex@example.com")


def test_sharing_twice_in_a_day_sends_one_message_and_counts_two_shares(alexa, services):
    """The second time the code is only spoken: one message, and a voice share (every
    share counts, whatever the channel)."""
    talk = alexa()
    talk.say("ShareProgram")
    talk.say("ShareProgram")
    assert "already texted it to you today" in talk.speech
    assert len(messages(services)) == 1
    with services.db.session() as session:
        assert [s.channel for s in session.scalars(select(Share).order_by(Share.id))] == [
            "sms", "voice"]


def test_on_a_screen_the_qr_code_is_shown_with_apl(alexa, demo):
    talk = alexa(screen=True)
    talk.say("ShareProgram")
    [directive] = talk.last["response"]["directives"]
    assert directive["type"] == "Alexa.Presentation.APL.RenderDocument"
    assert directive["datasources"]["data"]["qr"] == demo["qr_png"]
    assert "QR code is on the screen" in talk.speech


def test_without_a_screen_no_apl_directive_is_sent(alexa):
    talk = alexa(screen=False)
    talk.say("ShareProgram")
    assert "directives" not in talk.last["response"]


def test_sending_to_a_friend_reads_the_number_back_and_sends_only_after_yes(alexa, services):
    talk = alexa()
    talk.say("SendInvite")
    assert "friend's phone number or email" in talk.speech
    talk.say("ProvideContact", phone="555-555-0123")
    assert 'Shall I send it?' in talk.speech
    # Read back as a phone number, grouped, with its country code (issue 13).
    assert '<say-as interpret-as="telephone">+1 555-555-0123</say-as>. Shall' in talk.speech
    assert messages(services) == []
    talk.say("AMAZON.YesIntent")
    assert "on its way" in talk.speech and talk.ends
    [message] = messages(services)
    assert (message.kind, message.channel, message.recipient) == ("invite_friend", "sms",
                                                                  "+15555550123")
    assert message.evidence["confirmed"] is True
    assert message.evidence["assistant"] == "alexa"
    assert message.evidence["heard"]
    assert message.context["referrer_name"] == "Alex"


def test_saying_no_to_the_read_back_sends_nothing_and_asks_again(alexa, services):
    talk = alexa()
    talk.say("SendInvite", phone="5555550123")
    talk.say("AMAZON.NoIntent")
    assert "friend's phone number or email" in talk.speech
    talk.say("ProvideContact", email="Sam.Friend@example.org")
    assert "Shall I send it?" in talk.speech and "example.org" in talk.speech
    talk.say("AMAZON.YesIntent")
    [message] = messages(services)
    assert (message.channel, message.recipient) == ("email", "sam.friend@example.org")


def test_a_friend_is_invited_once_per_thirty_days(alexa, services, clock):
    for _ in range(2):
        talk = alexa()
        talk.say("SendInvite", phone="5555550123")
        talk.say("AMAZON.YesIntent")
    assert "already got an invite" in talk.speech
    assert len(messages(services)) == 1


def test_a_number_that_is_not_a_number_gets_a_spoken_retry(alexa, services):
    talk = alexa()
    talk.say("SendInvite")
    talk.say("ProvideContact", phone="12")
    assert "didn't catch a number or an email" in talk.speech and not talk.ends
    assert messages(services) == []


def test_an_unknown_speaker_is_paired_by_a_spoken_one_time_code(alexa, services, demo):
    talk = alexa(user=demo["voice_users_unlinked"]["alexa"])
    talk.say("ShareProgram")
    assert "link this device" in talk.speech
    talk.say("ProvideContact", email="new.friend@example.com")
    assert "six-digit code" in talk.speech
    [pairing] = messages(services)
    assert pairing.kind == "pairing_code" and pairing.recipient == "new.friend@example.com"
    wrong = "000000" if pairing.context["pairing_code"] != "000000" else "111111"
    talk.say("ProvideCode", pin=wrong)
    assert "2 tries left" in talk.speech
    talk.say("ProvideCode", pin=pairing.context["pairing_code"])
    assert "you're linked" in talk.speech and "Your code is" in talk.speech
    invite = messages(services)[-1]
    assert (invite.kind, invite.recipient) == ("invite_self", "new.friend@example.com")
    with services.db.session() as session:
        identity = session.scalar(select(VoiceIdentity).where(
            VoiceIdentity.assistant_user_id == demo["voice_users_unlinked"]["alexa"]))
        assert identity is not None and identity.customer.email_confirmed_at is not None


def test_three_wrong_codes_burn_the_challenge(alexa, services, demo):
    talk = alexa(user=demo["voice_users_unlinked"]["alexa"])
    talk.say("LinkAccount")
    talk.say("ProvideContact", phone="5555550177")
    code = messages(services)[-1].context["pairing_code"]
    wrong = str((int(code) + 1) % 1_000_000).zfill(6)
    for _ in range(3):
        talk.say("ProvideCode", pin=wrong)
    assert "last try" in talk.speech and talk.ends
    talk = alexa(user=demo["voice_users_unlinked"]["alexa"])
    talk.attributes = {"dialog": {"awaiting": "pair_code"}}
    talk.say("ProvideCode", pin=code)
    assert "expired" in talk.speech
    with services.db.session() as session:
        assert session.scalar(select(VoiceIdentity).where(
            VoiceIdentity.assistant_user_id == demo["voice_users_unlinked"]["alexa"])) is None


def test_a_code_said_after_ten_minutes_has_expired(alexa, services, demo, clock):
    talk = alexa(user=demo["voice_users_unlinked"]["alexa"])
    talk.say("LinkAccount")
    talk.say("ProvideContact", phone="5555550177")
    code = messages(services)[-1].context["pairing_code"]
    clock.advance(minutes=10, seconds=1)
    talk.say("ProvideCode", pin=code)
    assert "expired" in talk.speech


def test_pairing_codes_are_rate_limited_per_speaker(alexa, services, demo):
    for _ in range(3):
        talk = alexa(user=demo["voice_users_unlinked"]["alexa"])
        talk.say("LinkAccount")
        talk.say("ProvideContact", phone="5555550177")
    talk = alexa(user=demo["voice_users_unlinked"]["alexa"])
    talk.say("LinkAccount")
    talk.say("ProvideContact", phone="5555550177")
    assert "try again in an hour" in talk.speech
    with services.db.session() as session:
        assert len(session.scalars(select(PairingChallenge)).all()) == 3


def test_explain_help_repeat_stop_and_cancel(alexa):
    talk = alexa()
    talk.say("ExplainProgram")
    assert "on a first order of $20 or more" in talk.speech and not talk.ends
    explained = talk.speech
    talk.say("AMAZON.RepeatIntent")
    assert talk.speech == explained
    talk.say("AMAZON.HelpIntent")
    assert "Say: share my code" in talk.speech and not talk.ends
    talk.say("AMAZON.NavigateHomeIntent")
    assert "Welcome" in talk.speech
    talk.say("AMAZON.FallbackIntent")
    assert "didn't get that" in talk.speech and not talk.ends
    talk.say("AMAZON.StopIntent")
    assert "Goodbye" in talk.speech and talk.ends
    talk = alexa()
    talk.say("SendInvite")
    talk.say("AMAZON.CancelIntent")
    assert "Nothing was sent" in talk.speech and talk.ends


def test_an_intent_the_skill_does_not_know_gets_the_fallback(alexa):
    talk = alexa()
    talk.say("OrderPizzaIntent")
    assert "didn't get that" in talk.speech and not talk.ends


def test_session_ended_gets_no_speech(alexa):
    talk = alexa()
    talk.send("SessionEndedRequest")
    assert "outputSpeech" not in talk.last["response"]


def test_german_customers_hear_german(alexa, services, demo):
    talk = alexa(locale="de-DE")
    talk.launch()
    assert "Willkommen beim Empfehlungsprogramm von Demo Shop" in talk.speech
    talk.say("ShareProgram")
    assert talk.speech.startswith("<speak>Ihr Code lautet")
    assert "Ihr Code lautet" in talk.speech and "per SMS" in talk.speech
    talk.say("AMAZON.YesIntent")
    assert "Telefonnummer oder E-Mail-Adresse Ihres Freundes" in talk.speech
    talk.say("ProvideContact", phone="+49 30 901820")
    assert "Soll ich sie senden?" in talk.speech
    talk.say("AMAZON.YesIntent")
    assert "Ihre Einladung geht an" in talk.speech
    assert messages(services)[-1].recipient == "+4930901820"
    talk = alexa(locale="de-DE")
    for intent, expected in [("ExplainProgram", "beim ersten Einkauf ab 20 $"),
                             ("AMAZON.HelpIntent", "Sagen Sie:"),
                             ("AMAZON.FallbackIntent", "nicht verstanden"),
                             ("AMAZON.StopIntent", "Auf Wiedersehen")]:
        talk.say(intent)
        assert expected in talk.speech, (intent, talk.speech)


def test_german_pairing(alexa, services, demo):
    talk = alexa(user=demo["voice_users_unlinked"]["alexa"], locale="de-DE")
    talk.say("ShareProgram")
    assert "Zuerst muss ich dieses Gerät" in talk.speech
    talk.say("ProvideContact", email="neu@example.de")
    assert "sechsstelligen Code" in talk.speech
    code = messages(services)[-1].context["pairing_code"]
    talk.say("ProvideCode", pin=code)
    assert "verknüpft" in talk.speech and "Ihr Code lautet" in talk.speech
