"""First names as people hear and spell them: the same name written ALEX, Aleks, АЛЕКС or
KSENIYA, Xenia, Ксения must compare equal, and a Russian speaker must hear a Latin name in
Cyrillic letters ("Alex" -> «Алекс»), because Russian TTS reads Latin letters one by one
or with English rules mid-sentence.

`key` folds a spelling to a rough sound skeleton; `similar` allows one more slip on top.
Used by the code lookup (the name in a code is a tolerant check, the digits identify it)
and by the speech (the name said in the listener's script)."""

from __future__ import annotations

import re

from anyascii import anyascii

_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# Latin spelling -> the sound skeleton; applied in order, on capitals.
_FOLDS = (
    ("SHCH", "SH"), ("SCH", "SH"), ("TCH", "CH"), ("DZH", "J"), ("ZH", "J"), ("KH", "H"),
    ("CK", "K"), ("PH", "F"), ("TH", "T"), ("QU", "KV"), ("Q", "K"), ("X", "KS"),
    ("W", "V"), ("TS", "C"), ("TZ", "C"), ("CE", "SE"), ("CI", "SI"), ("CY", "SI"),
    ("CH", "4"), ("C", "K"), ("4", "CH"), ("EE", "I"), ("OO", "U"), ("OU", "U"),
    ("YU", "U"), ("JU", "U"), ("IU", "U"),
    ("Y", "I"), ("J", "I"), ("EI", "E"), ("II", "I"),
)
_LATIN_TO_CYRILLIC = (
    ("shch", "щ"), ("sch", "ш"), ("sh", "ш"), ("ch", "ч"), ("zh", "ж"), ("kh", "х"),
    ("ts", "ц"), ("tz", "ц"), ("ph", "ф"), ("th", "т"), ("ck", "к"), ("qu", "кв"),
    ("ya", "я"), ("ia", "ия"), ("yu", "ю"), ("iu", "ю"), ("yo", "ё"), ("ye", "е"),
    ("ee", "и"), ("oo", "у"), ("ou", "у"), ("ey", "ей"), ("ay", "ей"), ("oy", "ой"),
    ("x", "кс"), ("j", "дж"), ("w", "в"), ("q", "к"),
    ("a", "а"), ("b", "б"), ("c", "к"), ("d", "д"), ("e", "е"), ("f", "ф"), ("g", "г"),
    ("h", "х"), ("i", "и"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"),
    ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("v", "в"), ("y", "и"),
    ("z", "з"),
)
_VOWELS = set("aeiouy")
# English names whose spelling no rule reads right.
_CYRILLIC_NAMES = {
    "michael": "Майкл", "joseph": "Джозеф", "george": "Джордж", "steve": "Стив",
    "stephen": "Стивен", "steven": "Стивен", "matthew": "Мэттью", "andrew": "Эндрю",
    "charlotte": "Шарлотта", "sophie": "Софи", "chloe": "Хлоя", "lucy": "Люси", "amy": "Эми",
    "emily": "Эмили", "james": "Джеймс", "david": "Дэвид", "jake": "Джейк", "luke": "Люк",
    "grace": "Грейс", "claire": "Клэр", "sean": "Шон", "kate": "Кейт", "mike": "Майк",
    "jane": "Джейн", "dave": "Дэйв", "joe": "Джо", "zoe": "Зои", "megan": "Меган",
    "alice": "Элис", "caroline": "Кэролайн", "hannah": "Ханна",
}


def is_cyrillic(text: str) -> bool:
    return bool(_CYRILLIC.search(text or ""))


def latin(text: str) -> str:
    """Any script to ASCII capitals, letters only (Ксения -> KSENIIA, Zoë -> ZOE)."""
    return re.sub(r"[^A-Z]", "", anyascii(text or "").upper())


def key(text: str) -> str:
    """The sound skeleton: ALEX, ALEKS, АЛЕКС -> ALEKS; KSENIYA, XENIA, КСЕНИЯ -> KSENIA."""
    word = latin(text)
    for old, new in _FOLDS:
        word = word.replace(old, new)
    if len(word) > 1:  # a silent or breathed h: HANNAH / ХАННА, ZAKHAR / ZAHAR
        word = word[0] + re.sub(r"(?<![CS])H", "", word[1:])
    return re.sub(r"(.)\1+", r"\1", word)  # ANNA -> ANA


def _keys(text: str, *, as_named: bool) -> set[str]:
    """The skeletons a spelling may stand for; a name's also include how a Russian speaker
    writes it (Grace -> Грейс); ё and е written YO, YE or E (Fyodor, Lyev); х as CH."""
    plain = latin(text)
    out = {key(plain), key(plain.replace("YO", "E")), key(plain.replace("YE", "E")),
           key(plain.replace("CH", "KH"))}  # Х written CH (Michail, Zachar)
    if as_named:
        out.add(key(to_cyrillic(text.capitalize()) if text.isascii() else text))
    return {k for k in out if k}


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def similar(heard: str, name: str) -> bool:
    """Could `heard` be how someone wrote `name` after hearing it? Same skeleton, or one
    slip more for names of four letters and up (MIKHAIL / MICHAIL, ELENA / YELENA)."""
    heard_keys, name_keys = _keys(heard, as_named=False), _keys(name, as_named=True)
    if heard_keys & name_keys:
        return True
    return any(min(len(a), len(b)) >= 4 and _distance(a, b) <= 1
               for a in heard_keys for b in name_keys)


def to_cyrillic(name: str) -> str:
    """A Latin first name as a Russian speaker would write it: Alex -> Алекс, Kseniya ->
    Ксения, John -> Джон. Cyrillic stays as it is; anything else passes through."""
    if not name or is_cyrillic(name) or not name.isascii():
        return name
    if name.lower() in _CYRILLIC_NAMES:
        return _CYRILLIC_NAMES[name.lower()]
    word, out, i = name.lower(), "", 0
    magic = re.fullmatch(r"(.*[^aeiou])([aiou])([^aeiouy])e", word)
    if magic and len(word) > 3:  # Kate, Mike, Jane: the final e lengthens the vowel
        vowel = {"a": "ей", "i": "ай", "o": "о", "u": "у"}[magic.group(2)]
        last = "с" if magic.group(3) == "c" else to_cyrillic(magic.group(3)).lower()
        return (to_cyrillic(magic.group(1)) + vowel + last).capitalize()
    while i < len(word):
        ch = word[i]
        if not ch.isalpha():
            out, i = out + ch, i + 1
            continue
        if ch == "h" and i > 0 and word[i - 1] in _VOWELS and \
                (i == len(word) - 1 or word[i + 1] not in _VOWELS):
            i += 1  # John, Sarah: a silent h
            continue
        if word.startswith("chr", i):
            out, i = out + "кр", i + 3  # Chris, Christina
            continue
        if ch == "e" and i == 0:
            out, i = out + "э", i + 1  # Emma -> Эмма
            continue
        if ch == "y" and (i == 0 or word[i - 1] in _VOWELS) and i + 1 < len(word) and \
                word[i + 1] in _VOWELS and word[i:i + 2] not in ("ya", "yu", "yo", "ye"):
            out, i = out + "й", i + 1
            continue
        for latin_part, cyrillic in _LATIN_TO_CYRILLIC:
            if word.startswith(latin_part, i):
                out, i = out + cyrillic, i + len(latin_part)
                break
        else:
            out, i = out + ch, i + 1
    return out[:1].upper() + out[1:]
