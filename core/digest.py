"""The referrer's digest: friends who joined since the last one, rewards pending / held /
approved, their link (and QR by email). Opt-in per customer (by voice, the words kept as
evidence), on/off and cadence per shop.

Exactly once per customer and period: the outbox message's idempotency key is
`digest:<customer>:<period>` (unique in the database), so two jobs, a restart mid-run or a
re-run can only ever find the first row. Subscriptions are claimed FOR UPDATE SKIP LOCKED
on PostgreSQL so concurrent jobs split the work instead of repeating it.

Consent, opt-outs (STOP, unsubscribe links) and quiet hours are checked again by the outbox
worker just before sending, as for every message; the job adds the shop's pause switch, a
per-recipient weekly cap and "only when something happens"."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_decimal, get_currency_precision
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import links, referrals, shops
from core.clock import as_utc
from core.errors import InvalidInput
from core.hashing import keyed_hash
from core.messaging import outbox, rendering
from core.messaging.purpose import Purpose
from core.models import (
    Customer,
    DigestSubscription,
    EntryStatus,
    LedgerEntry,
    Message,
    Referral,
    ReferralCode,
    ReferralStatus,
    Shop,
    Suppression,
)
from core.reminders import zone_of
from core.services import Services

CADENCES = ("weekly", "monthly")
PREVIEW_LOCALES = ("en-US", "en-GB", "de-DE", "ru-RU")
DEFAULTS: dict[str, Any] = {"enabled": False, "cadence": "weekly", "weekday": 4, "hour": 10}
MARKETING_KINDS = ("digest", "reminder")
MAX_MARKETING_PER_WEEK = 3  # per recipient: digests and reminders together
MONEY_KINDS = ("fixed_discount", "gift_card", "cash")


# --- shop settings ----------------------------------------------------------------------

def settings_of(shop: Shop) -> dict[str, Any]:
    return {**DEFAULTS, **(shop.setting("digest") or {})}


def update_settings(shop: Shop, changes: dict[str, Any]) -> dict[str, Any]:
    merged = {**settings_of(shop), **changes}
    if merged["cadence"] not in CADENCES:
        raise InvalidInput("cadence must be weekly or monthly.", code="schema",
                           details={"fields": ["cadence"]})
    shop.settings = {**(shop.settings or {}), "digest": merged}
    return merged


# --- subscribing ------------------------------------------------------------------------

class SubscribeStatus(StrEnum):
    SUBSCRIBED = "subscribed"
    UPDATED = "updated"
    DISABLED = "disabled"  # the shop has no digest
    NO_CHANNEL = "no_channel"  # no confirmed address to send it to


@dataclass(frozen=True)
class Subscribed:
    status: SubscribeStatus
    channel: str | None
    only_when_new: bool


def subscribe(session: Session, services: Services, shop: Shop, customer: Customer, *,
              only_when_new: bool, evidence: dict[str, Any]) -> Subscribed:
    if not settings_of(shop)["enabled"]:
        return Subscribed(SubscribeStatus.DISABLED, None, only_when_new)
    found = outbox.choose_channel(customer, services.settings)
    if found is None:
        return Subscribed(SubscribeStatus.NO_CHANNEL, None, only_when_new)
    sub = session.scalar(select(DigestSubscription).where(
        DigestSubscription.customer_id == customer.id))
    status = (SubscribeStatus.UPDATED if sub is not None and sub.active
              else SubscribeStatus.SUBSCRIBED)
    if sub is None:
        sub = DigestSubscription(shop_id=shop.id, customer_id=customer.id,
                                 created_at=services.clock())
        session.add(sub)
    sub.channel, sub.only_when_new, sub.active, sub.stopped_at = (
        found[0], only_when_new, True, None)
    sub.evidence = {**evidence, **({"previous": sub.evidence} if sub.evidence else {})}
    session.flush()
    return Subscribed(status, found[0], only_when_new)


def unsubscribe(session: Session, services: Services, customer: Customer,
                evidence: dict[str, Any]) -> bool:
    sub = session.scalar(select(DigestSubscription).where(
        DigestSubscription.customer_id == customer.id, DigestSubscription.active.is_(True)))
    if sub is None:
        return False
    sub.active, sub.stopped_at = False, services.clock()
    sub.evidence = {**(sub.evidence or {}), "stopped": evidence}
    return True


# --- periods ----------------------------------------------------------------------------

def period_of(cadence: str, local: datetime) -> str:
    if cadence == "monthly":
        return f"{local.year}-{local.month:02d}"
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def send_moment(cadence: str, weekday: int, hour: int, local: datetime) -> datetime:
    """When this period's digest is due, in the local zone: the shop's weekday and hour in
    this ISO week, or the first such weekday of the month."""
    if cadence == "monthly":
        first = local.date().replace(day=1)
        day = first + timedelta(days=(weekday - first.weekday()) % 7)
    else:
        day = local.date() - timedelta(days=local.weekday()) + timedelta(days=weekday)
    return datetime.combine(day, time(hour), tzinfo=local.tzinfo)


# --- content ----------------------------------------------------------------------------

@dataclass
class DigestContent:
    friends_joined: int
    pending_minor: int = 0
    held_minor: int = 0
    approved_minor: int = 0
    points: dict[str, int] = field(default_factory=dict)
    currency: str = "USD"
    changed: bool = False  # anything new since the last digest

    @property
    def has_news(self) -> bool:
        return self.friends_joined > 0 or self.changed


def content_for(session: Session, customer: Customer, since: datetime | None) -> DigestContent:
    since = since or datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))
    joined = session.scalar(select(func.count(Referral.id)).where(
        Referral.referrer_id == customer.id, Referral.created_at > since,
        Referral.status.in_((ReferralStatus.PENDING, ReferralStatus.FLAGGED,
                             ReferralStatus.CONVERTED)))) or 0
    content = DigestContent(friends_joined=joined)
    for entry in session.scalars(select(LedgerEntry).where(
            LedgerEntry.customer_id == customer.id, LedgerEntry.entry_type == "reward",
            LedgerEntry.status != EntryStatus.REVERSED)):
        if as_utc(entry.created_at) > since or (
                entry.approved_at is not None and as_utc(entry.approved_at) > since):
            content.changed = True
        if entry.kind in MONEY_KINDS:
            content.currency = entry.currency
            attr = f"{entry.status}_minor"
            setattr(content, attr, getattr(content, attr) + entry.amount)
        elif entry.kind == "points":
            content.points[entry.status] = content.points.get(entry.status, 0) + entry.amount
    return content


# Localized lines, plural forms chosen by Babel's CLDR rules per language.
TEXTS: dict[str, dict[str, dict[str, str]]] = {
    "en": {"friends": {"one": "{n} friend joined since your last update.",
                       "other": "{n} friends joined since your last update."},
           "no_friends": {"other": "No new friends joined this time."},
           "points": {"one": "{n} point", "other": "{n} points"}},
    "de": {"friends": {"one": "Seit dem letzten Überblick ist {n} Freund beigetreten.",
                       "other": "Seit dem letzten Überblick sind {n} Freunde beigetreten."},
           "no_friends": {"other": "Diesmal sind keine neuen Freunde beigetreten."},
           "points": {"one": "{n} Punkt", "other": "{n} Punkte"}},
    "ru": {"friends": {"one": "С прошлой сводки присоединился {n} друг.",
                       "few": "С прошлой сводки присоединились {n} друга.",
                       "many": "С прошлой сводки присоединились {n} друзей.",
                       "other": "С прошлой сводки присоединились {n} друга."},
           "no_friends": {"other": "Новых друзей на этот раз нет."},
           "points": {"one": "{n} балл", "few": "{n} балла", "many": "{n} баллов",
                      "other": "{n} балла"}},
}
REWARD_LINES = {
    "en": {"approved": "Ready to use: {amount}", "held": "On hold (refund window): {amount}",
           "pending": "Pending the friend's order: {amount}"},
    "de": {"approved": "Einlösbar: {amount}", "held": "Zurückgehalten (Widerrufsfrist): {amount}",
           "pending": "Ausstehend bis zur Bestellung: {amount}"},
    "ru": {"approved": "Доступно: {amount}", "held": "На удержании (срок возврата): {amount}",
           "pending": "Ожидает заказа друга: {amount}"},
}


def _locale(locale: str) -> tuple[str, Locale]:
    language = rendering._language(locale)
    try:
        return language, Locale.parse((locale or "en").replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return language, Locale.parse(language)


def _plural(language: str, babel_locale: Locale, key: str, n: int) -> str:
    forms = TEXTS[language][key]
    form = babel_locale.plural_form(n)
    text = forms.get(form) or forms["other"]
    return text.format(n=format_decimal(n, locale=babel_locale))


def _money(minor: int, currency: str, babel_locale: Locale) -> str:
    amount = minor / (10 ** get_currency_precision(currency))
    return format_currency(amount, currency, locale=babel_locale)


def lines_for(content: DigestContent, locale: str) -> dict[str, Any]:
    language, babel_locale = _locale(locale)
    friends = (_plural(language, babel_locale, "friends", content.friends_joined)
               if content.friends_joined else TEXTS[language]["no_friends"]["other"])
    rewards = []
    for status in (EntryStatus.APPROVED, EntryStatus.HELD, EntryStatus.PENDING):
        minor = getattr(content, f"{status}_minor")
        parts = [_money(minor, content.currency, babel_locale)] if minor else []
        if content.points.get(status):
            parts.append(_plural(language, babel_locale, "points", content.points[status]))
        if parts:
            rewards.append(REWARD_LINES[language][status].format(amount=", ".join(parts)))
    return {"friends_line": friends, "rewards": rewards}


def preview(shop: Shop, locale: str, base_url: str) -> rendering.Rendered:
    """What a referrer would get, with example numbers (2 friends, one reward of each
    state), for the shop's settings page."""
    content = DigestContent(friends_joined=2, pending_minor=1000, held_minor=1000,
                            approved_minor=2000, currency=shop.currency or "USD",
                            changed=True)
    base = (shop.link_base_url or base_url).rstrip("/")
    return rendering.render("digest", locale, {
        **lines_for(content, locale), "shop_name": shop.name, "referrer_name": "Alex",
        "code": "ALEX4271", "link": links.invite_link(base, "ALEX4271", "email"),
        "unsubscribe_url": f"{base_url}/u/preview"})


