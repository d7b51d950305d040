"""How long a reply takes to say: syllables at a normal speaking rate.

Speech rate is close to constant in syllables per second across languages (about 5-6 in
conversation, a little less from a speech synthesizer), while words differ in length
("Erinnerungen", «напоминания»), so replies are timed by syllables: vowel groups of the
written words, digits by the syllables of their spoken names. Issue 25: every reply under
8 seconds at NORMAL_RATE."""

from __future__ import annotations

import re

NORMAL_RATE = 5.0  # syllables per second
LIMIT_SECONDS = 8.0
_VOWELS = {"en": "aeiouy", "de": "aeiouyäöü", "ru": "аеёиоуыэюя"}
# Syllables of each digit's name: zero one two ... nine.
_DIGITS = {"en": (2, 1, 1, 1, 1, 1, 1, 2, 1, 1), "de": (1, 1, 1, 1, 1, 1, 1, 2, 1, 1),
           "ru": (1, 2, 1, 1, 3, 1, 1, 1, 2, 2)}


def syllables(text: str, locale: str) -> int:
    language = locale.split("-")[0]
    vowels = _VOWELS.get(language, _VOWELS["en"])
    digits = _DIGITS.get(language, _DIGITS["en"])
    count = 0
    for word in re.findall(r"\w+", text.lower()):
        if word.isdigit():
            count += sum(digits[int(d)] for d in word)
            continue
        groups = re.findall(f"[{vowels}]+", word)
        if language == "en" and word.endswith("e") and len(groups) > 1 and \
                not word.endswith(("le", "ee")):
            groups = groups[:-1]  # a silent final e: "code", "share"
        count += max(1, len(groups))
    return count


def seconds(text: str, locale: str) -> float:
    return syllables(text, locale) / NORMAL_RATE
