"""Quiet hours by the recipient's real zone (issue 13): a Russian mobile number spans eleven
zones, so "the first zone phonenumbers lists" (Asia/Almaty) texted Moscow at 06:00. The
number's own zone when it has one, else the sender's or the shop's when the number allows
it, else hours that are daytime in every zone it allows."""

from __future__ import annotations

from datetime import UTC, datetime

from core.messaging import policy
from core.messaging.outbox import enqueue
from core.models import Customer, Message, Shop


def _friend_text(services, recipient: str, *, customer_zone: str | None,
                 shop_zone: str = "UTC") -> int:
    with services.db.session() as session:
        shop = Shop(slug=f"zones-{abs(hash((recipient, customer_zone, shop_zone)))}",
                    name="Zones", landing_url="https://shop.example/", timezone=shop_zone)
        session.add(shop)
        session.flush()
        customer = Customer(shop_id=shop.id, external_id="c", name="Masha",
                            timezone=customer_zone)
        session.add(customer)
        session.flush()
        message = enqueue(session, hash_key=services.settings.hash_key, shop_id=shop.id,
                          kind="invite_friend", now=services.clock(), channel="sms",
                          recipient=recipient, idempotency_key=f"z:{recipient}:{shop.id}",
                          customer_id=customer.id, locale="ru-RU", context={},
                          evidence={"confirmed": True})
        return message.id


def _quiet_until(services, message_id: int, now: datetime) -> datetime | None:
    with services.db.session() as session:
        return policy.quiet_until(session, session.get(Message, message_id), now)


def test_a_moscow_mobile_is_not_texted_at_six_in_the_morning_moscow_time(services):
    message_id = _friend_text(services, "+79161234567", customer_zone="Europe/Moscow")
    six_moscow = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    assert _quiet_until(services, message_id, six_moscow) == datetime(2026, 11, 25, 5, 0,
                                                                       tzinfo=UTC)
    assert _quiet_until(services, message_id, datetime(2026, 11, 25, 5, 0, tzinfo=UTC)) is None


def test_with_nothing_known_a_multi_zone_number_waits_for_daytime_in_every_zone(services):
    message_id = _friend_text(services, "+79161234567", customer_zone=None)
    early = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 08:00 in Almaty, 05:00 in Bucharest
    opens = _quiet_until(services, message_id, early)
    assert opens == datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 08:00 in Bucharest (UTC+2)
    assert _quiet_until(services, message_id, datetime(2026, 11, 25, 8, 0, tzinfo=UTC)) is None


def test_a_number_with_its_own_zone_uses_it_whatever_the_sender_zone(services):
    message_id = _friend_text(services, "+14155550199", customer_zone="America/New_York")
    nine_new_york = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # 06:00 in San Francisco
    assert _quiet_until(services, message_id, nine_new_york) == datetime(2026, 11, 25, 16, 0,
                                                                          tzinfo=UTC)


def test_a_sender_zone_the_number_cannot_be_in_is_not_used(services):
    message_id = _friend_text(services, "+79161234567", customer_zone="America/New_York",
                              shop_zone="Europe/Moscow")
    six_moscow = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    assert _quiet_until(services, message_id, six_moscow) == datetime(2026, 11, 25, 5, 0,
                                                                       tzinfo=UTC)
