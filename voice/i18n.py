"""Text for people, from gettext catalogs (voice/locale/<lang>/LC_MESSAGES/messages.po).

The .po files are compiled in memory on first use (Babel reads them, writes the .mo to a
buffer), so there is no build step and no binary file in the repository. Plurals follow each
catalog's Plural-Forms (ru has three); money and numbers are formatted by Babel."""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "de", "ru")
DOMAIN = "messages"


@lru_cache(maxsize=16)
def _catalog(language: str) -> gettext.NullTranslations:
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def language_of(locale: str) -> str:
    language = (locale or "en").replace("_", "-").split("-")[0].lower()
    return language if language in LANGUAGES else "en"


class Translator:
    """One locale's gettext, ngettext and formatting, passed to the dialog handlers."""

    def __init__(self, locale: str) -> None:
        self.locale = locale or "en-US"
        self.language = language_of(self.locale)
        try:
            self.babel_locale = Locale.parse(self.locale.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            self.babel_locale = Locale.parse(self.language)
        self._t = _catalog(self.language)

    def _(self, message: str, **values: object) -> str:
        text = self._t.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text % {"num": self.number(n), **values}

    def number(self, n: int | float) -> str:
        return format_decimal(n, locale=self.babel_locale)

    def money(self, minor: int, currency: str) -> str:
        """Integer minor units -> '$10.00' / '10,00 $' / '10,00 $' per locale; whole amounts
        drop the zero cents when read aloud ('$10')."""
        from babel.numbers import get_currency_precision

        amount = minor / (10 ** get_currency_precision(currency))
        fmt = None
        if amount == int(amount):
            pattern = self.babel_locale.currency_formats["standard"].pattern
            fmt = pattern.replace(".00", "").replace(",00", "")
        return format_currency(amount, currency, format=fmt, locale=self.babel_locale,
                               currency_digits=fmt is None)


@lru_cache(maxsize=32)
def translator(locale: str) -> Translator:
    return Translator(locale)


WARM_LOCALES = ("en-US", "de-DE", "ru-RU")


def warm() -> None:
    """Compile every catalog and load its locale's formatting data now. A server that builds
    the app once and forks its workers (fulfillment.serving.preload) calls this before the
    fork, so the workers share one copy instead of each building its own on its first turn
    (about 4 MB per worker, measured in docs/benchmarks.md)."""
    for locale in WARM_LOCALES:
        t = translator(locale)
        t.ngettext("%(num)s", "%(num)s", 2)
        t.money(1000, "USD")
