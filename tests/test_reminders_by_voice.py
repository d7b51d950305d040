"""'Remind me every Friday to share the program' in en/de/ru: asked, confirmed (the words
kept as consent evidence), listed, stopped; delivered on Friday in the customer's own zone
by the reminders job through the outbox, once per Friday."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core import reminders
from core.messaging.channels.sandbox import SandboxChannel
from core.messaging.worker import Worker
from core.models import Message, Reminder
from tests.support.customer_data import Talk


@pytest.fixture
def alex(services, demo) -> Talk:  # type: ignore[no-untyped-def]
    return Talk(services, demo["voice_users"]["alice"])


def _reminders(services: Any) -> list[Reminder]:
    with services.db.session() as session:
        return list(session.scalars(select(Reminder).order_by(Reminder.id)))


def _worker(services: Any) -> tuple[Worker, SandboxChannel]:
    sandbox = SandboxChannel()
    return Worker(services, channels=dict.fromkeys(("email", "sms"), sandbox)), sandbox


@pytest.mark.parametrize("locale, asked, when, yes, stop", [
    ("en-US", "remind me every Friday to share Acme's program", "every Friday at 10:00",
     "yes", "stop reminding me"),
    ("ru-RU", "напоминай мне по пятницам", "каждую пятницу в 10:00", "да", "больше не напоминай"),
    ("de-DE", "erinnere mich freitags", "jeden Freitag um 10:00", "ja",
     "hör auf mich zu erinnern"),
])
def test_a_reminder_is_asked_confirmed_listed_and_stopped(services, alex, locale, asked, when,
                                                          yes, stop):
    alex.locale = locale
    question = alex.hear(asked)
    assert when in question and not _reminders(services)
    assert alex.reply and not alex.reply.end_session
    done = alex.say("Yes", yes)
    assert when in done
    [reminder] = _reminders(services)
    assert (reminder.weekday, reminder.local_time, reminder.timezone, reminder.active) == (
        4, "10:00", "America/New_York", True)
    assert reminder.evidence["asked"] == asked and reminder.evidence["confirmed"] == yes
    assert reminder.evidence["assistant"] == "alice"
    listed = alex.hear({"en-US": "what reminders do i have", "ru-RU": "какие у меня напоминания",
                        "de-DE": "welche erinnerungen habe ich"}[locale])
    assert when in listed
    alex.hear(stop)
    assert [r.active for r in _reminders(services)] == [False]
    assert _reminders(services)[0].evidence["stopped"]["said"] == stop


def test_saying_no_sets_nothing_and_a_missing_day_is_asked_for(services, alex):
    assert "Friday" in alex.hear("remind me every friday")
    assert "no reminder" in alex.say("No", "no")
    assert _reminders(services) == []
    assert "which day" in alex.hear("remind me to share the referral program").lower()
    assert "every Monday at 10:00" in alex.say("Fallback", "monday")
    alex.say("Yes", "yes")
    assert [r.weekday for r in _reminders(services)] == [0]


def test_with_nothing_set_the_customer_hears_how_to_set_one(alex):
    assert "You have no reminders" in alex.hear("what reminders do i have")
    assert "You have no reminders" in alex.hear("stop reminding me")


def test_an_unlinked_speaker_is_paired_before_a_reminder(services, demo):
    talk = Talk(services, demo["voice_users_unlinked"]["alice"])
    assert "link" in talk.hear("remind me every friday").lower()
    assert _reminders(services) == []


def test_the_reminder_arrives_on_friday_morning_in_the_customers_zone_once(
        services, alex, clock):
    alex.hear("remind me every friday")
    alex.say("Yes", "yes")
    [reminder] = _reminders(services)
    due = reminder.next_run_at
    local = due.astimezone(ZoneInfo("America/New_York"))
    assert (local.weekday(), local.hour, local.minute) == (4, 10, 0)
    clock.now = due - timedelta(minutes=1)
    assert reminders.run_due(services).enqueued == 0
    clock.now = due
    assert reminders.run_due(services).enqueued == 1
    assert reminders.run_due(services).enqueued == 0  # moved to next week
    worker, sandbox = _worker(services)
    assert worker.run_once().sent == 1
    [sent] = sandbox.sent
    assert sent.kind == "reminder" and sent.recipient == "+15555550100"
    assert "weekly reminder" in sent.rendered.sms and "/r/" in sent.rendered.sms
    clock.now = due + timedelta(days=7)
    assert reminders.run_due(services).enqueued == 1
    with services.db.session() as session:
        keys = session.scalars(select(Message.idempotency_key).where(
            Message.kind == "reminder")).all()
    assert len(keys) == len(set(keys)) == 2


def test_a_reminder_stopped_after_it_was_queued_is_not_sent(services, alex, clock):
    alex.hear("remind me every friday")
    alex.say("Yes", "yes")
    clock.now = _reminders(services)[0].next_run_at
    reminders.run_due(services)
    alex.hear("stop reminding me")
    worker, sandbox = _worker(services)
    outcome = worker.run_once()
    assert (outcome.sent, sandbox.sent) == (0, [])
    with services.db.session() as session:
        assert session.scalar(select(Message.status).where(Message.kind == "reminder")) == "dead"


def test_a_paused_shop_sends_no_reminders(services, alex, clock):
    from core.models import Shop

    alex.hear("remind me every friday")
    alex.say("Yes", "yes")
    with services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        shop.settings = {**shop.settings, "messaging_paused": True}
    clock.now = _reminders(services)[0].next_run_at
    run = reminders.run_due(services)
    assert (run.enqueued, run.skipped) == (0, 1)
