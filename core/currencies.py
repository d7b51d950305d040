"""The currencies a program may be in: ISO 4217 codes that are legal tender somewhere, as
the CLDR data Babel ships says (so `DOL`, a made-up code, and `DEM`, a retired one, are
refused: Alexa would say "DOL25"). Read once; the reference date is fixed so the list does
not change with the calendar of the machine that runs it."""

from __future__ import annotations

from datetime import date
from functools import cache

from babel.core import get_global
from babel.numbers import get_currency_name, get_territory_currencies

REFERENCE_DATE = date(2026, 1, 1)


@cache
def codes() -> tuple[str, ...]:
    territories = get_global("territory_currencies")
    found: set[str] = set()
    for territory in territories:
        found.update(get_territory_currencies(territory, REFERENCE_DATE, tender=True))
    return tuple(sorted(found))


def is_known(code: object) -> bool:
    return isinstance(code, str) and code in codes()


def choices(first: str, locale: str = "en") -> list[tuple[str, str]]:
    """(code, "USD — US Dollar") for a select, `first` (the shop's default) at the top."""
    language = locale.replace("-", "_")
    ordered = [first, *(c for c in codes() if c != first)] if is_known(first) else codes()
    return [(c, f"{c} — {get_currency_name(c, locale=language)}") for c in ordered]