# --- recipients and the job -------------------------------------------------------------

def _address(customer: Customer, channel: str) -> str | None:
    if channel == "email":
        return customer.email if customer.email_confirmed_at else None
    return customer.phone if customer.phone_confirmed_at else None


def _suppressed(session: Session, shop_id: int, channel: str, recipient_hash: str) -> bool:
    return session.scalar(select(Suppression.id).where(
        Suppression.channel == channel, Suppression.recipient_hash == recipient_hash,
        Suppression.lifted_at.is_(None),
        or_(Suppression.shop_id.is_(None), Suppression.shop_id == shop_id)).limit(1)) is not None


def recipient_count(session: Session, services: Services, shop: Shop) -> int:
    """Subscribers the next digest could reach now: active, address still confirmed, not
    opted out on that channel."""
    count = 0
    for sub, customer in session.execute(
            select(DigestSubscription, Customer).join(
                Customer, Customer.id == DigestSubscription.customer_id)
            .where(DigestSubscription.shop_id == shop.id,
                   DigestSubscription.active.is_(True))):
        address = _address(customer, sub.channel)
        if address and not _suppressed(session, shop.id, sub.channel,
                                       keyed_hash(services.settings.hash_key, address)):
            count += 1
    return count


@dataclass
class DigestRun:
    enqueued: int = 0
    nothing_new: int = 0
    not_due: int = 0
    skipped: int = 0  # paused or disabled shop, no address, opted out, capped
    duplicates: int = 0  # another job had queued this period already

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def run_due(services: Services, *, batch: int = 200) -> DigestRun:
    """One pass over every active subscription, in batches by id."""
    result = DigestRun()
    after = 0
    while True:
        after, seen = _run_batch(services, after, batch, result)
        if seen < batch:
            return result


