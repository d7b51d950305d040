"""Who may be written to, and when. Checked by the worker right before sending, so an
opt-out that arrives after a message was queued still stops it.

- consent: the customer's own confirmed address, a friend's address the customer said,
  heard read back and confirmed (evidence on the row), or a pairing code they asked for;
- suppression: STOP / unsubscribe for this channel and address, for this shop or all;
- quiet hours: marketing texts only between 8:00 and 21:00 in the recipient's time zone
  (deferred to 8:00, never dropped); a transactional message (a one-time code, what the
  customer just asked for) goes at once, any hour (core.messaging.purpose)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezones
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.clock import as_utc
from core.messaging.purpose import Purpose
from core.models import Customer, DigestSubscription, Message, Reminder, Shop, Suppression

STAFF_KINDS = ("staff_verify", "staff_reset", "staff_invite",  # core.staff_accounts
               "store_data_request")  # core.stores.compliance: to the shop's owners
QUIET_START, QUIET_END = time(8, 0), time(21, 0)
TEXT_CHANNELS = ("sms", "whatsapp")


def is_suppressed(session: Session, message: Message) -> bool:
    return session.scalar(select(Suppression.id).where(
        Suppression.channel == message.channel,
        Suppression.recipient_hash == message.recipient_hash,
        Suppression.lifted_at.is_(None),
        or_(Suppression.shop_id.is_(None), Suppression.shop_id == message.shop_id),
    ).limit(1)) is not None


def has_consent(session: Session, message: Message) -> bool:
    if message.kind == "pairing_code":
        return True  # the person asked for it, by voice, a moment ago
    if message.kind in STAFF_KINDS:
        return True  # a shop's staff: account mail they asked for (sign-up, reset, invite)
    if message.kind == "invite_friend":
        return bool((message.evidence or {}).get("confirmed"))
    customer = session.get(Customer, message.customer_id) if message.customer_id else None
    if customer is None:
        return False
    if not _still_wanted(session, message):
        return False
    if message.recipient == customer.phone:
        return customer.phone_confirmed_at is not None
    if message.recipient == customer.email:
        return customer.email_confirmed_at is not None
    return False


def _still_wanted(session: Session, message: Message) -> bool:
    """A reminder or digest the customer turned off after it was queued is not sent."""
    context = message.context or {}
    if message.kind == "reminder":
        return bool(session.scalar(select(Reminder.active).where(
            Reminder.id == context.get("reminder_id"))))
    if message.kind == "digest":
        return bool(session.scalar(select(DigestSubscription.active).where(
            DigestSubscription.customer_id == message.customer_id)))
    return True


def _zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def recipient_zones(session: Session, message: Message) -> list[ZoneInfo]:
    """Where the recipient may be. The number's own zone when phonenumbers knows just one
    (+1 415 -> Los Angeles); for a number that spans zones (a Russian mobile spans eleven)
    the customer's or the shop's zone when the number allows it; else every zone it allows,
    so the text waits for hours that are daytime in all of them."""
    number_zones: list[ZoneInfo] = []
    try:
        number = phonenumbers.parse(message.recipient)
        for name in phone_timezones.time_zones_for_number(number):
            zone = _zone(name) if "/" in name else None
            if zone is not None:
                number_zones.append(zone)
    except phonenumbers.NumberParseException:
        pass
    if len(number_zones) == 1:
        return number_zones
    customer = session.get(Customer, message.customer_id) if message.customer_id else None
    shop = session.get(Shop, message.shop_id)
    preferred = [z for z in (_zone(customer.timezone if customer else None),
                             _zone(shop.timezone if shop else None)) if z is not None]
    if not number_zones:
        return preferred[:1] or [ZoneInfo("UTC")]
    allowed = {z.key for z in number_zones}
    for zone in preferred:  # the sender's own zone, a friend's likely one, the shop's
        if zone.key in allowed:
            return [zone]
    return number_zones


def recipient_zone(session: Session, message: Message) -> ZoneInfo:
    return recipient_zones(session, message)[0]


def _daytime(moment: datetime, zone: ZoneInfo) -> bool:
    return QUIET_START <= moment.astimezone(zone).time() < QUIET_END


def quiet_until(session: Session, message: Message, now: datetime) -> datetime | None:
    """None when a text may go now, else the first moment that is past 8:00 in every zone
    the recipient may be in (UTC). Transactional messages are never held."""
    if message.purpose == Purpose.TRANSACTIONAL or message.channel not in TEXT_CHANNELS:
        return None
    zones = recipient_zones(session, message)
    now = as_utc(now)
    if all(_daytime(now, zone) for zone in zones):
        return None
    openings = sorted(
        datetime.combine(now.astimezone(zone).date() + timedelta(days=d), QUIET_START,
                         tzinfo=zone).astimezone(now.tzinfo)
        for zone in zones for d in range(3))
    for moment in openings:
        if moment > now and all(_daytime(moment, zone) for zone in zones):
            return moment
    first = zones[0]  # no hour is daytime everywhere: the likeliest zone's morning
    local = now.astimezone(first)
    day = local.date() if local.time() < QUIET_START else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_START, tzinfo=first).astimezone(now.tzinfo)
