"""Flows 1 and 2: share the invite with me, and send it straight to a friend.

The share turn writes the Share row and the outbox message in the caller's transaction;
nothing is sent here. A friend's address is used only after it was read back and the
customer said yes; the words they said are stored with the message as consent evidence."""

from __future__ import annotations

import re
from datetime import timedelta

import phonenumbers
from sqlalchemy import select

from core import codes, referrals
from core.contacts import mask_email
from core.errors import DomainError
from core.hashing import keyed_hash
from core.messaging import outbox
from core.messaging.channels.telegram import deep_link
from core.models import Customer, Message, ReferralCode
from core.referrals import Invite
from voice.dialog.context import DialogContext
from voice.dialog.slots import Contact, parse_contact
from voice.dialog.state import (
    AWAIT_FRIEND_CONFIRM,
    AWAIT_FRIEND_CONTACT,
    AWAIT_OFFER_FRIEND,
)
from voice.dialog.terms import terms_sentences
from voice.turn import Digits, Pause, Reply, Speech, Spell

PHONE_CHANNELS = ("sms", "whatsapp")
FRIEND_INVITE_WINDOW = timedelta(days=30)


def code_speech(ctx: DialogContext, code: str, spoken_name: str) -> Speech:
    """'Alex, 0 9 2, 4 7 7': the name as a word, the digits in groups (DESIGN: digits
    survive speech recognition, spelled letters do not)."""
    parts = codes.split(code)
    if parts.word:
        name = spoken_name if spoken_name and spoken_name.isascii() else parts.word.capitalize()
        return Speech.of(name + ",", Digits(tuple(parts.digit_groups)))
    return Speech.of(Digits(tuple(parts.digit_groups)))


def address_speech(ctx: DialogContext, contact: Contact) -> Speech:
    """Read an address back so a mistake is heard before anything is sent."""
    if contact.kind == "phone":
        number = phonenumbers.parse(contact.value)
        shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        return Speech.of(Digits(tuple(re.findall(r"\d+", shown))))
    local, _, domain = contact.value.partition("@")
    return Speech.of(Spell(local), ctx._("at"), domain)


def _invite(ctx: DialogContext, customer: Customer,
            channel: str) -> tuple[Invite, ReferralCode]:
    code = referrals.ensure_code(ctx.session, customer)
    return referrals.invite_for(ctx.shop, code, ctx.services.base_url, channel=channel), code


def _self_address(ctx: DialogContext, customer: Customer) -> tuple[str, str] | None:
    """The channel the customer asked for if we have that address confirmed, else the
    outbox's choice (confirmed phone or email)."""
    wanted = ctx.turn.slots.get("channel") or ctx.state.channel
    if wanted in PHONE_CHANNELS and customer.phone and customer.phone_confirmed_at:
        return wanted, customer.phone
    if wanted == "email" and customer.email and customer.email_confirmed_at:
        return "email", customer.email
    return outbox.choose_channel(customer, ctx.services.settings)


def _telegram_link(ctx: DialogContext, code: str) -> str:
    """A bot cannot write first: the customer gets a t.me deep link that starts the shop's
    bot with their code (empty when the shop has no Telegram bot)."""
    bot = ctx.shop.setting("telegram_bot") or ctx.services.settings.extra.get(
        "telegram_bot_username")
    return deep_link(str(bot), code) if bot else ""


def _message_context(ctx: DialogContext, customer: Customer, invite: Invite) -> dict[str, str]:
    wanted = ctx.turn.slots.get("channel") or ctx.state.channel
    return {
        "telegram_link": _telegram_link(ctx, invite.code) if wanted == "telegram" else "",
        "code": invite.display, "link": invite.link, "qr_png": invite.qr_png,
        "shop_name": ctx.shop.name, "referrer_name": customer.name or "",
        "terms": terms_sentences(ctx.t, ctx.program) if ctx.program else "",
    }


