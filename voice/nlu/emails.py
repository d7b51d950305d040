"""Email addresses as speech recognizers write them, found anywhere in a sentence:
"pat at example dot org", "sam dash smith at gmail dot com", «маша точка иванова собака
яндекс точка ру», «петров собака мейл ру», "anna punkt schmidt at gmx punkt de", or typed
"jamie.lee@example.org".

Common mail domains said in Cyrillic become their Latin names (яндекс -> yandex, гмейл ->
gmail, мейл ру -> mail.ru); those services take Latin mailboxes only, so the mailbox said in
Cyrillic is transliterated too. An unknown Cyrillic domain stays Cyrillic (an IDN). The
read-back spells the address, so a wrong guess is heard before anything is sent."""

from __future__ import annotations

import re

from anyascii import anyascii

from voice.nlu.numbers import is_number_word, spoken_number

AT = {"at", "ät", "собака", "собачка", "эт", "klammeraffe", "@"}
CONNECTORS = {
    "dot": ".", "point": ".", "точка": ".", "punkt": ".",
    "underscore": "_", "подчеркивание": "_", "unterstrich": "_", "нижнее_подчеркивание": "_",
    "dash": "-", "hyphen": "-", "minus": "-", "дефис": "-", "тире": "-", "минус": "-",
    "bindestrich": "-", "strich": "-",
}
_MULTIWORD = ((re.compile(r"\bнижнее подчеркивание\b"), "нижнее_подчеркивание"),
              (re.compile(r"\bg mail\b"), "gmail"), (re.compile(r"\bt online\b"), "t-online"))
CYRILLIC_DOMAINS = {
    "яндекс": "yandex", "яндэкс": "yandex", "гмейл": "gmail", "гмэйл": "gmail",
    "джимейл": "gmail", "джимэйл": "gmail", "гмаил": "gmail", "мейл": "mail", "мэйл": "mail",
    "маил": "mail", "рамблер": "rambler", "бк": "bk", "инбокс": "inbox", "лист": "list",
    "аутлук": "outlook", "хотмейл": "hotmail", "айклауд": "icloud", "яху": "yahoo",
    "ру": "ru", "ком": "com", "нет": "net", "орг": "org",
}
TLDS = {"com", "org", "net", "ru", "de", "io", "uk", "co", "at", "ch", "eu", "info", "me",
        "ру", "ком", "нет", "орг", "by", "kz", "ua", "us", "ca", "fr", "it", "es"}
# A domain said without its ending: "pat at gmail" is gmail.com.
BARE_DOMAINS = {"gmail": "gmail.com", "yandex": "yandex.ru", "hotmail": "hotmail.com",
                "outlook": "outlook.com", "icloud": "icloud.com", "gmx": "gmx.de",
                "rambler": "rambler.ru"}
_RU_LATIN = {"х": "h", "щ": "sch", "ц": "ts", "й": "y", "ы": "y", "ъ": "", "ь": "",
             "э": "e", "ю": "yu", "я": "ya", "ж": "zh", "ч": "ch", "ш": "sh", "е": "e"}
EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def _cyrillic(text: str) -> bool:
    return bool(re.search(r"[а-я]", text))


def transliterate_mailbox(text: str) -> str:
    """маша.иванова -> masha.ivanova (how people spell Russian names in mailboxes)."""
    return "".join(_RU_LATIN.get(ch) or anyascii(ch).lower() if _cyrillic(ch) else ch
                   for ch in text)


def _join(tokens: list[str]) -> str:
    return "".join(CONNECTORS.get(t, t) for t in tokens)


def tokenize(text: str) -> list[str]:
    """Whitespace tokens, with the few two-word spoken symbols joined into one."""
    for pattern, word in _MULTIWORD:
        text = pattern.sub(word, text)
    return text.split()


def find_email(tokens: list[str]) -> tuple[str, tuple[int, int]] | None:
    """(address, [start, end) span) of the first email in `tokenize`d normalized text."""
    for i, token in enumerate(tokens):
        if "@" in token and token != "@":
            address = token.strip(".")
            if EMAIL_SHAPE.fullmatch(address):
                return _finish(address), (i, i + 1)
        if token not in AT or i == 0 or i == len(tokens) - 1:
            continue
        found = _spoken_around(tokens, i)
        if found:
            return found
    return None


# Words before a mailbox that are never part of it ("send it to anna 23 at ...").
NOT_MAILBOX = {
    "to", "is", "it's", "its", "at", "email", "e-mail", "mail", "address", "send", "invite",
    "the", "my", "his", "her", "their", "me", "it", "a", "an", "and", "friend", "use", "try",
    "ist", "die", "adresse", "mail-adresse", "email-adresse", "schick", "lade",
    "meine", "seine", "ihre", "der", "den", "zu", "und", "mit",
    "на", "это", "адрес", "почта", "почту", "почты", "мой", "моя", "его", "ее", "её", "и",
    "в", "отправь", "пригласи", "скинь", "друга", "другу",
}


