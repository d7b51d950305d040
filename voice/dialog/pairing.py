"""Flow 5 in words: ask who they are, say where the one-time code went, take it back.
The rules (rate limits, code lifetime, tries, linking) are core.pairing's."""

from __future__ import annotations

from collections.abc import Callable

from core import pairing
from core.contacts import mask_email
from core.models import Customer
from core.pairing import RequestStatus, VerifyStatus
from voice.dialog.context import DialogContext
from voice.dialog.slots import Contact, parse_contact, parse_pin
from voice.dialog.state import AWAIT_PAIR_CODE, AWAIT_PAIR_CONTACT
from voice.turn import Reply, Speech


def _voice(ctx: DialogContext) -> pairing.Voice:
    return pairing.Voice(assistant=ctx.assistant, user_id=ctx.turn.voice_user_id or "",
                         locale=ctx.turn.locale, utterance=ctx.turn.utterance)


def start(ctx: DialogContext, resume_intent: str) -> Reply:
    """Ask who they are; on Alexa, try the Customer Profile API first when it was granted."""
    ctx.state.awaiting = AWAIT_PAIR_CONTACT
    ctx.state.after_pairing = resume_intent
    ctx.state.retries = 0
    lookup = ctx.turn.capabilities.contact_lookup
    permissions: tuple[str, ...] = ()
    if lookup is not None:
        profile = lookup.lookup()
        if profile and (profile.get("phone") or profile.get("email")):
            # A mobile number first: texts reach the speaker's owner sooner than email.
            key = "phone" if profile.get("phone") else "email"
            ctx.turn.slots = {key: profile[key]}
            ctx.turn.utterance = ""
            return contact_heard(ctx, from_profile=True)
        permissions = lookup.permissions
    question = ctx._("What's your phone number or email address?")
    speech = Speech.of(ctx._("First I need to link this device to your account at %(shop)s.",
                             shop=ctx.shop.name), question)
    return ctx.ask(speech, Speech.of(question), elicit_slot="phone",
                   ask_permissions=permissions)


def contact_heard(ctx: DialogContext, *, from_profile: bool = False) -> Reply:
    contact = parse_contact(ctx.turn.slots, ctx.turn.utterance, ctx.turn.locale,
                            allow_fictional=ctx.services.settings.messaging_mode == "sandbox")
    if contact is None:
        ctx.state.retries += 1
        if ctx.state.retries >= 3:
            return ctx.tell(Speech.of(ctx._("Sorry, I couldn't get that. Please try again "
                                            "later.")))
        question = ctx._("Please say your phone number, or your email address.")
        return ctx.ask(Speech.of(ctx._("Sorry, I didn't catch a phone number or an email "
                                       "address."), question), Speech.of(question),
                       elicit_slot="phone")
    return _send_code(ctx, contact, from_profile)


def _send_code(ctx: DialogContext, contact: Contact, from_profile: bool) -> Reply:
    outcome = pairing.request_code(ctx.session, ctx.services, shop=ctx.shop, voice=_voice(ctx),
                                   contact_kind=contact.kind, address=contact.value,
                                   from_profile=from_profile)
    if outcome.status is RequestStatus.RATE_LIMITED:
        return ctx.tell(Speech.of(ctx._("I've sent several codes already. Please try again in "
                                        "an hour.")), intent="LinkAccount:rate_limited")
    ctx.state.awaiting = AWAIT_PAIR_CODE
    ctx.state.retries = 0
    where = (ctx._("the number ending in %(digits)s", digits=" ".join(contact.value[-4:]))
             if contact.kind == "phone" else mask_email(contact.value))
    question = ctx._("What is the six-digit code?")
    reply = ctx.ask(Speech.of(ctx._("I've sent a six-digit code to %(where)s.", where=where),
                              question), Speech.of(question), elicit_slot="pin")
    reply.message_ids = [outcome.message_id] if outcome.message_id is not None else []
    return reply


def code_heard(ctx: DialogContext, resume: Callable[[DialogContext, Customer], Reply]) -> Reply:
    outcome = pairing.verify_code(ctx.session, ctx.services, shop=ctx.shop, voice=_voice(ctx),
                                  pin=parse_pin(ctx.turn.slots, ctx.turn.utterance))
    if outcome.status is VerifyStatus.EXPIRED:
        ctx.state.awaiting = AWAIT_PAIR_CONTACT
        question = ctx._("What's your phone number or email address?")
        return ctx.ask(Speech.of(ctx._("That code has expired. Let's start again."), question),
                       Speech.of(question))
    if outcome.status is VerifyStatus.NEEDS_PIN:
        return ctx.ask(Speech.of(ctx._("Please say the six digits of the code.")),
                       elicit_slot="pin")
    if outcome.status is VerifyStatus.LOCKED:
        return ctx.tell(Speech.of(ctx._("That's not the code I sent, and that was the last "
                                        "try. Please start again later.")))
    if outcome.status is VerifyStatus.WRONG or outcome.customer is None:
        return ctx.ask(Speech.of(ctx._("That's not the code I sent."), ctx.ngettext(
            "You have %(num)s try left.", "You have %(num)s tries left.", outcome.tries_left)),
            elicit_slot="pin")
    customer = outcome.customer
    after, channel = ctx.state.after_pairing, ctx.state.channel
    ctx.state.clear()
    ctx.state.channel = channel
    ctx.customer = customer
    ctx.turn.intent = after or "LinkAccount"
    reply = resume(ctx, customer)
    reply.speech = Speech.of(ctx._("Thanks, you're linked.")) + reply.speech
    return reply
