"""Local language understanding from the same model the platforms get: utterance -> intent,
slots, score and the near misses. A testing aid (console, `simulate`, YAML tests) and the
understanding for Alice when her own grammar found nothing; in production the assistants do
the understanding.

Sample templates are compiled once per locale to anchored regexes; a `{slot}` matches only
text that parses as that slot's type (a phone number has digits, an email an @ once spoken
forms are undone, a channel one of its synonyms). A template match scores 1.0; otherwise the
best token overlap (Dice) per intent, and Fallback below THRESHOLD. Numbers said as words
("девятьсот двенадцать", "twenty three", "fünf fünf") become digits; phone numbers are
checked with phonenumbers for the shop's region and returned in E.164."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers

from core.contacts import region_of
from voice import model as language_model
from voice.dialog.slots import spoken_email

THRESHOLD = 0.5
_PUNCT = re.compile(r"[^\w@.+\-'\s]", re.UNICODE)


@dataclass(frozen=True)
class Understanding:
    intent: str
    slots: dict[str, str]
    score: float
    near_misses: tuple[tuple[str, float], ...] = ()
    template: str = ""


@dataclass
class _Compiled:
    intent: str
    sample: str
    regex: re.Pattern[str]
    slot_types: dict[str, str]
    tokens: frozenset[str] = field(default_factory=frozenset)


def normalize(text: str) -> str:
    text = _PUNCT.sub(" ", text.lower().replace("ё", "е"))
    return re.sub(r"\s+", " ", text).strip(" .")


def _tokens(text: str) -> frozenset[str]:
    return frozenset(t for t in re.split(r"[\s.]+", text) if t and not t.startswith("{"))


@lru_cache(maxsize=8)
def _compiled(locale: str) -> tuple[_Compiled, ...]:
    lm = language_model.load()
    loc = lm.locale(locale)
    out = []
    for intent, samples in loc.samples.items():
        slot_types = lm.intents[intent].slots if intent in lm.intents else {}
        for sample in samples:
            parts = []
            for part in re.split(r"(\{\w+\})", sample):
                if part.startswith("{"):
                    parts.append(f"(?P<{part[1:-1]}>.+?)")
                elif normalize(part):
                    parts.append(re.escape(normalize(part)))
            pattern = r"\s".join(parts)
            out.append(_Compiled(intent, sample, re.compile(f"^{pattern}$"),
                                 dict(slot_types), _tokens(normalize(sample))))
    # Templates without slots first ("help" must not be read as a phone number), then the
    # slot templates with the most literal words ("my number is {phone}" before "{phone}").
    return tuple(sorted(out, key=lambda c: (bool(c.slot_types and "{" in c.sample),
                                            -len(c.tokens))))


def _channel(value: str, locale: str) -> str | None:
    lm = language_model.load()
    needle = normalize(value)
    for item in lm.locale(locale).slot_values.get("CHANNEL", ()):
        if needle == item.id or needle in (normalize(s) for s in item.synonyms):
            return item.id
    return None


_UNITS = {
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9,
    "null": 0, "eins": 1, "ein": 1, "eine": 1, "zwei": 2, "zwo": 2, "drei": 3, "vier": 4,
    "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9,
    "ноль": 0, "нуль": 0, "один": 1, "одна": 1, "два": 2, "две": 2, "три": 3, "четыре": 4,
    "пять": 5, "шесть": 6, "семь": 7, "восемь": 8, "девять": 9,
}
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "zehn": 10, "elf": 11, "zwölf": 12, "dreizehn": 13, "vierzehn": 14, "fünfzehn": 15,
    "sechzehn": 16, "siebzehn": 17, "achtzehn": 18, "neunzehn": 19,
    "десять": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13,
    "четырнадцать": 14, "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17,
    "восемнадцать": 18, "девятнадцать": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
    "zwanzig": 20, "dreißig": 30, "dreissig": 30, "vierzig": 40, "fünfzig": 50,
    "sechzig": 60, "siebzig": 70, "achtzig": 80, "neunzig": 90,
    "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50, "шестьдесят": 60,
    "семьдесят": 70, "восемьдесят": 80, "девяносто": 90,
}
_HUNDREDS = {
    "сто": 100, "двести": 200, "триста": 300, "четыреста": 400, "пятьсот": 500,
    "шестьсот": 600, "семьсот": 700, "восемьсот": 800, "девятьсот": 900, "hundert": 100,
}
_PLUS = {"plus", "плюс", "+"}
_GERMAN_COMPOUND = re.compile(r"^(\w+?)und(\w+)$")


def spoken_number(text: str) -> str:
    """Digits said any way, in order, as one string: '+7 девятьсот двенадцать 3 4' ->
    '+791234'; 'five five five oh one two three' -> '5550123'; 'twenty three' -> '23'.
    Other words are dropped; a group (hundreds, tens, units) ends when the next word cannot
    extend it, so 'двадцать два' is 22 but 'два двадцать' is 220."""
    out: list[str] = []
    value, room = 0, -1  # room: the largest place the open group can still take; -1 closed

    def flush() -> None:
        nonlocal value, room
        if room != -1:
            out.append(str(value))
        value, room = 0, -1

    for token in re.split(r"[\s,()\-]+", text.lower()):
        token = token.strip(".")
        if not token:
            continue
        if token in _PLUS:
            flush()
            out.append("+") if not out else None
            continue
        if token.lstrip("+").isdigit():
            flush()
            out.append(token if not out else token.lstrip("+"))
            continue
        compound = _GERMAN_COMPOUND.match(token)
        if compound and compound.group(1) in _UNITS and compound.group(2) in _TENS:
            flush()
            out.append(str(_TENS[compound.group(2)] + _UNITS[compound.group(1)]))
            continue
        if token in ("hundred", "hundert") and room == 0 and 0 < value < 10:
            value, room = value * 100, 10
            continue
        for table, need, after in ((_HUNDREDS, 100, 10), (_TENS, 10, 1), (_TEENS, 10, 0),
                                   (_UNITS, 1, 0)):
            if token not in table:
                continue
            number = table[token]
            if number == 0:
                flush()
                out.append("0")
            elif room >= need:
                value, room = value + number, after
            else:
                flush()
                value, room = number, after
            break
    flush()
    return "".join(out)


def parse_phone(raw: str, region: str | None) -> str | None:
    """E.164 when phonenumbers finds a possible number for the region (validity, and so the
    spoken "that isn't a valid number", is the dialog's call)."""
    digits = spoken_number(raw)
    if len(digits.lstrip("+")) < 7 or not _all_numeric(normalize(raw).split()):
        return None
    try:
        number = phonenumbers.parse(digits, region or "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_email(raw: str) -> str | None:
    email = spoken_email(raw)
    return email if re.fullmatch(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+", email) else None


def parse_slot(slot_type: str, raw: str, locale: str, region: str | None = None) -> str | None:
    """The slot's value when `raw` is plausibly of this type, else None."""
    raw = raw.strip()
    if slot_type == "CHANNEL":
        return _channel(raw, locale)
    if slot_type == "PHONE":
        return parse_phone(raw, region or region_of(locale))
    if slot_type == "EMAIL":
        return parse_email(raw)
    if slot_type == "NUMBER":
        digits = spoken_number(raw).lstrip("+")
        words = [w for w in normalize(raw).split() if w]
        return digits if digits and _all_numeric(words) else None
    return raw or None


def _all_numeric(words: list[str]) -> bool:
    return all(w.lstrip("+").isdigit() or spoken_number(w) or w in ("hundred", "hundert")
               for w in words)


def understand(utterance: str, locale: str, region: str | None = None) -> Understanding:
    """Best intent for `utterance`; `region` (the shop's country) reads national numbers."""
    text = normalize(utterance)
    if not text:
        return Understanding("Fallback", {}, 0.0)
    for compiled in _compiled(locale):
        match = compiled.regex.match(text)
        if not match:
            continue
        slots: dict[str, str] = {}
        for name, raw in match.groupdict().items():
            value = parse_slot(compiled.slot_types.get(name, ""), raw, locale, region)
            if value is None:
                break
            slots[name] = value
        else:
            return Understanding(compiled.intent, slots, 1.0,
                                 _near(text, locale, exclude=compiled.intent), compiled.sample)
    bare = _bare_value(utterance, locale, region)
    if bare is not None:
        return bare
    scores = _scores(text, locale)
    best_intent, best = max(scores.items(), key=lambda kv: kv[1], default=("Fallback", 0.0))
    near = tuple(sorted(((i, round(s, 3)) for i, s in scores.items() if i != best_intent and s > 0),
                        key=lambda kv: -kv[1])[:3])
    if best < THRESHOLD:
        return Understanding("Fallback", {}, round(best, 3),
                             ((best_intent, round(best, 3)), *near)[:3])
    return Understanding(best_intent, _loose_slots(best_intent, text, locale), round(best, 3),
                         near)


def _bare_value(utterance: str, locale: str, region: str | None) -> Understanding | None:
    """Only an email, or only a short number, said as the whole answer (the model's bare
    `{phone}` template covers phone numbers): the contact or the one-time code."""
    email = parse_email(normalize(utterance))
    if email:
        return Understanding("ProvideContact", {"email": email}, 1.0, (), "{email}")
    words = normalize(utterance).split()
    digits = spoken_number(utterance).lstrip("+")
    if words and _all_numeric(words) and 4 <= len(digits) <= 6:
        return Understanding("ProvideCode", {"pin": digits}, 1.0, (), "{pin}")
    return None


def _loose_slots(intent: str, text: str, locale: str) -> dict[str, str]:
    """Without a template, still pick up a channel named anywhere ("... by email")."""
    lm = language_model.load()
    wanted = lm.intents[intent].slots if intent in lm.intents else {}
    slots: dict[str, str] = {}
    for name, slot_type in wanted.items():
        if slot_type != "CHANNEL":
            continue
        for item in lm.locale(locale).slot_values.get("CHANNEL", ()):
            if any(re.search(rf"\b{re.escape(normalize(s))}\b", text) for s in item.synonyms):
                slots[name] = item.id
                break
    return slots


def _scores(text: str, locale: str) -> dict[str, float]:
    words = _tokens(text)
    scores: dict[str, float] = {}
    for compiled in _compiled(locale):
        if not compiled.tokens:
            continue
        overlap = len(words & compiled.tokens)
        score = 2 * overlap / (len(words) + len(compiled.tokens))  # Dice coefficient
        scores[compiled.intent] = max(scores.get(compiled.intent, 0.0), score)
    return scores


def _near(text: str, locale: str, exclude: str) -> tuple[tuple[str, float], ...]:
    scores = _scores(text, locale)
    return tuple(sorted(((i, round(s, 3)) for i, s in scores.items()
                         if i != exclude and s > 0), key=lambda kv: -kv[1])[:3])
