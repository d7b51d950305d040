"""A share turns into a message a person actually receives: over a real SMTP server with
STARTTLS and AUTH, or through local servers speaking Twilio's, Meta's and Telegram's APIs.
Failures are retried with backoff; permanent ones are not."""

from __future__ import annotations

from html import escape
from typing import Any

import pytest
from sqlalchemy import select

from core.messaging.channels.meta_whatsapp import MetaWhatsAppChannel
from core.messaging.channels.sandbox import SandboxChannel
from core.messaging.channels.smtp import SmtpChannel
from core.messaging.channels.telegram import TelegramChannel
from core.messaging.channels.twilio_sms import TwilioSmsChannel, twilio_client
from core.messaging.outbox import enqueue
from core.messaging.worker import Worker
from core.models import Message
from core.services import Services
from tests.support.fake_providers import fake_providers, twilio_error
from tests.support.qr_decode import decode_png
from tests.support.smtp import PASSWORD, USER, smtp_server
from voice.dialog import handle
from voice.turn import Turn


def share(services: Services, demo: dict[str, Any], **slots: str) -> None:
    reply = handle(Turn("alexa", "en-US", "demo", demo["voice_users"]["alexa"], "ShareProgram",
                        slots=dict(slots)), services)
    assert reply.message_ids, reply.speech.to_plain()


def rows(services: Services) -> list[Message]:
    with services.db.session() as session:
        found = list(session.scalars(select(Message).order_by(Message.id)))
        session.expunge_all()
        return found


