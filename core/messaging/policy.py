"""Who may be written to, and when. Checked by the worker right before sending, so an
opt-out that arrives after a message was queued still stops it.

- consent: the customer's own confirmed address, a friend's address the customer said,
  heard read back and confirmed (evidence on the row), or a pairing code they asked for;
- suppression: STOP / unsubscribe for this channel and address, for this shop or all;
- quiet hours: texts only between 8:00 and 21:00 in the recipient's time zone (deferred to
  8:00, never dropped)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezones
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.clock import as_utc
from core.models import Customer, Message, Shop, Suppression

STAFF_KINDS = ("staff_verify", "staff_reset", "staff_invite")  # core.staff_accounts
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
    if message.recipient == customer.phone:
        return customer.phone_confirmed_at is not None
    if message.recipient == customer.email:
        return customer.email_confirmed_at is not None
    return False


def recipient_zone(session: Session, message: Message) -> ZoneInfo:
    names: list[str] = []
    customer = session.get(Customer, message.customer_id) if message.customer_id else None
    if customer is not None and customer.phone == message.recipient and customer.timezone:
        names.append(customer.timezone)
    try:
        number = phonenumbers.parse(message.recipient)
        names += [z for z in phone_timezones.time_zones_for_number(number) if "/" in z]
    except phonenumbers.NumberParseException:
        pass
    shop = session.get(Shop, message.shop_id)
    if shop is not None and shop.timezone:
        names.append(shop.timezone)
    for name in names:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def quiet_until(session: Session, message: Message, now: datetime) -> datetime | None:
    """None when a text may go now, else the next 8:00 in the recipient's zone (UTC)."""
    if message.channel not in TEXT_CHANNELS:
        return None
    zone = recipient_zone(session, message)
    local = as_utc(now).astimezone(zone)
    if QUIET_START <= local.time() < QUIET_END:
        return None
    day = local.date() if local.time() < QUIET_START else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_START, tzinfo=zone).astimezone(as_utc(now).tzinfo)
