"""Flows 1 and 2 as use cases: share the invite with me, and send it straight to a friend.

Each is one call inside the caller's unit of work returning a typed outcome; the dialog only
chooses words for it. Nothing is sent here: the Share row and the outbox message are written
in the caller's transaction and the worker delivers afterwards. The friend rules (one invite
per friend per shop per 30 days, a daily cap per referrer) live in core.messaging.outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from core import links, referrals
from core.errors import DomainError, RateLimited
from core.hashing import keyed_hash
from core.messaging import outbox
from core.messaging.channels.telegram import deep_link
from core.messaging.purpose import Purpose
from core.models import Customer, Shop
from core.referrals import Invite
from core.services import Services
from core.speakers import Speaker

PHONE_CHANNELS = ("sms", "whatsapp")
FRIEND_KEY_PERIOD_DAYS = 30  # a retried turn maps to the same message within a period


class ShareStatus(StrEnum):
    QUEUED = "queued"  # a new message to the customer is on its way
    ALREADY_SENT = "already_sent"  # the same channel got it today
    NO_ADDRESS = "no_address"  # no confirmed phone or email: the code is only spoken
    CANNOT_SEND = "cannot_send"  # the outbox refused (caps, a bad address)


class FriendInviteStatus(StrEnum):
    QUEUED = "queued"
    OWN_ADDRESS = "own_address"  # the customer gave their own phone or email
    RECENTLY_INVITED = "recently_invited"  # this friend got an invite from the shop lately
    REFUSED = "refused"  # another outbox rule said no (see `reason`)
    NEEDS_CONTACT = "needs_contact"  # nothing usable to send to


@dataclass(frozen=True)
class Said:
    """Who asked, where and in which words: stored with the message as consent evidence."""

    assistant: str
    voice_user: str | None
    utterance: str
    locale: str

    def evidence(self, services: Services, shop: Shop, **extra: object) -> dict[str, object]:
        return {"assistant": self.assistant, "shop": shop.slug,
                "at": services.clock().isoformat(), "voice_user": self.voice_user,
                "utterance": self.utterance, **extra}


@dataclass(frozen=True)
class ShareOutcome:
    status: ShareStatus
    invite: Invite  # as the message carries it (its link says the message's channel)
    channel: str  # sms | whatsapp | email | telegram..., "voice" when nothing was sent
    address: str | None = None
    message_ids: list[int] = field(default_factory=list)
    telegram_link: str = ""
    shown: Invite | None = None  # as the screen or the app's card shows it (its own channel)


@dataclass(frozen=True)
class FriendInviteOutcome:
    status: FriendInviteStatus
    invite: Invite | None = None
    channel: str = ""
    message_ids: list[int] = field(default_factory=list)
    reason: str = ""  # the outbox's code when REFUSED
    shown: Invite | None = None  # the link as the app's card / the screen shows it


def _self_address(services: Services, customer: Customer,
                  wanted: str | None) -> tuple[str, str] | None:
    """The channel the customer asked for if we have that address confirmed, else the
    outbox's choice (confirmed phone or email)."""
    if wanted in PHONE_CHANNELS and customer.phone and customer.phone_confirmed_at:
        return wanted, customer.phone
    if wanted == "email" and customer.email and customer.email_confirmed_at:
        return "email", customer.email
    return outbox.choose_channel(customer, services.settings)


def _telegram_link(services: Services, shop: Shop, code: str) -> str:
    """A bot cannot write first: the customer gets a t.me deep link that starts the shop's
    bot with their code (empty when the shop has no Telegram bot)."""
    bot = shop.setting("telegram_bot") or services.settings.telegram.bot_username
    return deep_link(str(bot), code) if bot else ""


def _message_context(services: Services, shop: Shop, customer: Customer, invite: Invite,
                     terms: str, wanted: str | None) -> dict[str, Any]:
    return {
        "telegram_link": _telegram_link(services, shop, invite.code)
        if wanted == "telegram" else "",
        "code": invite.display, "link": invite.link, "qr_png": invite.qr_png,
        "shop_name": shop.name, "referrer_name": customer.name or "", "terms": terms,
    }


def _read_with(customer: Customer, speaker: Speaker | None) -> Speaker:
    """What the turn read with the customer (core.speakers), or the same read now."""
    if speaker is not None and speaker.customer is customer:
        return speaker
    return Speaker(customer, None, share_webhooks=None)


