"""The friend's page in the friend's language (en, de, ru): who invited them, what they get
in the shop's currency and the shop's own words, and the labels around the code. Text for a
person: gettext catalogs like every other line we write."""

from __future__ import annotations

from dataclasses import dataclass

from core.friend_offer import FriendOffer
from voice.dialog.terms import reward_phrase
from voice.i18n import LANGUAGES, Translator, language_of


@dataclass(frozen=True)
class FriendWords:
    lang: str
    title: str  # "Alex invited you to Crumb & Co Bakery"
    offer: str  # "You get $5 off your first order."
    own_terms: str  # the shop's own words, or ""
    code_label: str
    copy: str
    copied: str
    shop_button: str
    no_shop_button: str
    scan: str


def choose_language(offer: FriendOffer, accepted: list[str]) -> str:
    """The visitor's first accepted language the shop speaks; else the shop's main one."""
    shop_languages = [language_of(x) for x in offer.locales]
    for wanted in accepted:
        language = wanted.split("-")[0].lower()
        if language in shop_languages and language in LANGUAGES:
            return language
    return shop_languages[0] if shop_languages else "en"


def _locale_for(offer: FriendOffer, language: str) -> str:
    return next((x for x in offer.locales if language_of(x) == language), language)


def friend_words(offer: FriendOffer, language: str) -> FriendWords:
    t = Translator(_locale_for(offer, language))
    name = offer.referrer_first_name
    title = (t._("%(name)s invited you to %(shop)s", name=name, shop=offer.shop_name) if name
             else t._("A friend invited you to %(shop)s", shop=offer.shop_name))
    gift = reward_phrase(t, offer.friend_reward_kind, offer.friend_reward_amount, offer.currency)
    if offer.min_order_amount:
        text = t._("You get %(gift)s with a first order of %(minimum)s or more.", gift=gift,
                   minimum=t.money(offer.min_order_amount, offer.currency))
    else:
        text = t._("You get %(gift)s with your first order.", gift=gift)
    own = offer.terms.get(t.locale) or offer.terms.get(t.language) or ""
    return FriendWords(
        lang=t.language, title=title, offer=text, own_terms=" ".join(own.split()),
        code_label=t._("Your code"), copy=t._("Copy code"), copied=t._("Copied"),
        shop_button=t._("Shop with your code") if offer.applies_code else
        t._("Go to the shop"),
        no_shop_button=t._("Enter the code at checkout."),
        scan=t._("Or scan this code with your phone's camera."))


@dataclass(frozen=True)
class NotFoundWords:
    lang: str
    title: str
    text: str


def not_found_words(accepted: list[str], *, typo: bool) -> NotFoundWords:
    """An unknown, erased or mistyped code: a kind page in the visitor's language."""
    language = next((x.split("-")[0].lower() for x in accepted
                     if x.split("-")[0].lower() in LANGUAGES), "en")
    t = Translator(language)
    if typo:
        return NotFoundWords(language, t._("Please check the code"), t._(
            "This invite code has a typo: one of its letters or digits does not match. "
            "Compare it with the code your friend sent you and try again."))
    return NotFoundWords(language, t._("This invite does not exist"), t._(
        "The link may be old or incomplete, or the invite was withdrawn. Ask your friend to "
        "send it again."))
