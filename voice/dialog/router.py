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
from voice.dialog.answers import YES_NO_QUESTIONS, read_answer
from voice.dialog.context import DialogContext, ShopSnapshot, load_context
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
from voice.turn import LAUNCH, SESSION_ENDED, Intent, Reply, Speech, Turn

log = logging.getLogger(__name__)
Handler = Callable[[DialogContext], Reply]
CustomerHandler = Callable[[DialogContext, Customer], Reply]

# Intents that always win over a pending question.
ESCAPES = {Intent.STOP, Intent.CANCEL, Intent.HELP, Intent.WHAT_CAN_YOU_DO, Intent.NAVIGATE_HOME,
           Intent.REPEAT, LAUNCH, SESSION_ENDED}
ANSWERS = {Intent.PROVIDE_CONTACT, Intent.PROVIDE_CODE, Intent.SEND_INVITE, Intent.FALLBACK,
           Intent.YES, Intent.NO, Intent.SHARE_PROGRAM, Intent.SET_REMINDER}
# Yes / No questions about one pending thing: (on yes, on no).
CONFIRMATIONS: dict[str, tuple[Callable[..., Reply], Callable[[DialogContext], Reply]]] = {
    AWAIT_REMINDER_CONFIRM: (reminders.confirmed, reminders.declined),
    AWAIT_DIGEST_CONFIRM: (digest.confirmed, digest.declined),
}
# Flow 11 (reminders, digest): intents that need a linked customer.
RETURNING: dict[str, CustomerHandler] = {
    Intent.SET_REMINDER: reminders.set_reminder, Intent.STOP_REMINDERS: reminders.stop_reminders,
    Intent.LIST_REMINDERS: reminders.list_reminders, Intent.SUBSCRIBE_DIGEST: digest.subscribe,
    Intent.SUBSCRIBE_DIGEST_ON_NEWS: digest.subscribe_on_news, Intent.STOP_DIGEST: digest.stop,
}


def handle(turn: Turn, services: Services, snapshot: ShopSnapshot | None = None) -> Reply:
    """One transaction per turn: a domain error rolls back everything the turn wrote and
    the customer hears a short apology instead. `snapshot`: the shop and its program when
    the caller has read them already (the webhook did, to verify the request)."""
    try:
        with services.db.session() as session:
            ctx = load_context(turn, services, session, snapshot)
            reply = route(ctx)
    except DomainError as exc:
        if exc.code == "unknown_shop":
            raise
        log.info("dialog turn failed softly: %s %s", exc.code, exc)
        reply = basics.apology_without_context(turn)
    reply.intent = reply.intent or turn.intent
    return reply


# At these questions only an understood yes acts; anything but yes, no, a correction or
# an explicit exit asks again (once, shorter) and keeps what is pending.
CONFIRM_AGAIN: dict[str, Callable[[DialogContext], str]] = {
    AWAIT_FRIEND_CONFIRM: lambda ctx: ctx._("Should I send it, yes or no?"),
    AWAIT_ERASE_CONFIRM: lambda ctx: ctx._("Should I delete your data, yes or no?"),
    AWAIT_DIGEST_CONFIRM: lambda ctx: ctx._("Should I send you the digest, yes or no?"),
    AWAIT_REMINDER_CONFIRM: lambda ctx: ctx._("Should I set the reminder, yes or no?"),
    AWAIT_OFFER_FRIEND: lambda ctx: ctx._("Send your invite to a friend, yes or no?"),
    AWAIT_OFFER_SHARE: lambda ctx: ctx._("Do you want your invite code now, yes or no?"),
}
ACTING_CONFIRMATIONS = frozenset({AWAIT_FRIEND_CONFIRM, AWAIT_ERASE_CONFIRM,
                                  AWAIT_DIGEST_CONFIRM, AWAIT_REMINDER_CONFIRM})
LEAVES = {Intent.STOP, Intent.CANCEL, Intent.NAVIGATE_HOME, LAUNCH, SESSION_ENDED}


def route(ctx: DialogContext) -> Reply:
    awaiting = ctx.state.awaiting
    if awaiting in YES_NO_QUESTIONS or awaiting == AWAIT_REMINDER_DAY:
        answer = read_answer(awaiting, ctx.turn.intent, ctx.turn.slots, ctx.turn.utterance,
                             ctx.turn.locale, allow_fictional=(
                                 ctx.services.settings.messaging_mode == "sandbox"))
        ctx.turn.intent, ctx.turn.slots = answer.intent, {**ctx.turn.slots, **answer.slots}
    intent = ctx.turn.intent
    if intent == Intent.CANCEL:  # says whether something pending was dropped
        return basics.cancel(ctx)
    if awaiting and intent not in ESCAPES and intent in ANSWERS:
        reply = _answer(ctx, awaiting, intent)
        if reply is not None:
            return reply
    if awaiting in ACTING_CONFIRMATIONS and intent not in LEAVES and ctx.customer is not None:
        if intent == Intent.REPEAT:
            return basics.repeat(ctx)
        return _ask_again(ctx, awaiting)
    if awaiting in (AWAIT_OFFER_SHARE, AWAIT_OFFER_FRIEND) and intent == Intent.FALLBACK:
        return _ask_again(ctx, awaiting)  # an offer: a new request is simply taken
    ctx.state.clear()
    simple: dict[str, Handler] = {
        LAUNCH: basics.launch, Intent.HELP: basics.help_, Intent.WHAT_CAN_YOU_DO: basics.help_,
        Intent.STOP: basics.stop, Intent.CANCEL: basics.cancel, Intent.REPEAT: basics.repeat,
        Intent.NAVIGATE_HOME: basics.launch, SESSION_ENDED: basics.session_ended,
        Intent.EXPLAIN_PROGRAM: info.explain, Intent.FALLBACK: basics.fallback,
        Intent.DELETE_MY_DATA: my_data.delete_my_data,
    }
    if intent in simple:
        return simple[intent](ctx)
    needs_customer: dict[str, CustomerHandler] = {
        Intent.SHARE_PROGRAM: share.share_program, Intent.MY_REFERRALS: info.my_referrals,
        Intent.REWARD_BALANCE: info.balance, Intent.SEND_INVITE: _send_invite,
        Intent.LINK_ACCOUNT: _already_linked, **RETURNING,
    }
    if intent in needs_customer:
        if ctx.customer is None:
            ctx.state.channel = ctx.turn.slots.get("channel")
            return pairing.start(ctx, intent)
        return needs_customer[intent](ctx, ctx.customer)
    if intent == Intent.PROVIDE_CONTACT and _has_contact(ctx):
        # A bare number or email said when nothing was asked: offer to send the invite
        # there ("Shall I send your invite to +1 415-555-0199?"), never send unasked.
        if ctx.customer is None:
            return pairing.start(ctx, Intent.SEND_INVITE)
        return share.friend_contact_heard(ctx, unsolicited=True)
    # Yes / No / answers with nothing pending, or an intent we do not know.
    return basics.fallback(ctx)


