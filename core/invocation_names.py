"""The words people say to open a shop's skill, made valid by Amazon's rules from any shop
name, and checked by the same rules when a shop types its own (Settings and the Alexa export
share this one rule).

Amazon, "Choose the invocation name for a custom skill" / "Invocation name requirements"
(developer.amazon.com/docs/custom-skills/choose-the-invocation-name-for-a-custom-skill.html):
only lower-case letters, spaces between words, possessive apostrophes and periods in
abbreviations ("a. b. c."); numbers and symbols spelled out ("twenty one"); 2-50 characters;
two or more words unless a brand; no launch phrase ("ask", "open", ...), no connecting word
at the end, no wake word ("alexa", "amazon", "echo", "computer") and not "skill" or "app";
a two-word name holds no article ("the", "a", "an", "for", "to", "of"). German names may hold
ä, ö, ü and ß. `alexa_name("Crumb & Co")` is "crumb and co".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from anyascii import anyascii

LAUNCH_WORDS = frozenset({"launch", "ask", "tell", "load", "begin", "enable", "open", "start",
                          "play", "resume", "run", "use"})
CONNECTING_WORDS = frozenset({"to", "from", "in", "using", "with", "about", "for", "that",
                              "by", "if", "and", "whether", "und", "mit", "von", "zu"})
WAKE_WORDS = frozenset({"alexa", "amazon", "echo", "computer", "skill", "app", "ziggy"})
ARTICLES = frozenset({"the", "a", "an", "for", "to", "of", "der", "die", "das", "ein", "eine"})
MIN_CHARS, MAX_CHARS = 2, 50
SYMBOLS = {"en": {"&": "and", "+": "plus", "@": "at", "%": "percent"},
           "de": {"&": "und", "+": "plus", "@": "at", "%": "prozent"}}
DIGITS = {"en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                 "nine"),
          "de": ("null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht",
                 "neun")}
FILLER = {"en": "shop", "de": "laden"}
VALID = {"en": re.compile(r"^[a-z](?:[a-z' .]*[a-z.])?$"),
         "de": re.compile(r"^[a-zäöüß](?:[a-zäöüß' .]*[a-zäöüß.])?$")}


@dataclass(frozen=True)
class Made:
    """A valid name and, when it differs from what was given, why."""

    name: str
    changes: tuple[str, ...] = ()


def _language(locale: str) -> str:
    return "de" if locale.lower().startswith("de") else "en"


def _letters(text: str, language: str) -> str:
    """Latin lower-case letters (German keeps its umlauts and ß), everything else spelled
    out or a space."""
    out: list[str] = []
    for ch in text.lower():
        if ch in SYMBOLS[language]:
            out.append(f" {SYMBOLS[language][ch]} ")
        elif ch.isdigit() and ch.isascii():
            out.append(f" {DIGITS[language][int(ch)]} ")
        elif language == "de" and ch in "äöüß":
            out.append(ch)
        elif ch in "'’":
            out.append("'")
        elif ch.isalpha():
            plain = anyascii(unicodedata.normalize("NFC", ch)).lower()
            out.append(re.sub(r"[^a-z]", "", plain) or " ")
        else:
            out.append(" ")
    words = [w.strip("'") for w in "".join(out).split()]
    return " ".join(w for w in words if w)


def problems(name: str, locale: str = "en-US") -> list[str]:
    """Why Amazon would refuse `name` for this locale (empty when it would take it)."""
    language = _language(locale)
    words = name.split()
    found: list[str] = []
    if not MIN_CHARS <= len(name) <= MAX_CHARS:
        found.append(f"Use {MIN_CHARS} to {MAX_CHARS} characters.")
    if not VALID[language].match(name) or "  " in name:
        found.append("Use only lower-case letters, spaces, apostrophes and periods; spell "
                     "out numbers and symbols (“and” for “&”).")
    if words and words[0] in LAUNCH_WORDS:
        found.append(f"Don't start with the launch word “{words[0]}”.")
    if len(words) > 1 and words[-1] in CONNECTING_WORDS:
        found.append(f"Don't end with the connecting word “{words[-1]}”.")
    wake = sorted(WAKE_WORDS & set(words))
    if wake:
        found.append(f"Don't use “{wake[0]}”: wake words, “skill” and “app” are reserved.")
    if language == "en" and len(words) == 1:
        found.append("Use two or more words (one word only for your own brand).")
    if len(words) == 2 and ARTICLES & set(words):
        found.append("A two-word name may not hold an article such as “the” or “of”.")
    return found


def alexa_name(shop_name: str, locale: str = "en-US") -> Made:
    """A name Amazon accepts, made from `shop_name`: symbols and digits spelled out, other
    scripts transliterated, reserved words dropped, a filler word added to a single word."""
    language = _language(locale)
    changes: list[str] = []
    text = _letters(shop_name, language)
    words = [w for w in text.split() if w not in WAKE_WORDS]
    if len(words) != len(text.split()):
        changes.append("wake words, “skill” and “app” are reserved, so they were dropped")
    while words and words[0] in LAUNCH_WORDS:
        changes.append(f"a name may not start with the launch word “{words[0]}”")
        words = words[1:]
    while len(words) > 1 and words[-1] in CONNECTING_WORDS:
        changes.append(f"a name may not end with “{words[-1]}”")
        words = words[:-1]
    if len(words) == 2 and ARTICLES & set(words):
        words = [w for w in words if w not in ARTICLES]
        changes.append("a two-word name may not hold an article")
    if len(words) < 2 and language == "en":
        word = words[0][:MAX_CHARS - 6] if words else ""
        words = [word, FILLER[language]] if word and word != FILLER[language] else [
            "referral", FILLER[language]]
        changes.append("Amazon wants two or more words, so a word was added")
    elif not words:
        words = ["empfehlungs", FILLER[language]]
        changes.append("the name held no letters Amazon accepts")
    name = " ".join(words)
    while len(name) > MAX_CHARS and " " in name:
        name = name.rsplit(" ", 1)[0]
        if name.split()[-1] in CONNECTING_WORDS:
            name = name.rsplit(" ", 1)[0]
    if len(name) > MAX_CHARS:
        name = name[:MAX_CHARS]
    if len(" ".join(words)) > MAX_CHARS:
        changes.append(f"cut to at most {MAX_CHARS} characters")
    if text != " ".join(shop_name.lower().split()):
        changes.insert(0, "Amazon accepts only lower-case letters, spaces, apostrophes and "
                       "periods, so symbols and digits were spelled out and other letters "
                       "transliterated")
    return Made(name, tuple(changes))
