"""Flow 11: the weekly digest by voice: "send me a weekly digest" (or "only when something
happens") -> confirmed opt-in kept as consent evidence; "stop the digest"."""

from __future__ import annotations

from core import digest
from core.messaging import outbox
from core.models import Customer
from voice.dialog.context import DialogContext
from voice.dialog.reminders import channel_name, no_channel
from voice.dialog.state import AWAIT_DIGEST_CONFIRM
from voice.turn import Reply, Speech


def _disabled(ctx: DialogContext) -> Reply:
    return ctx.ask(Speech.of(ctx._("%(shop)s doesn't send a digest right now.",
                                   shop=ctx.shop.name)))


def offer(ctx: DialogContext, customer: Customer, *, only_when_new: bool) -> Reply:
    if not digest.settings_of(ctx.shop)["enabled"]:
        return _disabled(ctx)
    found = outbox.choose_channel(customer, ctx.services.settings)
    if found is None:
        return no_channel(ctx)
    ctx.state.awaiting = AWAIT_DIGEST_CONFIRM
    ctx.state.pending = {"only_when_new": "1" if only_when_new else "",
                         "asked": ctx.turn.utterance[:500]}
    if only_when_new:
        question = ctx._("Shall I send you a summary of friends who joined and your rewards, "
                         "only when something happens? It comes by %(channel)s.",
                         channel=channel_name(ctx, found[0]))
    else:
        question = ctx._("Shall I send you a regular summary of friends who joined and your "
                         "rewards? It comes by %(channel)s.", channel=channel_name(ctx, found[0]))
    return ctx.ask(Speech.of(question), Speech.of(ctx._("Please say yes or no.")))


def subscribe(ctx: DialogContext, customer: Customer) -> Reply:
    return offer(ctx, customer, only_when_new=False)


def subscribe_on_news(ctx: DialogContext, customer: Customer) -> Reply:
    return offer(ctx, customer, only_when_new=True)


def confirmed(ctx: DialogContext, customer: Customer) -> Reply:
    evidence = {"assistant": ctx.assistant, "locale": ctx.turn.locale,
                "at": ctx.services.clock().isoformat(),
                "asked": ctx.state.pending.get("asked", ""),
                "confirmed": ctx.turn.utterance or ctx.turn.intent}
    outcome = digest.subscribe(ctx.session, ctx.services, ctx.shop, customer,
                               only_when_new=bool(ctx.state.pending.get("only_when_new")),
                               evidence=evidence)
    ctx.state.clear()
    if outcome.status == digest.SubscribeStatus.DISABLED:
        return _disabled(ctx)
    if outcome.status == digest.SubscribeStatus.NO_CHANNEL:
        return no_channel(ctx)
    return ctx.ask(Speech.of(ctx._("Done. To stop it, say: stop the digest.")))


def declined(ctx: DialogContext) -> Reply:
    ctx.state.clear()
    return ctx.ask(Speech.of(ctx._("Okay, no digest.")))


def stop(ctx: DialogContext, customer: Customer) -> Reply:
    evidence = {"assistant": ctx.assistant, "locale": ctx.turn.locale,
                "at": ctx.services.clock().isoformat(), "said": ctx.turn.utterance}
    if digest.unsubscribe(ctx.session, ctx.services, customer, evidence):
        return ctx.ask(Speech.of(ctx._("Okay, no more digests.")))
    return ctx.ask(Speech.of(ctx._("You're not subscribed to the digest.")))
