"""The program's terms in one or two sentences, built from its configuration so they can
never drift from what the shop actually pays: in full for messages and the MCP tool, and
in one short spoken sentence for "how does it work?" (issue 25: under 8 seconds)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from babel.numbers import format_percent

from core.models import Program
from voice.i18n import Translator, translator


@dataclass(frozen=True)
class _Terms:
    friend_reward_kind: str
    friend_reward_amount: int
    referrer_reward_kind: str
    referrer_reward_amount: int
    currency: str
    min_order_amount: int
    hold_days: int


def reward_phrase(t: Translator, kind: str, amount: int, currency: str) -> str:
    if kind == "points":
        return t.ngettext("%(num)s point", "%(num)s points", amount)
    if kind == "percent_discount":
        return t._("%(percent)s off", percent=format_percent(amount / 100, locale=t.babel_locale))
    if kind == "fixed_discount":
        return t._("%(money)s off", money=t.money(amount, currency))
    if kind == "gift_card":
        return t._("a %(money)s gift card", money=t.money(amount, currency))
    if kind == "cash":
        return t._("%(money)s in cash", money=t.money(amount, currency))
    return t.money(amount, currency)


def shop_terms(program: Program, locale: str) -> str:
    """The shop's own words for this locale (`terms` keyed by en-US, or by en for every
    English locale); empty when it wrote none. Untrusted: escaped by the renderers."""
    written = program.terms if isinstance(program.terms, dict) else {}
    text = written.get(locale) or written.get(locale.split("-")[0]) or ""
    return " ".join(str(text).split()) if isinstance(text, str) else ""


def first_sentence(text: str) -> tuple[str, str]:
    """(the first sentence, the rest): a sentence ends at . ! ? or … followed by a space,
    so "$2.50" stays whole; text without an ending is one sentence."""
    match = re.match(r"(.+?[.!?\u2026])\s+(\S.*)", text, re.DOTALL)
    return (match.group(1), match.group(2)) if match else (text, "")


def spoken_terms(t: Translator, program: Program) -> str:
    """One sentence: what the friend gets and on what, what the customer gets, when it
    counts. The shop's own words are not in it (voice.dialog.info decides on those)."""
    return _spoken(t.locale, program.friend_reward_kind, program.friend_reward_amount,
                   program.referrer_reward_kind, program.referrer_reward_amount,
                   program.currency, program.min_order_amount, program.hold_days)


@lru_cache(maxsize=1024)
def _spoken(locale: str, friend_kind: str, friend_amount: int, referrer_kind: str,
            referrer_amount: int, currency: str, minimum: int, hold_days: int) -> str:
    t = translator(locale)
    friend = reward_phrase(t, friend_kind, friend_amount, currency)
    referrer = reward_phrase(t, referrer_kind, referrer_amount, currency)
    # hold_days is the refund window, counted from the friend's order (core.rewards.release).
    when = (t.ngettext("%(num)s day later", "%(num)s days later", hold_days) if hold_days
            else t._("when they order"))
    if minimum:
        return t._("Your friend gets %(friend)s on a first order of %(minimum)s or more; you "
                   "get %(referrer)s %(when)s.", friend=friend, referrer=referrer, when=when,
                   minimum=t.money(minimum, currency))
    return t._("Your friend gets %(friend)s on their first order; you get %(referrer)s "
               "%(when)s.", friend=friend, referrer=referrer, when=when)


def terms_sentences(t: Translator, program: Program) -> str:
    built = _terms(t.locale, program.friend_reward_kind, program.friend_reward_amount,
                   program.referrer_reward_kind, program.referrer_reward_amount,
                   program.currency, program.min_order_amount, program.hold_days)
    own = shop_terms(program, t.locale)
    return f"{built} {own}" if own else built


@lru_cache(maxsize=1024)
def _terms(locale: str, friend_kind: str, friend_amount: int, referrer_kind: str,
           referrer_amount: int, currency: str, minimum: int, hold_days: int) -> str:
    """Cached by the values that make the sentence: Babel formatting is not free and every
    share turn says it."""
    t = translator(locale)
    program = _Terms(friend_kind, friend_amount, referrer_kind, referrer_amount, currency,
                     minimum, hold_days)
    friend = reward_phrase(t, program.friend_reward_kind, program.friend_reward_amount,
                           program.currency)
    referrer = reward_phrase(t, program.referrer_reward_kind, program.referrer_reward_amount,
                             program.currency)
    if program.min_order_amount:
        first = t._("Your friend gets %(friend)s on a first order of %(minimum)s or more, and "
                    "you get %(referrer)s when they order.", friend=friend, referrer=referrer,
                    minimum=t.money(program.min_order_amount, program.currency))
    else:
        first = t._("Your friend gets %(friend)s on their first order, and you get "
                    "%(referrer)s when they order.", friend=friend, referrer=referrer)
    if program.hold_days:
        first += " " + t.ngettext(
            "It's confirmed %(num)s day after their order.",
            "It's confirmed %(num)s days after their order.", program.hold_days)
    return first
