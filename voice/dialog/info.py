"""Flows 3 and 4: how the program works, and my referrals and balance from the ledger."""

from __future__ import annotations

from core.models import Customer, Program
from voice.dialog.context import DialogContext
from voice.dialog.state import AWAIT_OFFER_SHARE
from voice.dialog.terms import first_sentence, shop_terms, spoken_terms
from voice.i18n import Translator
from voice.speech_time import LIMIT_SECONDS, seconds
from voice.turn import Reply, Speech


def explained(t: Translator, program: Program) -> tuple[Speech, str]:
    """(what "how does it work?" answers, its closing question). Issue 25: under
    LIMIT_SECONDS however long the shop's own words are, so they are never read in full:
    their first sentence only when it still fits, and otherwise the full terms are offered
    with the code (the invite message and the friend page carry all of them)."""
    said = spoken_terms(t, program)
    first, rest = first_sentence(shop_terms(program, t.locale))
    short, offer = t._("Want your code?"), t._("Want your code and the full terms?")
    choices = ([(first, offer if rest else short), ("", offer)] if first else []) + [("", short)]
    for own, question in choices:  # the last choice is said even if a program's amounts
        parts = [p for p in (said, own, question) if p]  # alone overrun (none realistic)
        if seconds(" ".join(parts), t.locale) < LIMIT_SECONDS:
            break
    return Speech.of(*parts), question


def explain_speech(t: Translator, program: Program) -> Speech:
    """What "how does it work?" answers; the program editor previews exactly this."""
    return explained(t, program)[0]


def explain(ctx: DialogContext) -> Reply:
    if ctx.program is None:
        return ctx.ask(Speech.of(ctx._("%(shop)s has no referral program running right now.",
                                       shop=ctx.shop.name)))
    speech, question = explained(ctx.t, ctx.program)
    ctx.state.awaiting = AWAIT_OFFER_SHARE  # "yes" shares, as after the welcome
    return ctx.ask(speech, Speech.of(question))


def _stats(ctx: DialogContext, customer: Customer):  # type: ignore[no-untyped-def]
    from core.rewards import referral_stats

    return referral_stats(ctx.session, ctx.shop.id, customer.id)


def my_referrals(ctx: DialogContext, customer: Customer) -> Reply:
    stats = _stats(ctx, customer)
    if stats.joined == 0:
        return ctx.ask(Speech.of(ctx._("No friends have joined with your code yet. Say: share "
                                       "the referral program, to get your invite.")))
    parts = [ctx.ngettext("%(num)s friend has joined with your code.",
                          "%(num)s friends have joined with your code.", stats.joined)]
    if stats.converted:
        parts.append(ctx.ngettext("%(num)s of them has placed an order.",
                                  "%(num)s of them have placed an order.", stats.converted))
    parts.append(_balance_sentence(ctx, stats))
    return ctx.ask(Speech.of(*[p for p in parts if p]))


def balance(ctx: DialogContext, customer: Customer) -> Reply:
    stats = _stats(ctx, customer)
    sentence = _balance_sentence(ctx, stats) or ctx._("You have no rewards yet. Each friend "
                                                      "who orders earns you one.")
    return ctx.ask(Speech.of(sentence))


def _balance_sentence(ctx: DialogContext, stats) -> str:  # type: ignore[no-untyped-def]
    # What is held and why, each in one phrase: the refund window, or a check of orders
    # the fraud rules flagged (their count said with the amount, so the two agree).
    on_hold = stats.pending_minor - stats.review_minor + stats.held_minor
    parts = []
    if stats.approved_minor:
        parts.append(ctx._("%(money)s is ready to use.",
                           money=ctx.t.money(stats.approved_minor, stats.currency)))
    if on_hold:
        parts.append(ctx._("%(money)s is on hold until the refund window ends.",
                           money=ctx.t.money(on_hold, stats.currency)))
    if stats.review_minor:
        parts.append(ctx.ngettext("%(money)s waits while %(num)s order is checked.",
                                  "%(money)s waits while %(num)s orders are checked.",
                                  stats.in_review,
                                  money=ctx.t.money(stats.review_minor, stats.currency)))
    if stats.points_approved:
        parts.append(ctx.ngettext("You have %(num)s point to spend.",
                                  "You have %(num)s points to spend.", stats.points_approved))
    if stats.points_pending:
        parts.append(ctx.ngettext("%(num)s point is on hold.", "%(num)s points are on hold.",
                                  stats.points_pending))
    return " ".join(parts)
