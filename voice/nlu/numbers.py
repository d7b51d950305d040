"""Numbers said any way ("девятьсот двенадцать", "twenty three", "fünf fünf", "oh one")
become digits; runs of number words inside a sentence are found so a phone number or a
one-time code can sit anywhere in what was said."""

from __future__ import annotations

import re

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
_GERMAN_TENS = frozenset({"zwanzig", "dreißig", "dreissig", "vierzig", "fünfzig", "sechzig",
                          "siebzig", "achtzig", "neunzig"})
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
            if table is _TENS and token in _GERMAN_TENS:
                after = 0  # German says the unit first ("fünfundsiebzig"): "siebzig fünf" is 70 5
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


# "ein"/"eine" are articles far more often than digits ("lade ... ein"); "eins" is the digit.
_RUN_EXCLUDED = {"ein", "eine"}
_RUN_JOINERS = {"-", "--"}


def is_number_word(token: str) -> bool:
    """One token that belongs in a spoken number: digits (with + - ( ) inside), a number
    word, 'plus', 'hundred', or a German compound like 'dreiundzwanzig'."""
    token = token.strip(".,")
    if not token or token in _RUN_EXCLUDED:
        return False
    if re.fullmatch(r"\+?[\d\-()]*\d[\d\-()]*", token):
        return True
    if token in _PLUS or token in ("hundred", "hundert"):
        return True
    if token in _UNITS or token in _TEENS or token in _TENS or token in _HUNDREDS:
        return True
    compound = _GERMAN_COMPOUND.match(token)
    return bool(compound and compound.group(1) in _UNITS and compound.group(2) in _TENS)


def number_runs(tokens: list[str]) -> list[tuple[int, int]]:
    """[start, end) spans of consecutive number tokens (a lone 'plus' is not a run)."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, token in enumerate([*tokens, ""]):
        if token and (is_number_word(token) or (token in _RUN_JOINERS and start is not None)):
            if start is None:
                start = i
            continue
        if start is not None:
            end = i
            while end > start and tokens[end - 1] in _RUN_JOINERS:
                end -= 1
            if any(t not in _PLUS for t in tokens[start:end]):
                runs.append((start, end))
            start = None
    return runs