def _run_batch(services: Services, after: int, batch: int,
               result: DigestRun) -> tuple[int, int]:
    now = services.clock()
    with services.db.session() as session:
        without_code = list(session.scalars(
            select(DigestSubscription.customer_id).where(
                DigestSubscription.active.is_(True), DigestSubscription.id > after,
                ~select(ReferralCode.id).where(
                    ReferralCode.customer_id == DigestSubscription.customer_id,
                    ReferralCode.active.is_(True)).exists())
            .order_by(DigestSubscription.id).limit(batch)))
    referrals.ensure_codes(services, without_code)
    with services.db.session() as session:
        query = (select(DigestSubscription).where(DigestSubscription.active.is_(True),
                                                  DigestSubscription.id > after)
                 .order_by(DigestSubscription.id).limit(batch))
        if services.db.is_postgres:
            query = query.with_for_update(skip_locked=True)
        subs = list(session.scalars(query))
        for sub in subs:
            _handle(session, services, sub, now, result)
        return (subs[-1].id if subs else after), len(subs)


def _handle(session: Session, services: Services, sub: DigestSubscription, now: datetime,
            result: DigestRun) -> None:
    shop = session.get(Shop, sub.shop_id)
    customer = session.get(Customer, sub.customer_id)
    config = settings_of(shop) if shop else DEFAULTS
    if shop is None or customer is None or not config["enabled"] or shop.setting(
            "messaging_paused"):
        result.skipped += 1
        return
    local = as_utc(now).astimezone(ZoneInfo(zone_of(customer, shop)))
    period = period_of(config["cadence"], local)
    if sub.last_period == period:
        return
    if local < send_moment(config["cadence"], int(config["weekday"]), int(config["hour"]),
                           local):
        result.not_due += 1
        return
    address = _address(customer, sub.channel)
    recipient_hash = keyed_hash(services.settings.hash_key, address) if address else ""
    if address is None or _suppressed(session, shop.id, sub.channel, recipient_hash):
        result.skipped += 1
        return
    content = content_for(session, customer, sub.last_sent_at or sub.created_at)
    if sub.only_when_new and not content.has_news:
        sub.last_period = period
        result.nothing_new += 1
        return
    if _recent_marketing(session, shop.id, recipient_hash, now) >= MAX_MARKETING_PER_WEEK:
        result.skipped += 1
        return
    code = referrals.ensure_code(session, customer)
    base = (shop.link_base_url or services.base_url).rstrip("/")
    _, new = outbox.enqueue_new(session, outbox.NewMessage(
        hash_key=services.settings.hash_key, shop_id=shop.id, kind="digest",
        purpose=Purpose.MARKETING,
        channel=sub.channel, recipient=address, customer_id=customer.id,
        idempotency_key=f"digest:{customer.id}:{period}", locale=customer.locale, now=now,
        context={**lines_for(content, customer.locale), "shop_name": shop.name,
                 "referrer_name": customer.name, "code": code.code, "period": period,
                 "link": links.invite_link(base, code.code, sub.channel)},
        evidence={"digest": sub.id, **(sub.evidence or {})}))
    sub.last_period, sub.last_sent_at = period, now
    if new:
        result.enqueued += 1
    else:
        result.duplicates += 1


