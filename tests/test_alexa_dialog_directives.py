"""Alexa's dialog directives (issue 25): where the dialog asks for one value the adapter
sends Dialog.ElicitSlot, with the slot type that recognises it (AMAZON.DayOfWeek), so the
reminder flow takes "friday" alone; a friend's number read back goes out as
Dialog.ConfirmSlot and Alexa's CONFIRMED / DENIED answer is a yes / no. Shapes follow
Amazon's "Dialog Interface Reference" (developer.amazon.com/docs/custom-skills/
dialog-interface-reference.html)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.models import Message, Reminder
from core.services import Services
from fulfillment.app import create_app
from fulfillment.simulator.sandbox_keys import sandbox_keys
from tests.support.alexa import AlexaConversation
from voice.platforms.alexa.export import interaction_model, validate


@pytest.fixture
def alexa(services: Services, demo: dict[str, Any], clock):  # type: ignore[no-untyped-def]
    client = create_app(services=services).test_client()
    keys = sandbox_keys(services)
    assert keys is not None

    def conversation(locale: str = "en-US") -> AlexaConversation:
        return AlexaConversation(client=client, sign=keys.alexa_headers,
                                 skill_id=demo["skill_ids"]["alexa"],
                                 user_id=demo["voice_users"]["alexa"], clock=clock,
                                 locale=locale)
    return conversation


def _directives(talk: AlexaConversation) -> list[dict[str, Any]]:
    return list(talk.last["response"].get("directives") or [])


@pytest.mark.parametrize("locale, day, said", [("en-US", "friday", "every Friday"),
                                               ("de-DE", "Freitag", "jeden Freitag")])
def test_the_reminder_flow_elicits_the_weekday_and_takes_the_day_alone(
        alexa, services: Services, locale: str, day: str, said: str) -> None:
    talk = alexa(locale)
    talk.say("SetReminder")
    [directive] = _directives(talk)
    assert directive["type"] == "Dialog.ElicitSlot"
    assert directive["slotToElicit"] == "weekday"
    assert directive["updatedIntent"]["name"] == "SetReminder"
    assert not talk.ends
    talk.say("SetReminder", weekday=day)  # what Alexa sends when the user says "friday"
    assert said in talk.speech and not _directives(talk)
    talk.say("AMAZON.YesIntent")
    with services.db.session() as session:
        [reminder] = session.scalars(select(Reminder)).all()
        assert reminder.weekday == 4


def test_a_read_back_is_a_confirm_slot_and_denied_sends_nothing(alexa, services) -> None:
    talk = alexa()
    talk.say("SendInvite", phone="555 555 0199")
    [directive] = _directives(talk)
    assert (directive["type"], directive["slotToConfirm"]) == ("Dialog.ConfirmSlot", "phone")
    assert directive["updatedIntent"]["slots"]["phone"]["value"] == "555 555 0199"
    talk.answer_confirmation("SendInvite", "DENIED", phone="555 555 0199")
    assert "friend's phone number" in talk.speech
    with services.db.session() as session:
        assert not session.scalars(select(Message).where(
            Message.kind == "invite_friend")).all()
    talk.say("SendInvite", phone="555 555 0142")
    talk.answer_confirmation("SendInvite", "CONFIRMED", phone="555 555 0142")
    assert "on its way" in talk.speech
    with services.db.session() as session:
        [sent] = session.scalars(select(Message).where(Message.kind == "invite_friend")).all()
        assert sent.recipient == "+15555550142"


def test_a_reply_that_ends_the_session_carries_no_dialog_directive(
        alexa) -> None:
    talk = alexa()
    talk.say("AMAZON.StopIntent")
    assert talk.ends and not _directives(talk)


@pytest.mark.parametrize("locale", ["en-US", "de-DE"])
def test_the_skill_package_declares_the_dialog_model_the_directives_need(locale: str) -> None:
    model = interaction_model(locale, "demo shop")
    assert validate(model) == []
    dialog = {i["name"]: i for i in model["interactionModel"]["dialog"]["intents"]}
    [weekday] = dialog["SetReminder"]["slots"]
    assert weekday["type"] == "AMAZON.DayOfWeek" and weekday["prompts"]["elicitation"]
    prompts = {p["id"] for p in model["interactionModel"]["prompts"]}
    assert weekday["prompts"]["elicitation"] in prompts
    phone = next(s for s in dialog["SendInvite"]["slots"] if s["name"] == "phone")
    assert phone["prompts"]["confirmation"] in prompts
    types = {t["name"] for t in model["interactionModel"]["languageModel"]["types"]}
    assert "WEEKDAY" not in types  # Alexa's own type recognises the days
