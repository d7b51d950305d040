"""Reminders a customer set by voice ("remind me every Friday to share the program"): a
weekly slot in the customer's own time zone, kept with the confirmation they spoke as
consent evidence, delivered by a job as a message on their channel through the outbox.

One weekly reminder per customer and weekday; setting the same day again moves the time.
The job is safe to run in several processes: rows are claimed FOR UPDATE SKIP LOCKED on
PostgreSQL and each send has an idempotency key per reminder and local date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import links, referrals
from core.clock import as_utc
from core.messaging import outbox
from core.messaging.purpose import Purpose
from core.models import Customer, Program, Reminder, Shop
from core.services import Services

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_TIME = "10:00"
MAX_PER_CUSTOMER = 7


def zone_of(customer: Customer, shop: Shop) -> str:
    for name in (customer.timezone, shop.timezone):
        if name:
            try:
                ZoneInfo(name)
                return name
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return "UTC"


def next_run(weekday: int, local_time: str, zone: str, after: datetime) -> datetime:
    """The first `weekday` at `local_time` in `zone` strictly after `after` (UTC out)."""
    tz = ZoneInfo(zone)
    hour, minute = (int(part) for part in local_time.split(":"))
    local = as_utc(after).astimezone(tz)
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    for _ in range(3):
        candidate = datetime.combine(day, time(hour, minute), tzinfo=tz)
        if candidate.astimezone(ZoneInfo("UTC")) > as_utc(after):
            return candidate.astimezone(ZoneInfo("UTC"))
        day += timedelta(days=7)
    raise AssertionError("unreachable")  # pragma: no cover


class ReminderSetStatus(StrEnum):
    CREATED = "created"
    MOVED = "moved"  # the same weekday at another time
    ALREADY = "already"
    NO_CHANNEL = "no_channel"  # no confirmed address to deliver it to


@dataclass(frozen=True)
class ReminderSet:
    status: ReminderSetStatus
    weekday: int
    local_time: str
    timezone: str
    channel: str | None
    reminder_id: int | None


def set_weekly(session: Session, services: Services, shop: Shop, customer: Customer, *,
               weekday: int, local_time: str = DEFAULT_TIME,
               evidence: dict[str, Any]) -> ReminderSet:
    """Create (or move) the weekly reminder for this weekday. Only for a customer we can
    reach: without a confirmed address there is nowhere to deliver it."""
    zone = zone_of(customer, shop)
    found = outbox.choose_channel(customer, services.settings)
    if found is None:
        return ReminderSet(ReminderSetStatus.NO_CHANNEL, weekday, local_time, zone, None, None)
    now = services.clock()
    existing = session.scalar(select(Reminder).where(
        Reminder.customer_id == customer.id, Reminder.weekday == weekday,
        Reminder.active.is_(True)))
    if existing is not None:
        status = (ReminderSetStatus.ALREADY if existing.local_time == local_time
                  else ReminderSetStatus.MOVED)
        existing.local_time, existing.timezone = local_time, zone
        existing.next_run_at = next_run(weekday, local_time, zone, now)
        existing.evidence = {**evidence, "previous": existing.evidence}
        return ReminderSet(status, weekday, local_time, zone, found[0], existing.id)
    reminder = Reminder(shop_id=shop.id, customer_id=customer.id, weekday=weekday,
                        local_time=local_time, timezone=zone, active=True,
                        next_run_at=next_run(weekday, local_time, zone, now),
                        evidence=evidence, created_at=now)
    session.add(reminder)
    session.flush()
    return ReminderSet(ReminderSetStatus.CREATED, weekday, local_time, zone, found[0], reminder.id)


def stop_all(session: Session, services: Services, customer: Customer,
             evidence: dict[str, Any]) -> list[Reminder]:
    """"Stop reminding me": every active reminder off, the words kept with each. Returns
    them, so the dialog can also delete the Alexa copies."""
    now = services.clock()
    stopped = []
    for reminder in session.scalars(select(Reminder).where(
            Reminder.customer_id == customer.id, Reminder.active.is_(True))):
        reminder.active, reminder.stopped_at, reminder.next_run_at = False, now, None
        reminder.evidence = {**(reminder.evidence or {}), "stopped": evidence}
        stopped.append(reminder)
    return stopped


def attach_alexa_alert(session: Session, reminder_id: int, alert_token: str) -> None:
    reminder = session.get(Reminder, reminder_id)
    if reminder is not None:
        reminder.alexa_alert_token = alert_token[:256]


def active(session: Session, customer_id: int) -> list[Reminder]:
    return list(session.scalars(select(Reminder).where(
        Reminder.customer_id == customer_id, Reminder.active.is_(True))
        .order_by(Reminder.weekday, Reminder.local_time)))


def is_active(session: Session, reminder_id: int | None) -> bool:
    """The worker asks just before sending: a reminder stopped after it was queued is not
    sent."""
    if reminder_id is None:
        return False
    return bool(session.scalar(select(Reminder.active).where(Reminder.id == reminder_id)))


@dataclass
class ReminderRun:
    enqueued: int = 0
    skipped: int = 0  # unreachable customers, paused shops, already sent for this date


def run_due(services: Services, *, batch: int = 200) -> ReminderRun:
    """Queue every reminder that is due, then move it to next week. One transaction per
    batch; run until nothing is due."""
    result = ReminderRun()
    while True:
        done = _run_batch(services, batch, result)
        if done < batch:
            return result


def _run_batch(services: Services, batch: int, result: ReminderRun) -> int:
    now = services.clock()
    with services.db.session() as session:
        due_customers = list(session.scalars(select(Reminder.customer_id).where(
            Reminder.active.is_(True), Reminder.next_run_at <= now).limit(batch)))
    referrals.ensure_codes(services, due_customers)
    with services.db.session() as session:
        query = (select(Reminder).where(Reminder.active.is_(True), Reminder.next_run_at <= now)
                 .order_by(Reminder.next_run_at, Reminder.id).limit(batch))
        if services.db.is_postgres:
            query = query.with_for_update(skip_locked=True)
        rows = list(session.scalars(query))
        for reminder in rows:
            _deliver(session, services, reminder, now, result)
            reminder.last_sent_at = now
            reminder.next_run_at = next_run(reminder.weekday, reminder.local_time,
                                            reminder.timezone, now)
        return len(rows)


def _deliver(session: Session, services: Services, reminder: Reminder, now: datetime,
             result: ReminderRun) -> None:
    shop = session.get(Shop, reminder.shop_id)
    customer = session.get(Customer, reminder.customer_id)
    if shop is None or customer is None or shop.setting("messaging_paused"):
        result.skipped += 1
        return
    found = outbox.choose_channel(customer, services.settings)
    code = referrals.active_code(session, customer.id) if found else None
    if found is None:
        result.skipped += 1
        return
    if code is None:
        code = referrals.ensure_code(session, customer)
    local_day = as_utc(now).astimezone(ZoneInfo(reminder.timezone)).date().isoformat()
    program = session.scalar(select(Program).where(Program.shop_id == shop.id,
                                                   Program.active.is_(True)))
    language = (customer.locale or shop.locale).split("-")[0]
    terms = (program.terms or {}).get(language, "") if program else ""
    base = (shop.link_base_url or services.base_url).rstrip("/")
    channel, address = found
    _, new = outbox.enqueue_new(session, outbox.NewMessage(
        hash_key=services.settings.hash_key, shop_id=shop.id, kind="reminder",
        purpose=Purpose.MARKETING,
        channel=channel, recipient=address, customer_id=customer.id,
        idempotency_key=f"reminder:{reminder.id}:{local_day}", locale=customer.locale,
        context={"shop_name": shop.name, "code": code.code, "terms": terms,
                 "link": links.invite_link(base, code.code, channel),
                 "referrer_name": customer.name, "reminder_id": reminder.id},
        evidence={"reminder": reminder.id, **(reminder.evidence or {})}, now=now))
    if new:
        result.enqueued += 1
    else:
        result.skipped += 1
