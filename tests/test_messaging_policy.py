"""Never spam: texts wait for daytime in the recipient's time zone, STOP and the unsubscribe
link stop a channel at once (START brings it back), friends are invited once, and Twilio's
callbacks (signature checked) move messages to delivered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from core.clock import as_utc
from core.config import TwilioSettings
from core.errors import RateLimited
from core.messaging.channels.sandbox import SandboxChannel
from core.messaging.outbox import enqueue
from core.messaging.worker import Worker
from core.models import Customer, Message
from core.services import Services
from fulfillment.app import create_app
from tests.support.keys import HASH_KEY
from voice.dialog import handle
from voice.turn import Turn

TWILIO_TOKEN = "twilio-auth-token"


@pytest.fixture
def twilio_services(services: Services) -> Services:
    services.settings = services.settings.with_(twilio=TwilioSettings(
        account_sid="AC1", auth_token=TWILIO_TOKEN, from_number="+1500"))
    return services


def share(services: Services, demo: dict[str, Any], **slots: str) -> list[int]:
    return handle(Turn("alexa", "en-US", "demo", demo["voice_users"]["alexa"], "ShareProgram",
                       slots=dict(slots)), services).message_ids


def message(services: Services, message_id: int) -> Message:
    with services.db.session() as session:
        row = session.get(Message, message_id)
        session.expunge(row)
        return row


def twilio_post(client, services: Services, path: str, form: dict[str, str],
                token: str = TWILIO_TOKEN):  # type: ignore[no-untyped-def]
    url = services.settings.public_base_url + path
    signature = RequestValidator(token).compute_signature(url, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def _friend_text(services: Services, demo: dict[str, Any], recipient: str) -> int:
    with services.db.session() as session:
        customer = session.scalar(select(Customer).where(Customer.phone == "+15555550100"))
        return enqueue(session, hash_key=services.settings.hash_key,
                       shop_id=customer.shop_id, kind="invite_friend", now=services.clock(),
                       channel="sms", recipient=recipient, idempotency_key=f"f:{recipient}",
                       customer_id=customer.id, context={},
                       evidence={"confirmed": True}).id


def test_a_marketing_text_due_at_night_waits_for_eight_in_the_morning_local_time(
        services, demo, clock):
    clock.now = datetime(2026, 11, 25, 3, 30, tzinfo=UTC)  # 22:30 in New York
    message_id = _friend_text(services, demo, "+12125550123")
    assert message(services, message_id).purpose == "marketing"
    sandbox = SandboxChannel()
    assert Worker(services, {"sms": sandbox}).run_once().deferred == 1
    row = message(services, message_id)
    assert row.status == "created" and row.attempts == 0
    assert as_utc(row.next_attempt_at) == datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # 8:00 EST
    clock.now = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    assert Worker(services, {"sms": sandbox}).run_once().sent == 1


def test_the_customers_own_link_asked_for_at_night_is_texted_at_once(services, demo, clock):
    clock.now = datetime(2026, 11, 25, 3, 30, tzinfo=UTC)  # 22:30 in New York
    [message_id] = share(services, demo)
    assert message(services, message_id).purpose == "transactional"
    assert Worker(services, {"sms": SandboxChannel()}).run_once().sent == 1


def test_a_pairing_sms_requested_at_23_in_the_recipients_zone_is_sent_at_once(
        services, demo, clock):
    """The speaker has just said "I've sent a six-digit code" that expires in 10 minutes."""
    clock.now = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)  # 23:00 in New York (+1 212)
    user = demo["voice_users_unlinked"]["alexa"]
    asked = handle(Turn("alexa", "en-US", "demo", user, "LinkAccount"), services)
    reply = handle(Turn("alexa", "en-US", "demo", user, "ProvideContact",
                        slots={"phone": "+12125550188"}, session=asked.session), services)
    assert "six-digit code" in reply.speech.to_plain()
    with services.db.session() as session:
        pairing = session.scalar(select(Message).where(Message.kind == "pairing_code"))
        assert pairing is not None, reply.speech
        assert (pairing.purpose, pairing.recipient) == ("transactional", "+12125550188")
        pairing_id = pairing.id
    sandbox = SandboxChannel()
    outcome = Worker(services, {"sms": sandbox}).run_once()
    assert (outcome.sent, outcome.deferred) == (1, 0)
    assert message(services, pairing_id).status == "sent"


def test_email_is_not_held_back_by_texting_hours(services, demo, clock):
    clock.now = datetime(2026, 11, 25, 3, 30, tzinfo=UTC)
    share(services, demo, channel="email")
    assert Worker(services, {"email": SandboxChannel()}).run_once().sent == 1


def test_stop_by_text_suppresses_at_once_and_start_lifts_it(twilio_services, demo):
    services = twilio_services
    client = create_app(services=services).test_client()
    [first] = share(services, demo)
    response = twilio_post(client, services, "/hooks/twilio/inbound",
                           {"From": "+15555550100", "Body": " stop ", "To": "+1500"})
    assert response.status_code == 200 and "<Response>" in response.get_data(as_text=True)
    assert Worker(services, {"sms": SandboxChannel()}).run_once().suppressed == 1
    assert message(services, first).status == "suppressed"
    twilio_post(client, services, "/hooks/twilio/inbound",
                {"From": "+15555550100", "Body": "START", "To": "+1500"})
    with services.db.session() as session:  # a new share the next day goes out again
        session.execute(Message.__table__.delete())
    assert share(services, demo)
    assert Worker(services, {"sms": SandboxChannel()}).run_once().sent == 1


@pytest.mark.parametrize("word", ["UNSUBSCRIBE", "END", "QUIT", "STOPALL", "REVOKE", "OPTOUT",
                                  "opt out", "Cancel"])
def test_every_opt_out_word_counts(twilio_services, demo, word):
    client = create_app(services=twilio_services).test_client()
    twilio_post(client, twilio_services, "/hooks/twilio/inbound",
                {"From": "+15555550100", "Body": word})
    share(twilio_services, demo)
    assert Worker(twilio_services, {"sms": SandboxChannel()}).run_once().suppressed == 1


def test_a_forged_twilio_webhook_is_refused_and_changes_nothing(twilio_services, demo):
    client = create_app(services=twilio_services).test_client()
    response = twilio_post(client, twilio_services, "/hooks/twilio/inbound",
                           {"From": "+15555550100", "Body": "STOP"}, token="not-the-token")
    assert response.status_code == 401
    share(twilio_services, demo)
    assert Worker(twilio_services, {"sms": SandboxChannel()}).run_once().sent == 1


def test_the_email_unsubscribe_link_works_in_one_click(services, demo, client):
    share(services, demo, channel="email")
    sandbox = SandboxChannel()
    Worker(services, {"email": sandbox}).run_once()
    url = sandbox.sent[0].unsubscribe_url.removeprefix(services.base_url)
    page = client.get(url)
    assert page.status_code == 200 and "Unsubscribe from Demo Shop?" in page.get_data(True)
    done = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert "You are unsubscribed" in done.get_data(as_text=True)
    with services.db.session() as session:
        session.execute(Message.__table__.delete())
    share(services, demo, channel="email")
    assert Worker(services, {"email": sandbox}).run_once().suppressed == 1
    assert client.get("/u/forged.token").status_code == 404


def test_twilio_status_callbacks_mark_messages_delivered(twilio_services, demo):
    services = twilio_services
    client = create_app(services=services).test_client()
    [message_id] = share(services, demo)
    Worker(services, {"sms": SandboxChannel()}).run_once()
    sid = message(services, message_id).provider_message_id
    twilio_post(client, services, "/hooks/twilio/status",
                {"MessageSid": sid, "MessageStatus": "delivered"})
    row = message(services, message_id)
    assert row.status == "delivered" and row.delivered_at is not None


def _friend(services: Services, recipient: str, key: str) -> None:
    with services.db.session() as session:
        alex = session.scalar(select(Customer).where(Customer.external_id == "alex"))
        enqueue(session, hash_key=HASH_KEY, shop_id=alex.shop_id, kind="invite_friend",
                channel="sms", recipient=recipient, idempotency_key=key, customer_id=alex.id,
                evidence={"confirmed": True}, now=services.clock())


def test_a_friend_is_invited_at_most_once_in_thirty_days(services, demo, clock):
    _friend(services, "+4930901820", "a")
    with pytest.raises(RateLimited):
        _friend(services, "+4930901820", "b")
    clock.advance(days=31)
    _friend(services, "+4930901820", "c")


def test_a_customer_invites_at_most_five_friends_a_day(services, demo, clock):
    for n in range(5):
        _friend(services, f"+49309018{20 + n}", f"k{n}")
    with pytest.raises(RateLimited):
        _friend(services, "+4930901899", "k6")
    clock.advance(days=1, seconds=1)
    _friend(services, "+4930901899", "k7")


def test_a_friend_address_without_confirmed_consent_is_never_written_to(services, demo):
    with services.db.session() as session:
        alex = session.scalar(select(Customer).where(Customer.external_id == "alex"))
        enqueue(session, hash_key="k", shop_id=alex.shop_id, kind="invite_friend",
                channel="sms", recipient="+4930901820", idempotency_key="no-consent",
                customer_id=alex.id, evidence={"confirmed": False}, now=services.clock())
    sandbox = SandboxChannel()
    assert Worker(services, {"sms": sandbox}).run_once().dead == 1
    assert sandbox.sent == []
