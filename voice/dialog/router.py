"""Turn -> Reply: one unit of work per turn, the pending question first, then the intent.

Errors from the domain become a short spoken apology (the platform must get an answer);
only an unknown shop propagates, so the HTTP layer can answer 404."""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.errors import DomainError
from core.models import Customer
from core.services import Services
from voice.dialog import basics, digest, info, my_data, pairing, reminders, share
from voice.dialog.context import DialogContext, load_context
from voice.dialog.state import (
    AWAIT_DIGEST_CONFIRM,
    AWAIT_ERASE_CONFIRM,
    AWAIT_FRIEND_CONFIRM,
    AWAIT_FRIEND_CONTACT,
    AWAIT_OFFER_FRIEND,
    AWAIT_OFFER_SHARE,
    AWAIT_PAIR_CODE,
    AWAIT_PAIR_CONTACT,
    AWAIT_REMINDER_CONFIRM,
    AWAIT_REMINDER_DAY,
)
from voice.turn import LAUNCH, SESSION_ENDED, Reply, Speech, Turn

log = logging.getLogger(__name__)
Handler = Callable[[DialogContext], Reply]
CustomerHandler = Callable[[DialogContext, Customer], Reply]

# Intents that always win over a pending question.
ESCAPES = {"Stop", "Cancel", "Help", "WhatCanYouDo", "NavigateHome", "Repeat", LAUNCH,
           SESSION_ENDED}
ANSWERS = {"ProvideContact", "ProvideCode", "SendInvite", "Fallback", "Yes", "No",
           "ShareProgram", "SetReminder"}
# Yes / No questions about one pending thing: (on yes, on no).
CONFIRMATIONS: dict[str, tuple[Callable[..., Reply], Callable[[DialogContext], Reply]]] = {
    AWAIT_REMINDER_CONFIRM: (reminders.confirmed, reminders.declined),
    AWAIT_DIGEST_CONFIRM: (digest.confirmed, digest.declined),
}
# Flow 11 (reminders, digest): intents that need a linked customer.
RETURNING: dict[str, CustomerHandler] = {
    "SetReminder": reminders.set_reminder, "StopReminders": reminders.stop_reminders,
    "ListReminders": reminders.list_reminders, "SubscribeDigest": digest.subscribe,
    "SubscribeDigestOnNews": digest.subscribe_on_news, "StopDigest": digest.stop,
}


def handle(turn: Turn, services: Services) -> Reply:
    """One transaction per turn: a domain error rolls back everything the turn wrote and
    the customer hears a short apology instead."""
    try:
        with services.db.session() as session:
            ctx = load_context(turn, services, session)
            reply = route(ctx)
    except DomainError as exc:
        if exc.code == "unknown_shop":
            raise
        log.info("dialog turn failed softly: %s %s", exc.code, exc)
        reply = basics.apology_without_context(turn)
    reply.intent = reply.intent or turn.intent
    return reply


def route(ctx: DialogContext) -> Reply:
    intent = ctx.turn.intent
    if intent == "Cancel":  # says whether something pending was dropped
        return basics.cancel(ctx)
    if ctx.state.awaiting and intent not in ESCAPES and intent in ANSWERS:
        reply = _answer(ctx, ctx.state.awaiting, intent)
        if reply is not None:
            return reply
    ctx.state.clear()
    simple: dict[str, Handler] = {
        LAUNCH: basics.launch, "Help": basics.help_, "WhatCanYouDo": basics.help_,
        "Stop": basics.stop, "Cancel": basics.cancel, "Repeat": basics.repeat,
        "NavigateHome": basics.launch, SESSION_ENDED: basics.session_ended,
        "ExplainProgram": info.explain, "Fallback": basics.fallback,
        "DeleteMyData": my_data.delete_my_data,
    }
    if intent in simple:
        return simple[intent](ctx)
    needs_customer: dict[str, CustomerHandler] = {
        "ShareProgram": share.share_program, "MyReferrals": info.my_referrals,
        "RewardBalance": info.balance, "SendInvite": _send_invite,
        "LinkAccount": _already_linked, **RETURNING,
    }
    if intent in needs_customer:
        if ctx.customer is None:
            ctx.state.channel = ctx.turn.slots.get("channel")
            return pairing.start(ctx, intent)
        return needs_customer[intent](ctx, ctx.customer)
    if intent == "ProvideContact" and _has_contact(ctx):
        # A bare number or email said when nothing was asked: offer to send the invite
        # there ("Shall I send your invite to +1 415-555-0199?"), never send unasked.
        if ctx.customer is None:
            return pairing.start(ctx, "SendInvite")
        return share.friend_contact_heard(ctx, unsolicited=True)
    # Yes / No / answers with nothing pending, or an intent we do not know.
    return basics.fallback(ctx)


