"""Flow 6: launch, help, stop, cancel, fallback, repeat, home — what certification checks."""

from __future__ import annotations

from voice.dialog.context import DialogContext
from voice.dialog.state import AWAIT_OFFER_SHARE, load_speech
from voice.i18n import translator
from voice.turn import Reply, Speech, Turn


def options(ctx: DialogContext) -> str:
    return ctx._("Say: share my code, invite a friend, or how does it work.")


def launch(ctx: DialogContext) -> Reply:
    """Open first: field reports say one-shot requests ("ask <skill> to ...") often fail on
    new devices while "open <skill>" works, so the welcome offers the share itself and
    "open ..." -> "yes" shares in two turns."""
    ctx.state.clear()
    ctx.state.awaiting = AWAIT_OFFER_SHARE
    greeting = ctx._("Welcome to the %(shop)s referral program.", shop=ctx.shop.name)
    offer = ctx._("Would you like your invite code and link now?")
    return ctx.ask(Speech.of(greeting, offer),
                   Speech.of(ctx._("Say yes for your invite code, or say help."), ))


def help_(ctx: DialogContext) -> Reply:
    ctx.state.clear()
    intro = ctx._("Invite friends and you both get a reward.")
    return ctx.ask(Speech.of(intro, options(ctx)), Speech.of(options(ctx)))


def stop(ctx: DialogContext) -> Reply:
    return ctx.tell(Speech.of(ctx._("Goodbye!")))


def cancel(ctx: DialogContext) -> Reply:
    if ctx.state.awaiting:
        return ctx.tell(Speech.of(ctx._("Okay, cancelled. Nothing was sent.")))
    return ctx.tell(Speech.of(ctx._("Okay. Goodbye!")))


def fallback(ctx: DialogContext) -> Reply:
    return ctx.ask(Speech.of(ctx._("Sorry, I didn't get that."), options(ctx)),
                   Speech.of(options(ctx)))


def repeat(ctx: DialogContext) -> Reply:
    last = load_speech(ctx.state.last)
    if not last:
        return launch(ctx)
    return ctx.ask(last)


def session_ended(ctx: DialogContext) -> Reply:
    """No speech: the platform closed the session (user silence, error, or exit)."""
    ctx.state.clear()
    return Reply(speech=Speech(), end_session=True, intent=ctx.turn.intent)


def apology_without_context(turn: Turn) -> Reply:
    """After a rollback: no database, the carried session unchanged so the customer can
    simply try again."""
    t = translator(turn.locale)
    return Reply(Speech.of(t._("Sorry, something went wrong on my side. Please try again.")),
                 reprompt=Speech.of(t._("What would you like to do?")), end_session=False,
                 session=dict(turn.session), intent=turn.intent)