def test_an_invite_email_arrives_over_starttls_with_the_link_and_a_qr_that_decodes_to_it(
        services, demo):
    with smtp_server() as mailbox:
        smtp = SmtpChannel(mailbox.host, mailbox.port, user=USER, password=PASSWORD,
                           starttls=True, mail_from="invites@demo-shop.example",
                           ssl_context=mailbox.client_context)
        share(services, demo, channel="email")
        outcome = Worker(services, {"email": smtp}).run_once()
        assert outcome.sent == 1
        [mail] = mailbox.messages
    [message] = rows(services)
    link = message.context["link"]
    assert mail["To"] == "alex@example.com"
    assert mail["Subject"] == "Your Demo Shop invite link"
    assert mail["List-Unsubscribe"].strip().startswith("<https://refer.test/u/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert link in text and escape(link) in html and demo["code"] in text  # & is &amp;
    images = [part for part in mail.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 2  # inline (cid:qr) and attached
    assert any(p.get("Content-ID") == "<qr>" for p in images)
    assert [decode_png(p.get_content()) for p in images] == [[link], [link]]
    assert message.status == "sent" and message.provider_message_id == mail["Message-ID"].strip()


def test_an_sms_goes_through_the_twilio_sdk_as_text_with_the_link(services, demo):
    with fake_providers() as fake:
        client = twilio_client("AC" + "1" * 32, "token", base_url=fake.url)
        worker = Worker(services, {"sms": TwilioSmsChannel(client, "+15005550006")})
        share(services, demo)
        assert worker.run_once().sent == 1
        [sent] = fake.of("twilio")
    message = rows(services)[0]
    assert sent["data"]["To"] == "+15555550100" and sent["data"]["From"] == "+15005550006"
    assert message.context["link"] in sent["data"]["Body"]
    assert message.provider_message_id.startswith("SM")
    assert message.rendered["sms_segments"] == 1


def test_a_provider_failing_with_500s_then_200_delivers_after_backoff(services, demo, clock):
    with fake_providers() as fake:
        fake.fail_next("twilio", twilio_error(500, 20500, "Internal"),
                       twilio_error(503, 20503, "Unavailable"))
        worker = Worker(services, {"sms": TwilioSmsChannel(
            twilio_client("AC" + "1" * 32, "token", base_url=fake.url), "+15005550006")})
        share(services, demo)
        assert worker.run_once().retried == 1
        assert worker.run_once().total() == 0  # not due yet: backing off
        clock.advance(seconds=16)
        assert worker.run_once().retried == 1
        clock.advance(seconds=31)
        assert worker.run_once().sent == 1
        assert len(fake.of("twilio")) == 1
    message = rows(services)[0]
    assert (message.status, message.attempts) == ("sent", 3)


def test_a_permanent_error_goes_straight_to_dead_without_retry(services, demo, clock):
    with fake_providers() as fake:
        fake.fail_next("twilio", twilio_error(400, 21610, "Attempt to send to unsubscribed"))
        worker = Worker(services, {"sms": TwilioSmsChannel(
            twilio_client("AC" + "1" * 32, "token", base_url=fake.url), "+15005550006")})
        share(services, demo)
        assert worker.run_once().dead == 1
        clock.advance(days=1)
        assert worker.run_once().total() == 0
    message = rows(services)[0]
    assert message.status == "dead" and "21610" in message.last_error


def _friend_invite(services: Services, demo: dict[str, Any], channel: str,
                   recipient: str) -> None:
    from core.models import Customer

    with services.db.session() as session:
        alex = session.scalar(select(Customer).where(Customer.external_id == "alex"))
        enqueue(session, hash_key=services.settings.hash_key, shop_id=alex.shop_id,
                kind="invite_friend", channel=channel, recipient=recipient,
                idempotency_key=f"test:{channel}:{recipient}", customer_id=alex.id,
                context={"link": demo["link"], "code": demo["code"], "shop_name": "Demo Shop",
                         "referrer_name": "Alex"},
                evidence={"confirmed": True, "assistant": "alexa"}, now=services.clock())


def test_whatsapp_goes_as_an_approved_template_through_metas_cloud_api(services, demo):
    with fake_providers() as fake:
        channel = MetaWhatsAppChannel("1234567890", "meta-token", base_url=fake.url + "/v21.0")
        _friend_invite(services, demo, "whatsapp", "+4930901820")
        assert Worker(services, {"whatsapp": channel}).run_once().sent == 1
        [sent] = fake.of("whatsapp")
    assert sent["data"]["type"] == "template" and sent["data"]["to"] == "4930901820"
    params = [p["text"] for p in sent["data"]["template"]["components"][0]["parameters"]]
    assert params == ["Alex", "Demo Shop", demo["link"]]
    assert sent["headers"]["Authorization"] == "Bearer meta-token"


def test_telegram_sends_to_a_chat_that_started_the_bot(services, demo):
    with fake_providers() as fake:
        channel = TelegramChannel("123:ABC", base_url=fake.url)
        _friend_invite(services, demo, "telegram", "987654321")
        assert Worker(services, {"telegram": channel}).run_once().sent == 1
        [sent] = fake.of("telegram")
    assert sent["data"]["chat_id"] == "987654321" and demo["link"] in sent["data"]["text"]


def test_the_sandbox_records_instead_of_sending(services, demo):
    sandbox = SandboxChannel()
    share(services, demo)
    assert Worker(services, {"sms": sandbox}).run_once().sent == 1
    assert [m.recipient for m in sandbox.sent] == ["+15555550100"]
    assert rows(services)[0].rendered["sms"].startswith("Demo Shop: your invite link")


@pytest.mark.parametrize("locale, fragment", [("de-DE", "Ihr Einladungslink"),
                                              ("ru-RU", "ваша ссылка")])
def test_messages_are_written_in_the_customers_language(services, demo, locale, fragment):
    sandbox = SandboxChannel()
    reply = handle(Turn("alexa", locale, "demo", demo["voice_users"]["alexa"], "ShareProgram"),
                   services)
    assert reply.message_ids
    Worker(services, {"sms": sandbox}).run_once()
    assert fragment in sandbox.sent[0].rendered.sms


def test_asking_for_telegram_sends_a_deep_link_since_a_bot_cannot_write_first(services,
                                                                              demo):
    sandbox = SandboxChannel()
    reply = handle(Turn("alexa", "en-US", "demo", demo["voice_users"]["alexa"],
                        "ShareProgram", slots={"channel": "telegram"}), services)
    assert "opens your invite in Telegram" in reply.speech.to_plain()
    Worker(services, {"sms": sandbox}).run_once()
    [sent] = sandbox.sent
    code = demo["code"].replace("-", "")
    assert sent.channel == "sms"
    assert f"https://t.me/DemoShopReferralsBot?start={code}" in sent.rendered.sms
