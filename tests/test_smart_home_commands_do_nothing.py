"""Speech about the home is not about the referral program (issue 25: off-topic speech never
reaches an acting intent). 1,431 commands sampled from home-assistant-intents (source in
tests/fixtures/home-assistant-intents/SOURCE.md) — lights, timers, media, weather, lists —
none may share, invite, subscribe, set a reminder or erase. (A yes is left out: said with no
question pending it does nothing, and "alles ok" — Home Assistant's "never mind" — is a fair yes
to "shall I send it?"; yes at a pending question is tests/test_acting_is_safe.py's table.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from voice.nlu.evaluation import ACTING_INTENTS
from voice.nlu.understanding import understand

FIXTURES = Path(__file__).parent / "fixtures" / "home-assistant-intents"
LOCALES = {"en": "en-US", "de": "de-DE", "ru": "ru-RU"}


def _commands(language: str) -> list[str]:
    lines = (FIXTURES / f"{language}.tsv").read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[1] for line in lines if "\t" in line]


@pytest.mark.parametrize("language", sorted(LOCALES))
def test_no_smart_home_command_reaches_an_acting_intent(language: str) -> None:
    commands = _commands(language)
    assert len(commands) > 400
    acting = [(text, got.intent) for text in commands
              if (got := understand(text, LOCALES[language])).intent in ACTING_INTENTS - {"Yes"}]
    assert acting == []
