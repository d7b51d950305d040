"""The referrer digest: the shop turns it on and previews it per locale; a referrer opts in
by voice; on the shop's day, in the referrer's own zone, one digest per period arrives
(friends joined, rewards by state, their link) in their language with correct plurals;
STOP ends it; "only when something happens" skips quiet weeks; a paused shop, a capped
recipient and quiet hours are honoured."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from core import digest
from core.config import TwilioSettings
from core.messaging.channels.sandbox import SandboxChannel
from core.messaging.worker import Worker
from core.models import Customer, DigestSubscription, Message, Shop
from fulfillment.app import create_app
from tests.support.customer_data import Talk
from tests.support.events import ShopBackend

TWILIO_TOKEN = "twilio-test-token"


@pytest.fixture
def auth(demo: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {demo['api_key']}"}


@pytest.fixture
def texting(services):  # type: ignore[no-untyped-def]
    """Twilio configured, so texts are the customer's channel and STOP can arrive."""
    services.settings = services.settings.with_(twilio=TwilioSettings(
        account_sid="AC1", auth_token=TWILIO_TOKEN, from_number="+1500"))
    return create_app(services=services).test_client()


def enable(client: Any, auth: dict[str, str], **settings: Any) -> dict[str, Any]:
    response = client.put("/api/v1/digest", headers=auth,
                          json={"enabled": True, "cadence": "weekly", "weekday": 4, "hour": 10,
                                **settings})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def friday_ten(now: datetime, zone: str = "America/New_York") -> datetime:
    local = now.astimezone(ZoneInfo(zone))
    day = local.date() + timedelta(days=(4 - local.weekday()) % 7 or 7)
    return datetime(day.year, day.month, day.day, 10, tzinfo=ZoneInfo(zone))


def sent_digests(services: Any) -> list[Message]:
    with services.db.session() as session:
        return list(session.scalars(select(Message).where(Message.kind == "digest")
                                    .order_by(Message.id)))


def deliver(services: Any) -> SandboxChannel:
    sandbox = SandboxChannel()
    Worker(services, channels=dict.fromkeys(("email", "sms", "whatsapp"), sandbox)).run_once()
    return sandbox


def test_the_shop_controls_the_digest_and_previews_it_in_each_language(client, auth):
    assert client.get("/api/v1/digest", headers=auth).get_json() == {
        "enabled": False, "cadence": "weekly", "weekday": 4, "hour": 10, "recipients": 0}
    assert enable(client, auth, cadence="monthly", weekday=0, hour=9)["cadence"] == "monthly"
    bad = client.put("/api/v1/digest", headers=auth, json={"cadence": "daily", "hour": 24})
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["details"]["fields"]) == {"cadence", "hour"}
    previews = {loc: client.get(f"/api/v1/digest/preview?locale={loc}", headers=auth).get_json()
                for loc in ("en-US", "de-DE", "ru-RU")}
    assert "2 friends joined" in previews["en-US"]["text"]
    assert "2 Freunde beigetreten" in previews["de-DE"]["text"]
    assert "присоединились 2 друга" in previews["ru-RU"]["text"]
    assert "Ready to use: $20.00" in previews["en-US"]["text"]
    assert all("/r/ALEX4271" in p["text"] and 'src="cid:' in p["html"]
               for p in previews.values())
    assert client.get("/api/v1/digest/preview?locale=xx-XX", headers=auth).status_code == 422
    assert client.get("/api/v1/digest").status_code == 401
    assert client.put("/api/v1/digest", json={"enabled": True},
                      headers={"Authorization": "Bearer rk_forged"}).status_code == 401


def test_opt_in_by_voice_digest_on_friday_then_stop_by_text_ends_it(
        texting, auth, services, demo, clock):
    client = texting
    enable(client, auth)
    alex = Talk(services, demo["voice_users"]["alice"])
    assert "It comes by text message" in alex.hear("send me a weekly digest")
    assert "stop the digest" in alex.say("Yes", "yes")
    assert client.get("/api/v1/digest", headers=auth).get_json()["recipients"] == 1
    clock.advance(hours=1)
    backend = ShopBackend(client, demo["webhook_secret"], clock)
    for n in range(2):
        backend.signup(f"friend-{n}", demo["code"], email=f"friend{n}@example.org")
    friday = friday_ten(clock())
    clock.now = friday - timedelta(minutes=5)
    assert digest.run_due(services).enqueued == 0  # Thursday's end, or Friday 9:55
    clock.now = friday
    assert digest.run_due(services).enqueued == 1
    assert digest.run_due(services).enqueued == 0  # once per period
    [sent] = deliver(services).sent
    assert (sent.kind, sent.channel, sent.recipient) == ("digest", "sms", "+15555550100")
    assert "2 friends joined" in sent.rendered.sms and "/r/" in sent.rendered.sms
    assert sent_digests(services)[0].evidence["asked"] == "send me a weekly digest"
    stop_by_text(client, services, "+15555550100")
    backend.signup("friend-9", demo["code"], email="friend9@example.org")
    clock.now = friday + timedelta(days=7)
    run = digest.run_due(services)
    assert (run.enqueued, run.skipped) == (0, 1)
    assert deliver(services).sent == []
    assert client.get("/api/v1/digest", headers=auth).get_json()["recipients"] == 0


def stop_by_text(client: Any, services: Any, phone: str) -> None:
    form = {"From": phone, "Body": "STOP", "To": "+1500"}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(
        services.settings.public_base_url + "/hooks/twilio/inbound", form)
    assert client.post("/hooks/twilio/inbound", data=form,
                       headers={"X-Twilio-Signature": signature}).status_code == 200