def _evidence(ctx: DialogContext, **extra: object) -> dict[str, object]:
    return {"assistant": ctx.assistant, "shop": ctx.shop.slug,
            "at": ctx.services.clock().isoformat(), "voice_user": ctx.turn.voice_user_id,
            "utterance": ctx.turn.utterance, **extra}


def where_speech(ctx: DialogContext, channel: str, address: str) -> str:
    if channel == "email":
        return ctx._("I've sent your link and QR code to %(address)s.",
                     address=mask_email(address))
    tail = " ".join(address[-4:])
    if channel == "whatsapp":
        return ctx._("I've sent your link and QR code on WhatsApp to the number ending in "
                     "%(digits)s.", digits=tail)
    return ctx._("I've texted your link and QR code to the number ending in %(digits)s.",
                 digits=tail)


def share_program(ctx: DialogContext, customer: Customer) -> Reply:
    found = _self_address(ctx, customer)
    channel = found[0] if found else "voice"
    invite, code = _invite(ctx, customer, channel)
    speech = Speech.of(terms_sentences(ctx.t, ctx.program)) if ctx.program else Speech()
    speech += Speech.of(ctx._("Your code is")) + code_speech(ctx, code.code, invite.spoken_name)
    message_ids: list[int] = []
    if found is None:
        speech += Speech.of(Pause(), ctx._("I don't have a confirmed phone number or email "
                                           "for you, so write the code down."))
    else:
        channel, address = found
        today = ctx.services.clock().date().isoformat()
        key = f"invite_self:{ctx.shop.id}:{customer.id}:{channel}:{today}"
        try:
            message, new = outbox.enqueue_new(
                ctx.session, hash_key=ctx.services.settings.hash_key, shop_id=ctx.shop.id,
                now=ctx.services.clock(),
                kind="invite_self", channel=channel, recipient=address, idempotency_key=key,
                customer_id=customer.id, locale=ctx.turn.locale,
                context=_message_context(ctx, customer, invite),
                evidence=_evidence(ctx, confirmed=True, recipient="self"),
            )
        except DomainError:
            message, new = None, False
        if message is not None and new:
            referrals.record_share(ctx.session, ctx.services, shop=ctx.shop, customer=customer,
                                   code=code, channel=channel,
                                   assistant=ctx.assistant, recipient=address)
            ctx.session.flush()
            message_ids.append(message.id)
            speech += Speech.of(Pause(), where_speech(ctx, channel, address))
            if message.context.get("telegram_link"):
                speech += Speech.of(ctx._("The message includes a link that opens your invite "
                                          "in Telegram."))
        elif message is not None:
            speech += Speech.of(Pause(), ctx._("I already sent it to you today."))
        else:
            speech += Speech.of(Pause(), ctx._("I can't send messages to you right now, so "
                                               "write the code down."))
    if ctx.turn.has_screen:
        speech += Speech.of(ctx._("Your QR code is on the screen."))
    ctx.state.awaiting = AWAIT_OFFER_FRIEND
    question = ctx._("Would you like me to send your invite straight to a friend?")
    reply = ctx.ask(
        speech + Speech.of(Pause(), question), Speech.of(question),
        card_title=ctx._("Your invite to %(shop)s", shop=ctx.shop.name),
        card_text=ctx._("Code: %(code)s\nLink: %(link)s", code=invite.display, link=invite.link),
        image_url=invite.qr_png if ctx.turn.has_screen else None, link_url=invite.link,
    )
    reply.message_ids = message_ids
    return reply


def ask_friend_contact(ctx: DialogContext, retry: bool = False) -> Reply:
    ctx.state.awaiting = AWAIT_FRIEND_CONTACT
    if retry:
        text = ctx._("Sorry, that didn't sound like a phone number or an email address. "
                     "What's your friend's phone number or email?")
    else:
        text = ctx._("What's your friend's phone number or email address?")
    return ctx.ask(Speech.of(text), Speech.of(ctx._("Say your friend's phone number or "
                                                    "email address, or say cancel.")),
                   elicit_slot="phone")


