"""Delivery reports and the worker's own safety margins: a Twilio report that arrives before
the worker recorded `sent` is not lost, an unreachable handset is retried later while a
filtered message is not, a slow provider cannot make the lease run out under a batch, and a
bot token never lands in an error text."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from core.clock import as_utc
from core.config import TwilioSettings
from core.messaging.channels.base import Outgoing
from core.messaging.channels.sandbox import SandboxChannel
from core.messaging.channels.telegram import TelegramChannel
from core.messaging.channels.twilio_sms import TwilioSmsChannel, twilio_client
from core.messaging.worker import Worker
from core.models import Message
from core.services import Services
from fulfillment.app import create_app
from tests.support.fake_providers import fake_providers
from tests.support.http_servers import free_port
from voice.dialog import handle
from voice.turn import Turn

TOKEN = "twilio-auth-token"


@pytest.fixture
def twilio_services(services: Services) -> Services:
    services.settings = services.settings.with_(twilio=TwilioSettings(
        account_sid="AC1", auth_token=TOKEN, from_number="+15005550006"))
    return services


def share(services: Services, demo: dict[str, Any]) -> int:
    [message_id] = handle(Turn("alexa", "en-US", "demo", demo["voice_users"]["alexa"],
                               "ShareProgram"), services).message_ids
    return message_id


def row(services: Services, message_id: int) -> Message:
    with services.db.session() as session:
        found = session.get(Message, message_id)
        session.expunge(found)
        return found


def report(client: Any, url: str, form: dict[str, str]) -> int:
    """POST a status callback the way Twilio does: to the exact URL it was given, signed."""
    signature = RequestValidator(TOKEN).compute_signature(url, form)
    path = url.split("://", 1)[1].split("/", 1)[1]
    return client.post("/" + path, data=form, headers={"X-Twilio-Signature": signature}).status_code


class ReportsAtOnce:
    """Twilio's channel, with the delivery report posted before `send` returns: the order a
    fast carrier produces while the worker is still busy with the rest of its batch."""

    name = "sms"

    def __init__(self, inner: TwilioSmsChannel, fake: Any, client: Any) -> None:
        self.inner, self.fake, self.client = inner, fake, client

    def send(self, message: Outgoing) -> str:
        sid = self.inner.send(message)
        callback = self.fake.of("twilio")[-1]["data"]["StatusCallback"]
        assert report(self.client, callback, {"MessageSid": sid,
                                              "MessageStatus": "delivered"}) == 200
        return sid


def test_a_delivery_report_that_beats_the_worker_still_marks_the_message_delivered(
        twilio_services, demo):
    services = twilio_services
    client = create_app(services=services).test_client()
    with fake_providers() as fake:
        inner = TwilioSmsChannel(twilio_client("AC" + "1" * 32, TOKEN, base_url=fake.url),
                                 "+15005550006", f"{services.base_url}/hooks/twilio/status")
        message_id = share(services, demo)
        assert Worker(services, {"sms": ReportsAtOnce(inner, fake, client)}).run_once().sent == 1
    found = row(services, message_id)
    assert found.status == "delivered" and found.delivered_at is not None
    assert found.provider_message_id.startswith("SM") and found.locked_by is None


def sent_by_sandbox(services: Services, demo: dict[str, Any]) -> Message:
    message_id = share(services, demo)
    assert Worker(services, {"sms": SandboxChannel()}).run_once().sent == 1
    return row(services, message_id)


def test_an_unreachable_handset_is_tried_again_later(twilio_services, demo, clock):
    services = twilio_services
    client = create_app(services=services).test_client()
    message = sent_by_sandbox(services, demo)
    url = f"{services.base_url}/hooks/twilio/status?m={message.id}"
    assert report(client, url, {"MessageSid": message.provider_message_id,
                                "MessageStatus": "undelivered", "ErrorCode": "30003"}) == 200
    found = row(services, message.id)
    assert found.status == "failed" and "30003" in found.last_error
    assert as_utc(found.next_attempt_at) > clock()
    clock.advance(hours=2)
    sandbox = SandboxChannel()
    assert Worker(services, {"sms": sandbox}).run_once().sent == 1
    assert row(services, message.id).status == "sent"


def test_a_message_the_carrier_filtered_is_dead_and_not_sent_again(twilio_services, demo,
                                                                   clock):
    services = twilio_services
    client = create_app(services=services).test_client()
    message = sent_by_sandbox(services, demo)
    report(client, f"{services.base_url}/hooks/twilio/status",
           {"MessageSid": message.provider_message_id, "MessageStatus": "undelivered",
            "ErrorCode": "30007"})
    assert row(services, message.id).status == "dead"
    clock.advance(days=1)
    assert Worker(services, {"sms": SandboxChannel()}).run_once().total() == 0


def test_a_report_for_another_sid_or_a_forged_one_changes_nothing(twilio_services, demo):
    services = twilio_services
    client = create_app(services=services).test_client()
    message = sent_by_sandbox(services, demo)
    url = f"{services.base_url}/hooks/twilio/status?m={message.id}"
    assert report(client, url, {"MessageSid": "SMnot-ours", "MessageStatus": "failed"}) == 200
    forged = client.post(f"/hooks/twilio/status?m={message.id}",
                         data={"MessageSid": message.provider_message_id,
                               "MessageStatus": "failed"},
                         headers={"X-Twilio-Signature": "bad"})
    assert forged.status_code == 401
    huge = f"{services.base_url}/hooks/twilio/status?m={'9' * 40}"
    assert report(client, huge, {"MessageSid": "SMx", "MessageStatus": "delivered"}) == 200
    assert row(services, message.id).status == "sent"


class SlowChannel(SandboxChannel):
    """Each send takes a minute on the worker's timer."""

    def __init__(self, worker_timer: list[float]) -> None:
        super().__init__()
        self.timer = worker_timer

    def send(self, message: Outgoing) -> str:
        self.timer[0] += 60
        return super().send(message)


def test_a_slow_provider_cannot_outlast_the_lease_the_rest_of_the_batch_is_given_back(
        services, demo):
    from tests.test_messaging_delivery import _friend_invite

    for n in range(4):
        _friend_invite(services, demo, "sms", f"+4930901{820 + n}")
    now = [0.0]
    channel = SlowChannel(now)
    worker = Worker(services, {"sms": channel}, lease=timedelta(minutes=2))
    worker.timer = lambda: now[0]
    assert worker.run_once().sent == 2  # at 0 and 60 s; at 120 s half the lease is gone
    with services.db.session() as session:
        rows = session.query(Message).order_by(Message.id).all()
        states = [(m.status, m.attempts, m.locked_by) for m in rows]
    assert states == [("sent", 1, None)] * 2 + [("created", 0, None)] * 2
    assert worker.run_once().sent == 2


def test_a_bot_token_never_appears_in_the_recorded_error(services, demo):
    from tests.test_messaging_delivery import _friend_invite

    token = "123456:SECRET-bot-token"
    closed_port = free_port()
    channel = TelegramChannel(token, base_url=f"http://127.0.0.1:{closed_port}")
    _friend_invite(services, demo, "telegram", "987654321")
    assert Worker(services, {"telegram": channel}).run_once().retried == 1
    with services.db.session() as session:
        [message] = session.query(Message).all()
        assert "unreachable" in message.last_error and token not in message.last_error