def share_with_me(session: Session, services: Services, *, shop: Shop, customer: Customer,
                  said: Said, wanted_channel: str | None = None, terms: str = "",
                  speaker: Speaker | None = None, has_screen: bool = False) -> ShareOutcome:
    """The customer's code and invite link, queued to their confirmed address (once a day
    per channel). `terms` is the program in the customer's words, quoted in the message;
    `speaker` what the turn already read with the customer (their code, the shop's share
    webhooks), so none of it is read again. Writes: the message (INSERT ... ON CONFLICT DO
    NOTHING), then the Share row.

    Every turn is a share, whatever went out: a message's channel when one was queued,
    else "screen" (a screen showed the code and QR) or "voice" (the code only spoken).
    The link the screen or the app's card shows carries its own channel (`shown`)."""
    known = _read_with(customer, speaker)
    found = _self_address(services, customer, wanted_channel)
    channel = found[0] if found else "voice"
    code = known.code or referrals.ensure_code(session, customer)
    assistant = links.assistant_or_none(said.assistant)
    invite = referrals.invite_for(shop, code, services.base_url, channel=channel,
                                  locale=said.locale, assistant=assistant)
    shown = referrals.invite_for(shop, code, services.base_url,
                                 channel="screen" if has_screen else "card",
                                 locale=said.locale, assistant=assistant)
    spoken_channel = "screen" if has_screen else "voice"

    def spoken_only(status: ShareStatus, address: str | None = None) -> ShareOutcome:
        referrals.record_share(session, services, shop=shop, customer=customer, code=code,
                               channel=spoken_channel, assistant=said.assistant,
                               share_webhooks=known.share_webhooks)
        return ShareOutcome(status, invite, channel, address, shown=shown)

    if found is None:
        return spoken_only(ShareStatus.NO_ADDRESS)
    channel, address = found
    today = services.clock().date().isoformat()
    context = _message_context(services, shop, customer, invite, terms, wanted_channel)
    try:
        message_id = outbox.enqueue_once(session, outbox.NewMessage(
            hash_key=services.settings.hash_key, shop_id=shop.id, now=services.clock(),
            kind="invite_self", purpose=Purpose.TRANSACTIONAL, channel=channel, recipient=address,
            idempotency_key=f"invite_self:{shop.id}:{customer.id}:{channel}:{today}",
            customer_id=customer.id, locale=said.locale, context=context,
            evidence=said.evidence(services, shop, confirmed=True, recipient="self")),
            linked_voice_identity=known.voice_identity_id)
    except outbox.NoLongerLinked:
        raise  # erased meanwhile: nothing of this turn may stay
    except DomainError:
        return spoken_only(ShareStatus.CANNOT_SEND, address)
    if message_id is None:
        return spoken_only(ShareStatus.ALREADY_SENT, address)
    referrals.record_share(session, services, shop=shop, customer=customer, code=code,
                           channel=channel, assistant=said.assistant, recipient=address,
                           share_webhooks=known.share_webhooks)
    return ShareOutcome(ShareStatus.QUEUED, invite, channel, address, [message_id],
                        str(context.get("telegram_link") or ""), shown=shown)


def invite_friend(session: Session, services: Services, *, shop: Shop, customer: Customer,
                  said: Said, contact_kind: str, contact_value: str, heard: str = "",
                  terms: str = "", speaker: Speaker | None = None,
                  has_screen: bool = False) -> FriendInviteOutcome:
    """Send the customer's invite to a friend's phone (SMS) or email, after the customer
    confirmed the address read back to them (`heard` is what they said)."""
    if contact_kind not in ("phone", "email") or not contact_value:
        return FriendInviteOutcome(FriendInviteStatus.NEEDS_CONTACT)
    if contact_value.lower() in {customer.phone, (customer.email or "").lower()}:
        return FriendInviteOutcome(FriendInviteStatus.OWN_ADDRESS)
    known = _read_with(customer, speaker)
    channel = "sms" if contact_kind == "phone" else "email"
    code = known.code or referrals.ensure_code(session, customer)
    invite = referrals.invite_for(shop, code, services.base_url, channel=channel,
                                  locale=said.locale,
                                  assistant=links.assistant_or_none(said.assistant))
    hash_key = services.settings.hash_key
    period = services.clock().toordinal() // FRIEND_KEY_PERIOD_DAYS
    key = f"invite_friend:{shop.id}:{customer.id}:{keyed_hash(hash_key, contact_value)}:{period}"
    try:
        message_id = outbox.enqueue_once(session, outbox.NewMessage(
            hash_key=hash_key, shop_id=shop.id, kind="invite_friend",
            purpose=Purpose.MARKETING, now=services.clock(),
            channel=channel, recipient=contact_value, idempotency_key=key,
            customer_id=customer.id, locale=said.locale,
            context=_message_context(services, shop, customer, invite, terms, None),
            evidence=said.evidence(services, shop, confirmed=True, recipient="friend",
                                   heard=heard)), linked_voice_identity=known.voice_identity_id)
    except outbox.NoLongerLinked:
        raise  # erased meanwhile: nothing of this turn may stay
    except RateLimited as exc:
        if exc.code == "friend_recently_invited":
            return FriendInviteOutcome(FriendInviteStatus.RECENTLY_INVITED, invite, channel)
        return FriendInviteOutcome(FriendInviteStatus.REFUSED, invite, channel,
                                   reason=exc.code)
    except DomainError as exc:
        return FriendInviteOutcome(FriendInviteStatus.REFUSED, invite, channel,
                                   reason=exc.code)
    if message_id is None:  # the same invite, already queued: never a second one
        return FriendInviteOutcome(FriendInviteStatus.RECENTLY_INVITED, invite, channel)
    referrals.record_share(session, services, shop=shop, customer=customer, code=code,
                           channel=channel, assistant=said.assistant, recipient=contact_value,
                           recipient_kind="friend", share_webhooks=known.share_webhooks)
    shown = referrals.invite_for(shop, code, services.base_url,
                                 channel="screen" if has_screen else "card",
                                 locale=said.locale,
                                 assistant=links.assistant_or_none(said.assistant))
    return FriendInviteOutcome(FriendInviteStatus.QUEUED, invite, channel, [message_id],
                               shown=shown)
