"""One rule for the words that open a shop's Alexa skill (Amazon's invocation name
requirements), shared by Settings and the skill export: any shop name becomes a name Amazon
accepts, and a name typed by hand is refused with the reason."""

from __future__ import annotations

import pytest

from core.invocation_names import alexa_name, problems


@pytest.mark.parametrize(("shop", "locale", "made"), [
    ("Crumb & Co", "en-US", "crumb and co"),
    ("Crumb & Co Bakery", "en-GB", "crumb and co bakery"),
    ("Bäckerei Müller & Söhne", "de-DE", "bäckerei müller und söhne"),
    ("Пекарня «Крошка»", "en-US", "pekarnya kroshka"),
    ("7 Eleven", "en-US", "seven eleven"),
    ("Sam's Books", "en-US", "sam's books"),
    ("Alexa Shop", "en-US", "referral shop"),
    ("Ask Bob", "en-US", "bob shop"),
    ("Bakery", "en-US", "bakery shop"),
    ("!!!", "en-US", "referral shop"),
    ("Demo Shop", "en-US", "demo shop"),
])
def test_any_shop_name_becomes_a_name_amazon_accepts(shop: str, locale: str, made: str) -> None:
    name = alexa_name(shop, locale)
    assert name.name == made and problems(name.name, locale) == []
    assert bool(name.changes) == (made != shop.lower())  # a change always says why


def test_a_very_long_name_is_cut_at_a_word_within_fifty_characters() -> None:
    name = alexa_name("The Very Long Name Of A Bakery That Sells Bread And Cakes And Pies",
                      "en-US")
    assert len(name.name) <= 50 and problems(name.name) == [] and name.changes


@pytest.mark.parametrize(("typed", "reason"), [
    ("crumb & co", "lower-case letters"),
    ("Crumb Shop", "lower-case letters"),
    ("shop 42", "spell out numbers"),
    ("ask crumb", "launch word"),
    ("crumb shop for", "connecting word"),
    ("echo bakery", "reserved"),
    ("crumb", "two or more words"),
    ("the crumb", "article"),
    ("x", "2 to 50 characters"),
])
def test_a_name_amazon_would_refuse_says_why(typed: str, reason: str) -> None:
    assert any(reason in line for line in problems(typed)), problems(typed)


def test_german_names_may_hold_umlauts_and_one_word() -> None:
    assert problems("bäckerei", "de-DE") == []
    assert problems("bäckerei", "en-US") != []
