"""Helpers the Dialogflow and Alice exports share: stable ids and sample parts."""

from __future__ import annotations

import re
import uuid

from voice import model as language_model

NAMESPACE = uuid.UUID("6f1c6f0e-2b3a-4a8e-9a55-7e0d0c0ffee1")
EXAMPLE_VALUES = {"PHONE": {"en": "555 555 0123", "de": "+49 30 901820",
                            "ru": "+7 912 345 67 89"},
                  "EMAIL": {"en": "sam@example.org", "de": "lena@example.de",
                            "ru": "ivan@example.ru"},
                  "NUMBER": {"en": "123456", "de": "123456", "ru": "123456"}}
# Dialogflow agent languages (English the default) -> the model's locale for each.
EXPORT_LOCALES = {"en": "en-US", "de": "de-DE", "ru": "ru-RU"}
SUPPORTED_LANGUAGES = [language for language in EXPORT_LOCALES if language != "en"]
# What the dialog says when it asks for the one value (voice/dialog/reminders.py, pairing.py),
# in the catalog's words: the question, then the re-ask after an answer that is not one.
# The agents speak them only where our webhook is not asked (CX form pages; ES fallback).
ELICIT_PROMPTS = {"weekday": ("On which day of the week should I remind you?",
                              "Please say a day of the week, for example Friday."),
                  "pin": ("Please say the six digits of the code.",
                          "What is the six-digit code?")}


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def sample_parts(sample: str) -> list[tuple[str, str | None]]:
    """'send my invite to {phone}' -> [('send my invite to ', None), ('{phone}', 'phone')]."""
    out: list[tuple[str, str | None]] = []
    for piece in re.split(r"(\{\w+\})", sample):
        if not piece:
            continue
        out.append((piece, piece[1:-1]) if piece.startswith("{") else (piece, None))
    return out


def example_for(slot_type: str, language: str, locale: str) -> str:
    if slot_type in EXAMPLE_VALUES:
        return EXAMPLE_VALUES[slot_type][language]
    values = language_model.load().locale(locale).slot_values.get(slot_type, ())
    return values[0].synonyms[0] if values else slot_type.lower()


def prompt_in(slot: str, locale: str, reask: bool = False) -> str:
    """The dialog's question for `slot` (or its re-ask) in the locale's catalog."""
    from voice.i18n import translator

    return translator(locale)._(ELICIT_PROMPTS[slot][1 if reask else 0])


def entity_of(slot_type: str) -> str:
    """Dialogflow: a custom slot type is the agent's own entity (@channel, @weekday)."""
    t = language_model.load().slot_types[slot_type]
    return f"@{t.name.lower()}" if t.kind == "custom" else t.name_on("dialogflow")
