"""Russian forms that agree with the Salute character speaking (`payload.character.gender`).

Our Russian catalog speaks as a woman (Alice's voice): «я отправила», «не расслышала». Сбер
is a man, so the past-tense verbs in which the assistant speaks of itself change form. Only
the verbs listed here change (a whitelist: the catalog's self-references after я / не / уже),
so a customer's or shop's words are never touched; tests/test_salute_grammar.py fails when
the catalog gains a self-reference missing here."""

from __future__ import annotations

import re

from voice.turn import Say, Speech

# feminine -> masculine, every verb the ru catalog uses of the assistant itself
MASCULINE = {
    "отправила": "отправил", "отправляла": "отправлял", "отключила": "отключил",
    "расслышала": "расслышал", "поняла": "понял", "удалила": "удалил",
    "попросила": "попросил", "разобрала": "разобрал", "подготовила": "подготовил",
}
_WORDS = re.compile(r"\b(" + "|".join(MASCULINE) + r")\b", re.IGNORECASE)


def _masculine(match: re.Match[str]) -> str:
    word = match.group(0)
    made = MASCULINE[word.lower()]
    return made.capitalize() if word[0].isupper() else made


def agreed(speech: Speech, gender: str) -> Speech:
    """`speech` as said by a character of `gender` ("male" / "female"; anything else: as is)."""
    if gender != "male":
        return speech
    return Speech(tuple(type(s)(_WORDS.sub(_masculine, s.text)) if isinstance(s, Say) else s
                        for s in speech.segments))