def friend_contact_heard(ctx: DialogContext) -> Reply:
    contact = parse_contact(ctx.turn.slots, ctx.turn.utterance, ctx.turn.locale,
                            allow_fictional=ctx.services.settings.messaging_mode == "sandbox")
    if contact is None:
        ctx.state.retries += 1
        if ctx.state.retries >= 3:
            return ctx.tell(Speech.of(ctx._("Sorry, I still couldn't get that. Please try again "
                                            "later.")))
        return ask_friend_contact(ctx, retry=True)
    ctx.state.contact = {"kind": contact.kind, "value": contact.value}
    ctx.state.heard = ctx.turn.utterance or contact.value
    ctx.state.awaiting = AWAIT_FRIEND_CONFIRM
    question = ctx._("Shall I send it?")
    lead = (ctx._("I'll text your invite to") if contact.kind == "phone"
            else ctx._("I'll email your invite to"))
    return ctx.ask(Speech.of(lead) + address_speech(ctx, contact) + Speech.of(".", question),
                   Speech.of(question))


def send_to_friend(ctx: DialogContext, customer: Customer) -> Reply:
    contact = Contact(ctx.state.contact.get("kind", ""), ctx.state.contact.get("value", ""))
    if contact.kind not in ("phone", "email") or not contact.value:
        return ask_friend_contact(ctx)
    own = {customer.phone, (customer.email or "").lower()}
    if contact.value.lower() in own:
        ctx.state.clear()
        return ctx.ask(Speech.of(ctx._("That's your own address. To get your invite yourself, "
                                       "say: share the referral program.")))
    channel = "sms" if contact.kind == "phone" else "email"
    invite, code = _invite(ctx, customer, channel)
    hash_key = ctx.services.settings.hash_key
    recipient_hash = keyed_hash(hash_key, contact.value)
    since = ctx.services.clock() - FRIEND_INVITE_WINDOW
    recent = ctx.session.scalar(select(Message.id).where(
        Message.shop_id == ctx.shop.id, Message.kind == "invite_friend",
        Message.recipient_hash == recipient_hash, Message.created_at >= since))
    if recent is not None:
        ctx.state.clear()
        return ctx.tell(Speech.of(ctx._("This friend already got an invite from %(shop)s "
                                        "recently, so I won't send another one.",
                                        shop=ctx.shop.name)))
    try:
        message = outbox.enqueue(
            ctx.session, hash_key=hash_key, shop_id=ctx.shop.id, kind="invite_friend",
            now=ctx.services.clock(),
            channel=channel, recipient=contact.value,
            idempotency_key=f"invite_friend:{ctx.shop.id}:{customer.id}:{recipient_hash}",
            customer_id=customer.id, locale=ctx.turn.locale,
            context=_message_context(ctx, customer, invite),
            evidence=_evidence(ctx, confirmed=True, recipient="friend", heard=ctx.state.heard),
        )
    except DomainError as exc:
        ctx.state.clear()
        return ctx.tell(Speech.of(ctx._("Sorry, I can't send that invite right now.")),
                        intent=f"SendInvite:{exc.code}")
    referrals.record_share(ctx.session, ctx.services, shop=ctx.shop, customer=customer,
                           code=code, channel=channel,
                           assistant=ctx.assistant, recipient=contact.value,
                           recipient_kind="friend")
    ctx.session.flush()
    ctx.state.clear()
    where = (" ".join(contact.value[-4:]) if contact.kind == "phone"
             else mask_email(contact.value))
    reply = ctx.tell(
        Speech.of(ctx._("Done. Your invite is on its way to %(where)s. Thanks for spreading "
                        "the word!", where=where)),
        card_title=ctx._("Invite sent"), card_text=invite.link, link_url=invite.link)
    reply.message_ids = [message.id]
    return reply