def test_a_russian_referrer_opts_in_gets_it_in_russian_on_friday_and_stop_ends_it(
        texting, auth, services, demo, clock):
    client = texting
    enable(client, auth)
    with services.db.session() as session:
        alex = session.scalar(select(Customer).where(Customer.external_id == "alex"))
        alex.locale = "ru-RU"
    talk = Talk(services, demo["voice_users"]["alice"], locale="ru-RU")
    assert "Она придёт в СМС" in talk.hear("присылай мне еженедельную сводку")
    assert "больше не присылай сводку" in talk.say("Yes", "да")
    clock.advance(hours=1)
    backend = ShopBackend(client, demo["webhook_secret"], clock)
    for n in range(5):
        backend.signup(f"drug-{n}", demo["code"], email=f"drug{n}@example.org")
    friday = friday_ten(clock())
    clock.now = friday
    assert digest.run_due(services).enqueued == 1
    [sent] = deliver(services).sent
    assert "присоединились 5 друзей" in sent.rendered.text
    assert "присоединились 5 друзей" in sent.rendered.sms and sent.rendered.sms_segments >= 1
    assert sent.rendered.subject.startswith("Сводка")
    stop_by_text(client, services, "+15555550100")
    backend.signup("drug-9", demo["code"], email="drug9@example.org")
    clock.now = friday + timedelta(days=7)
    assert digest.run_due(services).enqueued == 0
    assert deliver(services).sent == []


def test_only_when_something_happens_skips_a_quiet_week_and_an_email_carries_the_qr(
        client, auth, services, demo, clock):
    enable(client, auth)
    with services.db.session() as session:  # Alex without a phone: email is the channel
        alex = session.scalar(select(Customer).where(Customer.external_id == "alex"))
        alex.phone = None
    talk = Talk(services, demo["voice_users"]["alice"])
    assert "by email" in talk.hear("only tell me when something happens")
    talk.say("Yes", "yes")
    clock.advance(hours=1)
    ShopBackend(client, demo["webhook_secret"], clock).signup("f1", demo["code"],
                                                              email="f1@example.org")
    friday = friday_ten(clock())
    clock.now = friday
    assert digest.run_due(services).enqueued == 1
    [sent] = deliver(services).sent
    assert sent.channel == "email" and sent.qr_png and sent.qr_png.startswith(b"\x89PNG")
    clock.now = friday + timedelta(days=7)  # nothing new this week
    run = digest.run_due(services)
    assert (run.enqueued, run.nothing_new) == (0, 1)
    assert len(sent_digests(services)) == 1


def _subscribed_alex(client: Any, auth: Any, services: Any, demo: Any, **settings: Any) -> None:
    enable(client, auth, **settings)
    talk = Talk(services, demo["voice_users"]["alice"])
    talk.hear("send me a weekly digest")
    talk.say("Yes", "yes")


def test_a_paused_shop_or_a_capped_recipient_gets_no_digest(client, auth, services, demo,
                                                           clock):
    _subscribed_alex(client, auth, services, demo)
    with services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        shop.settings = {**shop.settings, "messaging_paused": True}
    clock.now = friday_ten(clock())
    assert digest.run_due(services).skipped == 1
    with services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        shop.settings = {**shop.settings, "messaging_paused": False}
        alex = session.scalar(select(Customer).where(Customer.external_id == "alex"))
        for n in range(digest.MAX_MARKETING_PER_WEEK):
            from core.messaging import outbox
            outbox.enqueue(session, hash_key=services.settings.hash_key, shop_id=shop.id,
                           kind="reminder", channel="sms", recipient=alex.phone,
                           idempotency_key=f"cap-{n}", customer_id=alex.id)
    run = digest.run_due(services)
    assert (run.enqueued, run.skipped) == (0, 1)


def test_a_digest_due_at_night_waits_for_the_morning(client, auth, services, demo, clock):
    _subscribed_alex(client, auth, services, demo, hour=22)
    friday = friday_ten(clock()).replace(hour=22)
    clock.now = friday
    assert digest.run_due(services).enqueued == 1
    sandbox = SandboxChannel()
    assert Worker(services, channels={"sms": sandbox}).run_once().deferred == 1
    [row] = sent_digests(services)
    assert row.next_attempt_at.astimezone(ZoneInfo("America/New_York")).hour == 8


def test_the_idempotency_key_alone_keeps_it_to_one_per_period(client, auth, services, demo,
                                                             clock):
    _subscribed_alex(client, auth, services, demo)
    clock.now = friday_ten(clock())
    assert digest.run_due(services).enqueued == 1
    with services.db.session() as session:  # as if the job crashed before recording it
        session.execute(DigestSubscription.__table__.update().values(last_period=None))
    run = digest.run_due(services)
    assert (run.enqueued, run.duplicates) == (0, 1)
    with services.db.session() as session:
        assert session.scalar(select(func.count(Message.id)).where(
            Message.kind == "digest")) == 1


def test_a_digest_stopped_by_voice_after_it_was_queued_is_not_sent(client, auth, services,
                                                                   demo, clock):
    _subscribed_alex(client, auth, services, demo)
    clock.now = friday_ten(clock())
    digest.run_due(services)
    assert "no more digests" in Talk(services, demo["voice_users"]["alice"]).hear(
        "stop the weekly digest")
    assert deliver(services).sent == []


def test_a_shop_with_the_digest_off_says_so_and_records_nothing(services, demo):
    talk = Talk(services, demo["voice_users"]["alice"])
    assert "doesn't send a digest" in talk.hear("send me a weekly digest")
    with services.db.session() as session:
        assert session.scalar(select(func.count(DigestSubscription.id))) == 0