def _answer(ctx: DialogContext, awaiting: str, intent: str) -> Reply | None:
    customer = ctx.customer
    if awaiting == AWAIT_OFFER_SHARE and intent in (Intent.YES, Intent.NO):
        ctx.state.clear()
        if intent == Intent.NO:
            return ctx.ask(Speech.of(ctx._("Alright."), basics.options(ctx),
                                     ctx._("What would you like to do?")),
                           Speech.of(basics.options(ctx)))
        if customer is None:
            return pairing.start(ctx, Intent.SHARE_PROGRAM)
        return share.share_program(ctx, customer)
    if awaiting == AWAIT_PAIR_CONTACT and intent in (Intent.PROVIDE_CONTACT, Intent.SEND_INVITE,
                                                     Intent.FALLBACK):
        return pairing.contact_heard(ctx)
    if awaiting == AWAIT_PAIR_CODE and intent in (Intent.PROVIDE_CODE, Intent.PROVIDE_CONTACT,
                                                  Intent.FALLBACK):
        return pairing.code_heard(ctx, resume)
    if customer is None:
        return None
    if awaiting == AWAIT_ERASE_CONFIRM and intent in (Intent.YES, Intent.NO):
        return my_data.confirmed(ctx) if intent == Intent.YES else my_data.declined(ctx)
    if awaiting in CONFIRMATIONS and intent in (Intent.YES, Intent.NO):
        yes, no = CONFIRMATIONS[awaiting]
        return yes(ctx, customer) if intent == Intent.YES else no(ctx)
    if awaiting == AWAIT_REMINDER_DAY and intent in (Intent.SET_REMINDER, Intent.FALLBACK):
        return reminders.day_heard(ctx, customer)
    if awaiting == AWAIT_OFFER_FRIEND:
        if intent == Intent.YES:
            return share.ask_friend_contact(ctx)
        if intent == Intent.NO:
            return ctx.tell(Speech.of(ctx._("Alright. Happy sharing, goodbye!")))
        if intent in (Intent.PROVIDE_CONTACT, Intent.SEND_INVITE) and _has_contact(ctx):
            return share.friend_contact_heard(ctx)
    if awaiting == AWAIT_FRIEND_CONTACT and intent in (Intent.PROVIDE_CONTACT, Intent.SEND_INVITE,
                                                       Intent.FALLBACK):
        return share.friend_contact_heard(ctx)
    if awaiting == AWAIT_FRIEND_CONFIRM:
        if intent == Intent.YES:
            return share.send_to_friend(ctx, customer)
        if intent == Intent.NO:
            ctx.state.contact = {}
            return share.ask_friend_contact(ctx)
        if intent in (Intent.PROVIDE_CONTACT, Intent.SEND_INVITE) and _has_contact(ctx):
            return share.friend_contact_heard(ctx)
    return None


def _ask_again(ctx: DialogContext, awaiting: str) -> Reply:
    """Not a yes, not a no: ask once more, shorter, with the pending action kept; a second
    time, leave it (nothing was done) rather than guess."""
    if ctx.state.pending.get("asked_again"):
        ctx.state.clear()
        return ctx.ask(Speech.of(ctx._("Okay, I'll leave that. Nothing was done."),
                                 ctx._("What would you like to do?")))
    ctx.state.pending = {**ctx.state.pending, "asked_again": "1"}
    question = CONFIRM_AGAIN[awaiting](ctx)
    return ctx.ask(Speech.of(ctx._("Sorry, I didn't get that."), question),
                   Speech.of(question))


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
    if after == Intent.LINK_ACCOUNT:
        return ctx.ask(Speech.of(basics.options(ctx)))
    if after == Intent.SEND_INVITE:
        return share.ask_friend_contact(ctx)
    handlers: dict[str, CustomerHandler] = {
        Intent.SHARE_PROGRAM: share.share_program, Intent.MY_REFERRALS: info.my_referrals,
        Intent.REWARD_BALANCE: info.balance, **RETURNING,
    }
    return handlers.get(after, share.share_program)(ctx, customer)
