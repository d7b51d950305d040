"""Flows 1 and 2: share the invite with me, and send it straight to a friend.

The share turn writes the Share row and the outbox message in the caller's transaction;
nothing is sent here. A friend's address is used only after it was read back and the
customer said yes; the words they said are stored with the message as consent evidence."""

from __future__ import annotations

import re

from core import codes, sharing
from core.models import Customer
from core.sharing import FriendInviteStatus, ShareStatus
from voice.dialog.context import DialogContext
from voice.dialog.slots import Contact, parse_contact
from voice.dialog.state import (
    AWAIT_FRIEND_CONFIRM,
    AWAIT_FRIEND_CONTACT,
    AWAIT_OFFER_FRIEND,
)
from voice.dialog.terms import terms_sentences
from voice.turn import Digits, Pause, Phone, Reply, ScreenRemark, Speech, Spell


def code_speech(ctx: DialogContext, code: str, spoken_name: str) -> Speech:
    """'Alex, 455 839.': the name as a word (in the listener's script: «Алекс» in Russian),
    the digits in groups (DESIGN: digits survive speech recognition, spelled letters do
    not), and a full stop so the next sentence does not run into the code."""
    parts = codes.split(code)
    if parts.word:
        name = spoken_name or parts.word.capitalize()
        return Speech.of(name + ",", Digits(tuple(parts.digit_groups)), ".")
    return Speech.of(Digits(tuple(parts.digit_groups)), ".")


def address_speech(ctx: DialogContext, contact: Contact) -> Speech:
    """Read an address back so a mistake is heard before anything is sent: a phone number
    with its country code in its country's groups, an email's mailbox spelled."""
    if contact.kind == "phone":
        return Speech.of(Phone(contact.value))
    local, _, domain = contact.value.partition("@")
    return Speech.of(Spell(local), ctx._("at"), domain)


def number_tail(ctx: DialogContext, phone: str) -> str:
    """The last four digits as this language says them: "0 1 9 9", «45-67»."""
    digits = re.sub(r"\D", "", phone)[-4:]
    if ctx.t.language == "ru":
        return f"{digits[:2]}-{digits[2:]}"
    return " ".join(digits)


def _said(ctx: DialogContext) -> sharing.Said:
    return sharing.Said(assistant=ctx.assistant, voice_user=ctx.turn.voice_user_id,
                        utterance=ctx.turn.utterance, locale=ctx.turn.locale)


def _terms(ctx: DialogContext) -> str:
    return terms_sentences(ctx.t, ctx.program) if ctx.program else ""


def where_speech(ctx: DialogContext, channel: str, address: str) -> str:
    """Where the message went, in words a speaker can say: a masked address
    ("a***@example.com") is never read aloud; the screen and the message show it."""
    if channel == "email":
        return ctx._("I've sent your link and QR code to your email address.")
    if channel == "whatsapp":
        return ctx._("I've sent your link and QR code on WhatsApp.")
    return ctx._("I've texted your link and QR code.")


def already_sent_speech(ctx: DialogContext, channel: str) -> str:
    """Nothing new went out, but today's message did: say where it is (issue 27: a
    customer who was sent their invite is never left thinking it must be written down)."""
    if channel == "email":
        return ctx._("I already emailed it to you today.")
    if channel == "whatsapp":
        return ctx._("I already sent it to you on WhatsApp today.")
    return ctx._("I already texted it to you today.")


