"""Every sentence the dialog says exists in English, German and Russian, with the same
placeholders, and plurals follow each language's rules."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from voice.i18n import LOCALE_DIR, translator

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.mark.parametrize("language", ["en", "de", "ru"])
def test_every_message_is_translated_with_the_same_placeholders(language: str):
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=language)
    assert not catalog.fuzzy
    with (LOCALE_DIR / "messages.pot").open("rb") as fh:
        template = read_po(fh)
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id)
        assert found is not None and found.string, f"{language}: {message.id!r} untranslated"
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == wanted, (language, message.id, text)


@pytest.mark.parametrize("n, expected", [(1, "1 балл"), (3, "3 балла"), (11, "11 баллов"),
                                         (21, "21 балл"), (102, "102 балла")])
def test_russian_plurals_follow_the_three_form_rule(n: int, expected: str):
    assert translator("ru-RU").ngettext("%(num)s point", "%(num)s points", n) == expected


def test_money_is_formatted_by_babel_per_locale():
    assert translator("en-US").money(1000, "USD") == "$10"
    assert translator("de-DE").money(1050, "EUR") == "10,50\xa0€"
    assert translator("ru-RU").money(100000, "RUB") == "1\xa0000\xa0₽"
