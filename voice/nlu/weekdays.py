"""The weekday in a slot value or an utterance, as an index 0 (Monday) .. 6 (Sunday): a
value id (what Alice and Dialogflow send for the entity), any spoken synonym of the
locale's WEEKDAY values, or an inflected form ("fridays", "freitags", «по пятницам»,
«в субботу»): a word that starts with the day's stem."""

from __future__ import annotations

import re

from voice import model as language_model

WEEKDAY_IDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Per language, each day's stem; a word that starts with it is that day. Russian «сред»
# alone would also start «среди», «средство», so Wednesday lists its forms.
_STEMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "en": (("monday",), ("tuesday",), ("wednesday",), ("thursday",), ("friday",),
           ("saturday",), ("sunday",)),
    "de": (("montag",), ("dienstag",), ("mittwoch",), ("donnerstag",), ("freitag",),
           ("samstag", "sonnabend"), ("sonntag",)),
    "ru": (("понедельник",), ("вторник",), ("среда", "среду", "среды", "средам", "средой"),
           ("четверг",), ("пятниц",), ("суббот",), ("воскресень", "воскресен")),
}


def weekday_in(text: str, locale: str) -> int | None:
    words = " " + re.sub(r"[^\w]+", " ", (text or "").lower().replace("ё", "е")) + " "
    lm = language_model.load()
    values = lm.locale(locale).slot_values.get("WEEKDAY", ())
    best: tuple[int, int] | None = None  # (length of the match, weekday)
    for value in values:
        for spoken in (value.id, *value.synonyms):
            needle = f" {spoken.lower()} "
            if needle in words and (best is None or len(needle) > best[0]):
                best = (len(needle), WEEKDAY_IDS.index(value.id))
    if best is not None:
        return best[1]
    return weekday_span(words.split(), locale.split("-")[0])[1] if words.strip() else None


def weekday_span(words: list[str], language: str) -> tuple[int | None, int | None]:
    """(position, weekday) of the first word in `words` naming a day, else (None, None)."""
    stems = _STEMS.get(language, _STEMS["en"])
    for i, word in enumerate(words):
        for day, prefixes in enumerate(stems):
            if any(word.startswith(p) for p in prefixes) or word == WEEKDAY_IDS[day]:
                return i, day
    for i, word in enumerate(words):  # a recognizer's slip: "wensday", "thurdsay", "tuseday"
        for day, prefixes in enumerate(stems):
            if len(word) >= 6 and any(_one_slip(word.rstrip("s"), p) for p in prefixes
                                      if len(p) >= 6):
                return i, day
    return None, None


def _one_slip(word: str, name: str) -> bool:
    """Is `word` one letter dropped, added, changed or two swapped from `name`?"""
    if abs(len(word) - len(name)) > 1 or word == name:
        return False
    if len(word) == len(name):
        diff = [n for n, (a, b) in enumerate(zip(word, name, strict=True)) if a != b]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and word[diff[0]] == name[diff[1]]
                                  and word[diff[1]] == name[diff[0]])
    short, long = sorted((word, name), key=len)
    return any(long[:n] + long[n + 1:] == short for n in range(len(long)))
