"""Referral codes made to survive being said aloud and typed.

Measured (docs/architecture.md): spelled letters fail speech recognition, digits and whole
words survive. So a code is the customer's first name as one word plus digits, e.g. ANNA-427183,
said "Anna, four two seven, one eight three"; digits only when there is no usable name.

The last two digits are an ISO 7064 MOD 97-10 check over the digits before them. Two
digits, not one: MOD 97-10 catches every single substitution and every adjacent
transposition. The check covers the digits only, not the name, because the digits identify
the code (they are unique across all shops) and the name is what a friend spells however
they heard it: ALEX-455839 is also ALEKS455839, АЛЕКС 455 839 or just 455839 (see `heard`
and core.referrals.find_code; core.names compares the spellings). Codes made before that
change carry the check over the whole code (`is_valid_checksum`); `validate` refuses them,
the lookup (which reads the database) still finds them.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from anyascii import anyascii

from core.errors import DomainError

NAME_MIN, NAME_MAX = 2, 10
RANDOM_DIGITS = 4
DIGITS_ONLY_RANDOM = 6
_SHAPE = re.compile(r"^([A-Z]{2,12})?([0-9]{6,14})$")
_SEPARATORS = re.compile(r"[\s\-_.·/]+")


class InvalidCode(DomainError):
    code = "invalid_code"
    status = 404


class CodeShapeError(InvalidCode):
    code = "code_malformed"


class CodeChecksumError(InvalidCode):
    code = "code_check_failed"


def _numeric(text: str) -> int:
    return int("".join(str(int(ch, 36)) for ch in text))


def check_digits(body: str) -> str:
    """ISO 7064 MOD 97-10: the two digits that make `body + digits` ≡ 1 (mod 97)."""
    return f"{98 - (_numeric(body) * 100) % 97:02d}"


def is_valid_checksum(compact: str) -> bool:
    return _numeric(compact) % 97 == 1


def normalize(text: str) -> str:
    """Lookup is insensitive to case, spaces, dashes and dots."""
    return _SEPARATORS.sub("", text or "").upper()


def digits_check_ok(digits: str) -> bool:
    """The check of codes made now: the last two digits check the ones before."""
    return len(digits) >= 3 and is_valid_checksum(digits)


def checks_out(compact: str) -> bool:
    """Either check: over the digits (codes made now) or over the whole code (older ones,
    which the lookup still finds; `validate` knows only the current check, so a typo is
    always caught there)."""
    match = _SHAPE.match(compact)
    return match is not None and (digits_check_ok(match.group(2)) or is_valid_checksum(compact))


def validate(text: str) -> str:
    """Return the compact code or raise: shape first, then the check digits, before any
    database lookup."""
    compact = normalize(text)
    if not _SHAPE.match(compact):
        raise CodeShapeError("This is not a referral code.")
    if not digits_check_ok(_SHAPE.match(compact).group(2)):  # type: ignore[union-attr]
        raise CodeChecksumError("This code has a typo: please check it and try again.")
    return compact


_HEARD = re.compile(r"^([A-Z]{0,24}?)([0-9]{6,14})$")


@dataclass(frozen=True)
class Heard:
    """A code as typed by someone who heard it: the name in any script or spelling (ASCII
    capitals here, possibly empty) and the digits."""

    word: str
    digits: str

    @property
    def compact(self) -> str:
        return self.word + self.digits


def heard(text: str) -> Heard:
    """'Aleks 455 839', 'АЛЕКС-455839', '455839' -> Heard; anything else is a shape error."""
    raw = re.sub(r"[\s\-_.·/,:;#]+", "", (text or "").strip())  # "Alex, 455 839"
    if len(raw) > 40:
        raise CodeShapeError("This is not a referral code.")
    letters = re.match(r"^(\D*)(\d*)$", raw)
    if letters is None:
        raise CodeShapeError("This is not a referral code.")
    if letters.group(1) and not letters.group(1).isalpha():  # symbols where the name goes
        raise CodeShapeError("This is not a referral code.")
    word = re.sub(r"[^A-Z]", "", anyascii(letters.group(1)).upper())  # Ь, Ъ say nothing
    match = _HEARD.match(word + letters.group(2))
    if not match:
        raise CodeShapeError("This is not a referral code.")
    return Heard(match.group(1), match.group(2))


def name_word(name: str | None) -> str:
    """The first name as ASCII capitals (Алиса -> ALISA), or '' when unusable."""
    first = (name or "").strip().split()
    if not first:
        return ""
    letters = re.sub(r"[^A-Z]", "", anyascii(first[0]).upper())
    return letters[:NAME_MAX] if len(letters) >= NAME_MIN else ""


def generate(
    name: str | None, *, extra_digits: int = 0, rng: secrets.SystemRandom | None = None
) -> str:
    """A fresh compact code; callers retry with `extra_digits` growing on a collision."""
    rng = rng or secrets.SystemRandom()
    word = name_word(name)
    count = (RANDOM_DIGITS if word else DIGITS_ONLY_RANDOM) + extra_digits
    digits = "".join(str(rng.randrange(10)) for _ in range(count))
    if digits[0] == "0":  # "0" at the front is lost when a number is typed or said
        digits = str(rng.randrange(1, 10)) + digits[1:]
    return word + digits + check_digits(digits)


@dataclass(frozen=True)
class CodeParts:
    word: str
    digits: str

    @property
    def digit_groups(self) -> list[str]:
        """Digits in groups of three (of four when that splits evenly) for reading aloud."""
        d = self.digits
        size = 4 if len(d) % 4 == 0 and len(d) % 3 else 3
        return [d[i : i + size] for i in range(0, len(d), size)]


def split(compact: str) -> CodeParts:
    match = _SHAPE.match(compact)
    if not match:
        raise CodeShapeError("This is not a referral code.")
    return CodeParts(word=match.group(1) or "", digits=match.group(2))


def display(compact: str, word: str | None = None) -> str:
    """ANNA427183 -> ANNA-427183; 42718318 -> 4271-8318; `word` shows the name in another
    script (АННА-427183 for a Russian-speaking shop)."""
    parts = split(compact)
    if parts.word:
        return f"{(word or parts.word).upper()}-{parts.digits}"
    return "-".join(parts.digit_groups)
