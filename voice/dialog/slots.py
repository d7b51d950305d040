"""Reading contact details and numbers out of slots: platforms hand us strings, sometimes
spoken forms ("alex at example dot com", "five five five"), and we accept only what
normalizes to a real phone number or email address."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.contacts import normalize_email, normalize_phone, region_of
from core.errors import InvalidInput
from voice.nlu.emails import find_email, tokenize
from voice.nlu.numbers import spoken_number
from voice.nlu.understanding import normalize

_SPOKEN_DIGITS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
    "null": "0", "eins": "1", "zwei": "2", "zwo": "2", "drei": "3", "vier": "4", "fünf": "5",
    "sechs": "6", "sieben": "7", "acht": "8", "neun": "9",
    "ноль": "0", "один": "1", "одна": "1", "два": "2", "две": "2", "три": "3", "четыре": "4",
    "пять": "5", "шесть": "6", "семь": "7", "восемь": "8", "девять": "9",
}
_AT = r"(?:\s+(?:at|ät|собака|эт)\s+)"
_DOT = r"(?:\s+(?:dot|punkt|точка)\s+)"


@dataclass(frozen=True)
class Contact:
    kind: str  # phone | email
    value: str  # E.164 or normalized email


def spoken_digits(text: str) -> str:
    """'five five five 0 1 2 3' -> '5550123'; other words are dropped."""
    out = []
    for token in re.split(r"[\s,.\-()]+", text.lower()):
        if token.isdigit():
            out.append(token)
        elif token in _SPOKEN_DIGITS:
            out.append(_SPOKEN_DIGITS[token])
        elif token == "plus" or token == "плюс":
            out.append("+")
    return "".join(out)


def spoken_email(text: str) -> str:
    """The email in `text` as speech recognizers write it (voice.nlu.emails: "pat at
    example dot org", «маша собака яндекс точка ру»), else the words glued at at/dot."""
    found = find_email(tokenize(normalize(text)))
    if found:
        return found[0]
    text = text.strip().lower()
    text = re.sub(_AT, "@", f" {text} ").strip()
    text = re.sub(_DOT, ".", f" {text} ").strip()
    return re.sub(r"\s+", "", text)


def parse_contact(
    slots: dict[str, str], utterance: str, locale: str, *, allow_fictional: bool
) -> Contact | None:
    """The first of phone slot, email slot, or the utterance itself that normalizes."""
    region = region_of(locale) or "US"
    candidates: list[tuple[str, str]] = []
    if slots.get("email"):
        candidates.append(("email", slots["email"]))
    if slots.get("phone"):
        candidates.append(("phone", slots["phone"]))
    if utterance:
        candidates.append(("email" if "@" in spoken_email(utterance) else "phone", utterance))
    for kind, raw in candidates:
        try:
            if kind == "email":
                return Contact("email", normalize_email(spoken_email(raw)))
            digits = spoken_number(raw) or raw  # «девятьсот шестнадцать» too
            return Contact("phone", normalize_phone(digits, region,
                                                    allow_fictional=allow_fictional))
        except InvalidInput:
            continue
    return None


def parse_pin(slots: dict[str, str], utterance: str, length: int = 6) -> str | None:
    for raw in (slots.get("pin"), slots.get("phone"), slots.get("number"), utterance):
        if raw:
            digits = re.sub(r"\D", "", spoken_digits(str(raw)))
            if len(digits) == length:
                return digits
    return None