def _recent_marketing(session: Session, shop_id: int, recipient_hash: str,
                      now: datetime) -> int:
    return session.scalar(select(func.count(Message.id)).where(
        Message.shop_id == shop_id, Message.recipient_hash == recipient_hash,
        Message.kind.in_(MARKETING_KINDS),
        Message.created_at >= as_utc(now) - timedelta(days=7))) or 0


# --- use cases for the shop API: one call each, scoped to the shop -----------------------

@dataclass(frozen=True)
class DigestSettings:
    enabled: bool
    cadence: str
    weekday: int  # 0 Monday .. 6 Sunday, in each referrer's own time zone
    hour: int
    recipients: int  # whom the next digest would reach now (recipient_count)


def _settings(uow: Session, services: Services, shop: Shop) -> DigestSettings:
    config = settings_of(shop)
    return DigestSettings(bool(config["enabled"]), config["cadence"], int(config["weekday"]),
                          int(config["hour"]), recipient_count(uow, services, shop))


def shop_settings(services: Services, shop_id: int) -> DigestSettings:
    with services.db.session() as uow:
        return _settings(uow, services, shops.get(uow, shop_id))


def change_settings(services: Services, shop_id: int,
                    changes: dict[str, Any]) -> DigestSettings:
    """update_settings for the shop; the answer counts the recipients afterwards."""
    with services.db.session() as uow:
        shop = shops.get(uow, shop_id)
        update_settings(shop, changes)
        uow.flush()
        return _settings(uow, services, shop)


@dataclass(frozen=True)
class DigestPreview:
    locale: str
    rendered: rendering.Rendered


def preview_for(services: Services, shop_id: int, locale: str | None) -> DigestPreview:
    """preview in `locale`, or the shop's own when None; InvalidInput for a locale
    outside PREVIEW_LOCALES."""
    with services.db.session() as uow:
        shop = shops.get(uow, shop_id)
        locale = locale or shop.locale
        if locale not in PREVIEW_LOCALES:
            raise InvalidInput(f"locale must be one of {list(PREVIEW_LOCALES)}.",
                               code="schema", details={"fields": ["locale"]})
        return DigestPreview(locale, preview(shop, locale, services.base_url))