def share_program(ctx: DialogContext, customer: Customer) -> Reply:
    terms = _terms(ctx)  # quoted in the message; said only when asked (ExplainProgram)
    outcome = sharing.share_with_me(
        ctx.session, ctx.services, shop=ctx.shop, customer=customer, said=_said(ctx),
        wanted_channel=ctx.turn.slots.get("channel") or ctx.state.channel, terms=terms,
        speaker=ctx.speaker, has_screen=ctx.turn.has_screen)
    invite = outcome.shown or outcome.invite  # the screen's / card's link: its own channel
    # The code first, then what was sent, then one question (issue 25: at most 25 words
    # before the question; tests/test_share_reply_length.py counts them per locale).
    speech = Speech.of(ctx._("Your code is")) + code_speech(ctx, invite.code,
                                                             invite.spoken_name)
    if outcome.status is ShareStatus.NO_ADDRESS:
        speech += Speech.of(Pause(), ctx._("I don't have a confirmed phone number or email "
                                           "for you, so write the code down."))
    elif outcome.status is ShareStatus.QUEUED:
        speech += Speech.of(Pause(), where_speech(ctx, outcome.channel, outcome.address or ""))
        if outcome.telegram_link:
            speech += Speech.of(ctx._("The message includes a link that opens your invite "
                                      "in Telegram."))
    elif outcome.status is ShareStatus.ALREADY_SENT:
        speech += Speech.of(Pause(), already_sent_speech(ctx, outcome.channel))
    else:
        speech += Speech.of(Pause(), ctx._("I can't send messages to you right now, so "
                                           "write the code down."))
    if ctx.turn.has_screen:  # said only if the platform's answer carries the QR
        speech += Speech.of(ScreenRemark(ctx._("Your QR code is on the screen.")))
    ctx.state.awaiting = AWAIT_OFFER_FRIEND
    question = ctx._("Send it to a friend too?")
    reply = ctx.ask(
        speech + Speech.of(Pause(), question), Speech.of(question),
        card_title=ctx._("Your invite to %(shop)s", shop=ctx.shop.name),
        card_text=ctx._("Code: %(code)s\nLink: %(link)s", code=invite.display, link=invite.link),
        image_url=invite.qr_png if ctx.turn.has_screen else None, link_url=invite.link,
    )
    reply.message_ids = list(outcome.message_ids)
    return reply


def ask_friend_contact(ctx: DialogContext, retry: bool = False) -> Reply:
    ctx.state.awaiting = AWAIT_FRIEND_CONTACT
    if retry:
        text = ctx._("Sorry, I didn't catch a number or an email. "
                     "What's your friend's phone number or email?")
    else:
        text = ctx._("What's your friend's phone number or email address?")
    return ctx.ask(Speech.of(text), Speech.of(ctx._("Say your friend's phone number or "
                                                    "email address, or say cancel.")),
                   elicit_slot="phone")


def friend_contact_heard(ctx: DialogContext, unsolicited: bool = False) -> Reply:
    """Read the friend's address back and ask before sending. `unsolicited`: a bare number
    or email said when nothing was asked, so the question names what would happen."""
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
    if unsolicited:
        question = ctx._("Shall I send your invite there?")
        return ctx.ask(Speech.of(ctx._("Shall I send your invite to")) +
                       address_speech(ctx, contact) + Speech.of("?"), Speech.of(question))
    question = ctx._("Shall I send it?")
    lead = (ctx._("I'll text your invite to") if contact.kind == "phone"
            else ctx._("I'll email your invite to"))
    return ctx.ask(Speech.of(lead) + address_speech(ctx, contact) + Speech.of(".", question),
                   Speech.of(question), confirm_slot=contact.kind)


def send_to_friend(ctx: DialogContext, customer: Customer) -> Reply:
    contact = Contact(ctx.state.contact.get("kind", ""), ctx.state.contact.get("value", ""))
    outcome = sharing.invite_friend(
        ctx.session, ctx.services, shop=ctx.shop, customer=customer, said=_said(ctx),
        contact_kind=contact.kind, contact_value=contact.value, heard=ctx.state.heard,
        terms=_terms(ctx), speaker=ctx.speaker, has_screen=ctx.turn.has_screen)
    if outcome.status is FriendInviteStatus.NEEDS_CONTACT:
        return ask_friend_contact(ctx)
    ctx.state.clear()
    if outcome.status is FriendInviteStatus.OWN_ADDRESS:
        return ctx.ask(Speech.of(ctx._("That's your own address. To get your invite yourself, "
                                       "say: share the referral program.")))
    if outcome.status is FriendInviteStatus.RECENTLY_INVITED:
        return ctx.tell(Speech.of(ctx._("This friend already got an invite from %(shop)s "
                                        "recently, so I won't send another one.",
                                        shop=ctx.shop.name)))
    if outcome.status is FriendInviteStatus.REFUSED or outcome.invite is None:
        return ctx.tell(Speech.of(ctx._("Sorry, I can't send that invite right now.")),
                        intent=f"SendInvite:{outcome.reason}")
    invite = outcome.shown or outcome.invite
    where = (ctx._("the number ending in %(digits)s", digits=number_tail(ctx, contact.value))
             if contact.kind == "phone" else ctx._("your friend's email address"))
    reply = ctx.tell(
        Speech.of(ctx._("Done, your invite is on its way to %(where)s. Thank you!",
                        where=where)),
        card_title=ctx._("Invite sent"), card_text=invite.link, link_url=invite.link)
    reply.message_ids = list(outcome.message_ids)
    return reply
