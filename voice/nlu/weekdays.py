"""The weekday in a slot value or an utterance, as an index 0 (Monday) .. 6 (Sunday): a
value id (what Alice and Dialogflow send for the entity) or any spoken synonym of the
locale's WEEKDAY values ("пятницам", "freitags")."""

from __future__ import annotations

import re

from voice import model as language_model

WEEKDAY_IDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def weekday_in(text: str, locale: str) -> int | None:
    words = " " + re.sub(r"[^\w]+", " ", (text or "").lower()) + " "
    lm = language_model.load()
    values = lm.locale(locale).slot_values.get("WEEKDAY", ())
    best: tuple[int, int] | None = None  # (length of the match, weekday)
    for value in values:
        for spoken in (value.id, *value.synonyms):
            needle = f" {spoken.lower()} "
            if needle in words and (best is None or len(needle) > best[0]):
                best = (len(needle), WEEKDAY_IDS.index(value.id))
    return best[1] if best else None