def _mailbox_start(tokens: list[str], start: int) -> int:
    """Where a mailbox said as two words begins: a name and a number ("anna twenty three",
    "peter 99", «анна двадцать три»), a Latin initial and a name ("k lee"), or a name
    spelled letter by letter ("a l e x", "m a r i e", «и в а н», "j o dot b r o w n")."""
    spelled = _spelled_start(tokens, start)
    if spelled is not None:
        return spelled
    if is_number_word(tokens[start]) and not tokens[start].startswith("+"):
        first = start
        while first >= 1 and is_number_word(tokens[first - 1]) and \
                tokens[first - 1] not in AT and tokens[first - 1] not in CONNECTORS:
            first -= 1
        name = first - 1
        if name >= 0 and tokens[name].isalpha() and tokens[name] not in NOT_MAILBOX and \
                not is_number_word(tokens[name]) and tokens[name] not in CONNECTORS:
            if name >= 2 and tokens[name - 1] in CONNECTORS and tokens[name - 2].isalpha() \
                    and tokens[name - 2] not in NOT_MAILBOX and tokens[name - 2] not in AT:
                return name - 2  # "ivan dot petrov 85 at …"
            return name
        return first
    initial = start - 1
    if initial >= 0 and re.fullmatch(r"[b-hj-z]", tokens[initial]) and tokens[start].isalpha():
        return initial
    if start >= 2 and tokens[start - 2] in _ADDRESS_CUES and tokens[start - 1].isalpha() and \
            tokens[start - 1] not in NOT_MAILBOX and tokens[start - 1] not in CONNECTORS:
        return start - 1  # "my email is bob smith at …": both words after the cue
    return start


# The words right before an address said whole ("my email is …", "sie lautet …", «это …»).
_ADDRESS_CUES = {"is", "it's", "its", "ist", "lautet", "это", "—"}


def _letter(token: str) -> bool:
    return len(token) == 1 and token.isalnum()


def _spelled_start(tokens: list[str], start: int) -> int | None:
    """The first letter of a mailbox spelled letter by letter and ending at `start` (two
    letters or more, pieces joined by "dot"/"dash"), else None."""
    if not _letter(tokens[start]):
        return None
    first = start
    while True:
        while first >= 1 and _letter(tokens[first - 1]) and tokens[first - 1] not in AT:
            first -= 1
        if first >= 2 and tokens[first - 1] in CONNECTORS and (
                _letter(tokens[first - 2]) or (tokens[first - 2].isalpha()
                and tokens[first - 2] not in NOT_MAILBOX and tokens[first - 2] not in AT)):
            first -= 2
            if not _letter(tokens[first]):
                break  # "john dot s m i t h": a word, then the spelled part
            continue
        break
    return first if start - first >= 1 else None


def _mailbox(tokens: list[str]) -> str:
    """The mailbox's words joined: number words as digits, connectors as symbols."""
    out: list[str] = []
    run: list[str] = []
    for token in tokens:
        if is_number_word(token) and token not in CONNECTORS:
            run.append(token)
            continue
        if run:
            out.append(spoken_number(" ".join(run)) or "".join(run))
            run = []
        out.append(CONNECTORS.get(token, token))
    if run:
        out.append(spoken_number(" ".join(run)) or "".join(run))
    return "".join(out)


def _spoken_around(tokens: list[str], at: int) -> tuple[str, tuple[int, int]] | None:
    start = at - 1
    if tokens[start] in CONNECTORS or tokens[start] in AT:
        return None
    while start >= 2 and tokens[start - 1] in CONNECTORS and tokens[start - 2] not in \
            CONNECTORS and tokens[start - 2] not in AT:
        start -= 2
    start = _mailbox_start(tokens, start)
    end = at + 2  # the first domain word
    if tokens[at + 1] in CONNECTORS:
        return None
    while end + 1 <= len(tokens) - 1 and tokens[end] in CONNECTORS and \
            tokens[end + 1] not in CONNECTORS:
        end += 2
    domain = tokens[at + 1:end]
    if len(domain) == 1 and end < len(tokens) and tokens[end] in TLDS and \
            tokens[end] not in ("at",):  # «мейл ру», «яндекс ру»
        domain, end = [domain[0], "dot", tokens[end]], end + 1
    domain_text = _join(domain)
    if "." not in domain_text:
        latin = CYRILLIC_DOMAINS.get(domain_text, domain_text)
        if latin not in BARE_DOMAINS:
            return None
        domain_text = BARE_DOMAINS[latin]
    address = f"{_mailbox(tokens[start:at])}@{domain_text}"
    if not EMAIL_SHAPE.fullmatch(address) or not _plausible_ending(domain_text):
        return None  # "sarah at sarah dot jones at gmail …": the address is at the next "at"
    return _finish(address), (start, end)


# Endings an address has beyond the two-letter country codes.
_ENDINGS = {"com", "org", "net", "edu", "gov", "io", "info", "biz", "app", "dev", "ai", "xyz",
            "online", "site", "shop", "store", "tech", "email", "mail", "club", "pro", "name",
            "mobi", "cloud", "live", "life", "world", "team", "media", "family", "ru", "рф",
            "ру", "ком", "нет", "орг", "berlin", "bayern", "wien", "moscow", "москва"}


def _plausible_ending(domain: str) -> bool:
    """Does the domain end the way addresses end (a country's two letters or a known one)?"""
    ending = domain.rsplit(".", 1)[-1]
    return len(ending) == 2 or ending in _ENDINGS


def _finish(address: str) -> str:
    """Cyrillic names of known mail services to Latin, and then the mailbox too."""
    local, _, domain = address.partition("@")
    parts = domain.split(".")
    if any(_cyrillic(p) for p in parts):
        if parts[0] not in CYRILLIC_DOMAINS:
            return address  # an IDN domain, kept as said
        parts = [CYRILLIC_DOMAINS.get(p, p) for p in parts]
    domain = ".".join(parts)
    if _cyrillic(local) and not _cyrillic(domain):
        local = transliterate_mailbox(local)
    return f"{local}@{domain}"


def parse_email(raw: str) -> str | None:
    """The whole of `raw` as one email address, else None."""
    tokens = tokenize(" ".join(raw.lower().split()))
    found = find_email(tokens)
    return found[0] if found and found[1] == (0, len(tokens)) else None
