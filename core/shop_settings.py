"""A shop's general settings (name, locales, currency, time zone, landing URL, link base,
invocation name per language): one call validates every field and saves, or raises
FieldErrors naming each field that needs attention."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from sqlalchemy.orm import Session

from core import currencies, invocation_names, shops
from core.errors import FieldErrors
from core.models import Shop
from core.services import Services
from core.wording import N_

LOCALES = ("en-US", "en-GB", "de-DE", "ru-RU")
BRAND_COLOUR = re.compile(r"^#[0-9a-f]{6}$")
INVOCATION = re.compile(r"^[^\W\d_]+(?:[ '.-][^\W\d_]+)*$")  # letters, words apart


@dataclass(frozen=True)
class GeneralSettings:
    name: str
    locales: list[str]
    currency: str
    timezone: str
    landing_url: str
    link_base_url: str
    invocation_names: dict[str, str]  # language -> name
    logo_url: str = ""  # https; shown on the friend's page
    brand_colour: str = ""  # #rrggbb; the friend page's buttons and code box

    @classmethod
    def of(cls, shop: Shop) -> GeneralSettings:
        locales = list(shop.setting("locales") or [shop.locale])
        names = dict(shop.setting("invocation_names") or {})
        if shop.invocation_name:
            names.setdefault(shop.locale.split("-")[0], shop.invocation_name)
        return cls(shop.name, locales, shop.currency, shop.timezone, shop.landing_url,
                   shop.link_base_url, names, str(shop.setting("logo_url") or ""),
                   str(shop.setting("brand_colour") or ""))


def languages(locales: list[str]) -> list[str]:
    return list(dict.fromkeys(locale.split("-")[0] for locale in locales))


def check_web_url(value: str, *, required: bool, local: bool) -> str | None:
    """None when acceptable, else the message. https outside local (the sandbox)."""
    if not value:
        return "Give a URL." if required else None
    if len(value) > 500:
        return "Use at most 500 characters."
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises for a bad port)
    except ValueError:
        return "That is not a valid URL."
    allowed = ("https", "http") if local else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        return "Use an https:// address." if not local else "Use an http(s):// address."
    if parts.username or parts.password or any(c.isspace() for c in value):
        return "That is not a valid URL."
    return None


def update(session: Session, shop_id: int, form: dict[str, Any], *, local: bool) -> Shop:
    """Validate every field of the form, then save them all (or none)."""
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise FieldErrors({"shop": "This shop no longer exists."})
    errors: dict[str, str] = {}
    name = str(form.get("name") or "").strip()
    if not name or len(name) > 200:
        errors["name"] = "Give the shop a name (up to 200 characters)."
    raw_locales = form.get("locales") or []
    locales = [str(x) for x in (raw_locales if isinstance(raw_locales, list) else [raw_locales])]
    if not locales or any(loc not in LOCALES for loc in locales):
        errors["locales"] = N_("Choose at least one of: %(locales)s.",
                                  locales=", ".join(LOCALES))
    locales = [loc for loc in LOCALES if loc in locales]
    currency = str(form.get("currency") or "").strip().upper()
    if not currencies.is_known(currency):
        errors["currency"] = "Choose a currency in use (ISO 4217), such as USD, EUR or RUB."
    timezone = str(form.get("timezone") or "").strip()
    if timezone not in available_timezones():
        errors["timezone"] = "Use a time zone name such as Europe/Berlin."
    landing = str(form.get("landing_url") or "").strip()
    link_base = str(form.get("link_base_url") or "").strip().rstrip("/")
    logo = str(form.get("logo_url") or "").strip()
    colour = str(form.get("brand_colour") or "").strip().lower()
    # An empty landing page means our friend page at the invite link (the default).
    for field, value, is_local in (("landing_url", landing, local),
                                   ("link_base_url", link_base, local),
                                   ("logo_url", logo, False)):  # an http image is blocked
        problem = check_web_url(value, required=False, local=is_local)
        if problem:
            errors[field] = problem
    if colour and not BRAND_COLOUR.match(colour):
        errors["brand_colour"] = "Use a colour like #1a7f5a (# and six hex digits)."
    names: dict[str, str] = {}
    for language in languages(locales or [shop.locale]):
        value = " ".join(str(form.get(f"invocation_{language}") or "").split()).lower()
        if not value:
            continue
        if language in ("en", "de"):  # Alexa's rules, the same the skill export applies
            refused = invocation_names.problems(value, language)
            if refused:
                better = invocation_names.alexa_name(value, language).name
                errors[f"invocation_{language}"] = " ".join(refused) + f" Try “{better}”."
        elif len(value) > 50 or len(value) < 2 or not INVOCATION.match(value):
            errors[f"invocation_{language}"] = ("Use 2-50 letters and spaces (the words "
                                                "people say to open the skill).")
        names[language] = value
    if errors:
        raise FieldErrors(errors)
    shop.name, shop.currency, shop.timezone = name, currency, timezone
    shop.locale = locales[0] if shop.locale not in locales else shop.locale
    shop.landing_url, shop.link_base_url = landing, link_base
    shop.invocation_name = names.get(shop.locale.split("-")[0], shop.invocation_name)
    shop.settings = {**(shop.settings or {}), "locales": locales, "invocation_names": names,
                     "logo_url": logo, "brand_colour": colour}
    return shop


def general(services: Services, shop_id: int) -> GeneralSettings:
    """The general settings form's values for the shop."""
    with services.db.session() as session:
        return GeneralSettings.of(shops.get(session, shop_id))


def change_general(services: Services, shop_id: int, form: dict[str, Any], *,
                   local: bool) -> GeneralSettings:
    """update in a unit of work of its own; the values saved (FieldErrors otherwise). This
    process forgets its snapshot of the shop so the next turn speaks the change."""
    with services.db.session() as session:
        shop = update(session, shop_id, form, local=local)
        saved, slug = GeneralSettings.of(shop), shop.slug
    services.shops.forget(slug)
    return saved