def _answer(ctx: DialogContext, awaiting: str, intent: str) -> Reply | None:
    customer = ctx.customer
    if awaiting == AWAIT_OFFER_SHARE and intent in ("Yes", "No"):
        ctx.state.clear()
        if intent == "No":
            return ctx.ask(Speech.of(ctx._("Alright."), basics.options(ctx),
                                     ctx._("What would you like to do?")),
                           Speech.of(basics.options(ctx)))
        if customer is None:
            return pairing.start(ctx, "ShareProgram")
        return share.share_program(ctx, customer)
    if awaiting == AWAIT_PAIR_CONTACT and intent in ("ProvideContact", "SendInvite", "Fallback"):
        return pairing.contact_heard(ctx)
    if awaiting == AWAIT_PAIR_CODE and intent in ("ProvideCode", "ProvideContact", "Fallback"):
        return pairing.code_heard(ctx, resume)
    if customer is None:
        return None
    if awaiting == AWAIT_ERASE_CONFIRM and intent in ("Yes", "No"):
        return my_data.confirmed(ctx) if intent == "Yes" else my_data.declined(ctx)
    if awaiting in CONFIRMATIONS and intent in ("Yes", "No"):
        yes, no = CONFIRMATIONS[awaiting]
        return yes(ctx, customer) if intent == "Yes" else no(ctx)
    if awaiting == AWAIT_REMINDER_DAY and intent in ("SetReminder", "Fallback"):
        return reminders.day_heard(ctx, customer)
    if awaiting == AWAIT_OFFER_FRIEND:
        if intent == "Yes":
            return share.ask_friend_contact(ctx)
        if intent == "No":
            return ctx.tell(Speech.of(ctx._("Alright. Happy sharing, goodbye!")))
        if intent in ("ProvideContact", "SendInvite") and _has_contact(ctx):
            return share.friend_contact_heard(ctx)
    if awaiting == AWAIT_FRIEND_CONTACT and intent in ("ProvideContact", "SendInvite",
                                                       "Fallback"):
        return share.friend_contact_heard(ctx)
    if awaiting == AWAIT_FRIEND_CONFIRM:
        if intent == "Yes":
            return share.send_to_friend(ctx, customer)
        if intent == "No":
            ctx.state.contact = {}
            return share.ask_friend_contact(ctx)
        if intent in ("ProvideContact", "SendInvite") and _has_contact(ctx):
            return share.friend_contact_heard(ctx)
    return None


def _has_contact(ctx: DialogContext) -> bool:
    return bool(ctx.turn.slots.get("phone") or ctx.turn.slots.get("email"))


def _send_invite(ctx: DialogContext, customer: Customer) -> Reply:
    if _has_contact(ctx):
        return share.friend_contact_heard(ctx)
    return share.ask_friend_contact(ctx)


def _already_linked(ctx: DialogContext, customer: Customer) -> Reply:
    return ctx.ask(Speech.of(ctx._("This device is already linked to your account at "
                                   "%(shop)s.", shop=ctx.shop.name), basics.options(ctx)))


def resume(ctx: DialogContext, customer: Customer) -> Reply:
    """After pairing, do what they originally asked for."""
    after = ctx.turn.intent
    if after == "LinkAccount":
        return ctx.ask(Speech.of(basics.options(ctx)))
    if after == "SendInvite":
        return share.ask_friend_contact(ctx)
    handlers: dict[str, CustomerHandler] = {
        "ShareProgram": share.share_program, "MyReferrals": info.my_referrals,
        "RewardBalance": info.balance, **RETURNING,
    }
    return handlers.get(after, share.share_program)(ctx, customer)
