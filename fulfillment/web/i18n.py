"""The merchant pages in the staff member's language (en, de, ru), with the gettext/Babel
set-up the voice side uses (voice.i18n): catalogs are .po files compiled in memory on first
use, here in fulfillment/locale/<lang>/LC_MESSAGES/merchant.po (`make i18n` extracts the
templates and this package's marked strings). The language is the staff member's choice
(their account), else the browser's Accept-Language, else English.

Templates write `{{ _("Shares") }}` / `{% trans %}…{% endtrans %}`; Python marks text it
hands to templates with `N_` and the template translates it with `_()`."""

from __future__ import annotations

import gettext as gettext_module
import io
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, has_request_context, request

from core.staff_language import LANGUAGES
from core.wording import Reason

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "merchant"


def N_(message: str) -> str:
    """Marks text for extraction; it is translated where it is shown."""
    return message


@lru_cache(maxsize=8)
def catalog(language: str) -> gettext_module.NullTranslations:
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == "en" or not po.exists():
        return gettext_module.NullTranslations()
    with po.open("rb") as fh:
        found = read_po(fh, locale=language)
    buf = io.BytesIO()
    write_mo(buf, found, use_fuzzy=False)
    buf.seek(0)
    return gettext_module.GNUTranslations(buf)


def language() -> str:
    """This request's language: the signed-in staff member's choice, else the browser's."""
    if not has_request_context():
        return "en"
    if "merchant_language" in g:
        return str(g.merchant_language)
    from fulfillment.web.auth import current_staff

    chosen: str | None = None
    try:
        staff = current_staff()
        chosen = staff.language if staff is not None else None
    except Exception:  # an error page renders even without a database
        chosen = None
    if chosen not in LANGUAGES:
        chosen = request.accept_languages.best_match(LANGUAGES) or "en"
    g.merchant_language = chosen
    return chosen


def _gettext(message: str) -> str:
    return catalog(language()).gettext(message)


gettext = _gettext  # for Python that draws text into a page (chart titles)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return catalog(language()).ngettext(singular, plural, n)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The plural form for `n`, with `%(num)d` filled in (Python's side of `ngettext`)."""
    return _ngettext(singular, plural, n) % {"num": n}


def translated(text: object) -> str:
    """Text made elsewhere (a title a view passes, a message core raised) in this language
    when the catalog has it, else as it is: the `|tr` filter. Unlike `_()` it never treats
    the text as a format string or as safe HTML, so it is right for values."""
    if isinstance(text, Reason):
        return say(text)
    text = "" if text is None else str(text)
    return _gettext(text) if text else text


def say(reason: str) -> str:
    """A core reason (core.wording.Reason) in this language: its template from the catalog,
    its values too where they are reasons or catalog words, else as core said it."""
    if not isinstance(reason, Reason):
        return translated(reason)
    if not reason.params:
        return _gettext(reason.template)
    return _gettext(reason.template) % {k: translated(v) for k, v in reason.params.items()}


def install(app: Flask) -> None:
    """Give every template `_`, `gettext`, `ngettext`, `{% trans %}` and `lang`."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, newstyle=True)
    app.jinja_env.filters["tr"] = translated
    app.jinja_env.globals["say"] = say

    @app.context_processor
    def _language() -> dict[str, Any]:
        return {"lang": language(), "page_languages": LANGUAGE_NAMES}


LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "ru": "Русский"}
BABEL_LOCALES = {"en": "en_US", "de": "de_DE", "ru": "ru_RU"}


def babel_locale() -> str:
    """The request's language as Babel formats numbers and money in it."""
    return BABEL_LOCALES.get(language(), "en_US")


# Values the pages show as words (statuses, channels, rules, roles...): translated where
# shown with `_(value)`; listed here so `make i18n` extracts them.
VALUE_WORDS = (
    N_("owner"), N_("manager"), N_("support"), N_("day"), N_("week"),
    N_("pending"), N_("flagged"), N_("converted"), N_("rejected"), N_("blocked"),
    N_("held"), N_("approved"), N_("reversed"), N_("net"), N_("delivered"),
    N_("voice"), N_("sms"), N_("email"), N_("whatsapp"), N_("telegram"), N_("qr"), N_("web"),
    N_("screen"), N_("card"), N_("none"), N_("alexa"), N_("google"), N_("alice"),
    N_("shares"), N_("clicks"), N_("signups"), N_("conversions"),
    N_("self_referral"), N_("existing_customer"), N_("already_referred"),
    N_("disposable_email"), N_("velocity_code"), N_("velocity_ip"),
    N_("referrer"), N_("friend"), N_("level2"), N_("self"),
    N_("points"), N_("percent_discount"), N_("fixed_discount"), N_("gift_card"), N_("cash"),
    N_("api_key"), N_("webhook_secret"), N_("live"), N_("expiring"), N_("expired"),
    N_("revoked"), N_("invited"), N_("unconfirmed"), N_("confirmed"), N_("failed"),
    N_("sent"), N_("dead"),
)
