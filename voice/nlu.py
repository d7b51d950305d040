"""Local language understanding from the same model the platforms get: utterance -> intent,
slots, score and the near misses. A testing aid (console, `simulate`, YAML tests) and the
understanding for Alice when her own grammar found nothing; in production the assistants do
the understanding.

Sample templates are compiled once per locale to anchored regexes; a `{slot}` matches only
text that parses as that slot's type (a phone number has digits, an email an @ once spoken
forms are undone, a channel one of its synonyms). No template: the best token overlap."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from voice import model as language_model
from voice.dialog.slots import spoken_digits, spoken_email

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
    # Templates without slots first: "help" must not be read as a phone number.
    return tuple(sorted(out, key=lambda c: bool(c.slot_types and "{" in c.sample)))


def _channel(value: str, locale: str) -> str | None:
    lm = language_model.load()
    needle = normalize(value)
    for item in lm.locale(locale).slot_values.get("CHANNEL", ()):
        if needle == item.id or needle in (normalize(s) for s in item.synonyms):
            return item.id
    return None


def parse_slot(slot_type: str, raw: str, locale: str) -> str | None:
    """The slot's value when `raw` is plausibly of this type, else None."""
    raw = raw.strip()
    if slot_type == "CHANNEL":
        return _channel(raw, locale)
    if slot_type == "PHONE":
        digits = re.sub(r"\D", "", spoken_digits(raw) or raw)
        return raw if len(digits) >= 7 else None
    if slot_type == "EMAIL":
        email = spoken_email(raw)
        return email if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email) else None
    if slot_type == "NUMBER":
        digits = re.sub(r"\D", "", spoken_digits(raw) or raw)
        return digits or None
    return raw or None


def understand(utterance: str, locale: str) -> Understanding:
    text = normalize(utterance)
    if not text:
        return Understanding("Fallback", {}, 0.0)
    for compiled in _compiled(locale):
        match = compiled.regex.match(text)
        if not match:
            continue
        slots: dict[str, str] = {}
        for name, raw in match.groupdict().items():
            value = parse_slot(compiled.slot_types.get(name, ""), raw, locale)
            if value is None:
                break
            slots[name] = value
        else:
            return Understanding(compiled.intent, slots, 1.0 if not slots else 0.95,
                                 _near(text, locale, exclude=compiled.intent), compiled.sample)
    scores = _scores(text, locale)
    best_intent, best = max(scores.items(), key=lambda kv: kv[1], default=("Fallback", 0.0))
    near = tuple(sorted(((i, round(s, 3)) for i, s in scores.items() if i != best_intent and s > 0),
                        key=lambda kv: -kv[1])[:3])
    if best < THRESHOLD:
        return Understanding("Fallback", {}, round(best, 3),
                             ((best_intent, round(best, 3)), *near)[:3])
    return Understanding(best_intent, _loose_slots(best_intent, text, locale), round(best, 3),
                         near)


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
