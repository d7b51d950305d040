"""What the friend's page shows for an invite code: who invited them (first name only), the
shop, the friend's side of the active program, the shop's look (logo, brand colour) and
where the shop button goes (a Shopify store's /discount/<code> applies the code at checkout).

One read, no writes: the click is recorded by the link route, as for a redirect. A code that
is unknown, inactive (its customer erased) or of a deleted shop is None: the page says so
kindly."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import select

from core.models import Customer, Program, ReferralCode, Shop, StoreConnection
from core.services import Services

BRAND_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_BRAND = "#2457d6"


@dataclass(frozen=True)
class FriendOffer:
    code: str
    shop_slug: str
    shop_name: str
    referrer_first_name: str  # "" when the customer gave no name
    locales: tuple[str, ...]  # the shop's languages, its main one first
    friend_reward_kind: str
    friend_reward_amount: int
    min_order_amount: int
    currency: str
    terms: dict[str, str]  # the shop's own words per locale
    shop_url: str  # where the button goes, carrying the code; "" when the shop has none
    applies_code: bool  # the button applies the discount (Shopify's discount link)
    logo_url: str
    brand_colour: str


def first_name(name: str) -> str:
    """The first word of a customer's name: the friend needs no more."""
    words = name.split()
    return words[0][:40] if words else ""


def ours(landing_url: str, base_url: str) -> bool:
    """True when invite links end on our friend page: no landing URL of the shop's own (an
    empty one, or the server root older sign-ups stored)."""
    landing = (landing_url or "").strip().rstrip("/")
    return landing == "" or landing == base_url.rstrip("/")


def shop_button(store: StoreConnection | None, landing_url: str, base_url: str,
                code: str) -> tuple[str, bool]:
    """(url, applies the code): Shopify's discount link sets the code in the cart; another
    store, or the shop's own landing page, gets the code as `ref`."""
    if store is not None and store.platform == "shopify" and store.store_url:
        domain = store.store_url.removeprefix("https://").removeprefix("http://").strip("/")
        return f"https://{domain}/discount/{quote(code, safe='')}?redirect=%2F", True
    target = store.store_url if store is not None and store.store_url else (
        "" if ours(landing_url, base_url) else landing_url)
    if not target:
        return "", False
    joiner = "&" if "?" in target else "?"
    return f"{target}{joiner}ref={quote(code, safe='')}", False


def brand_colour(value: object) -> str:
    return value if isinstance(value, str) and BRAND_COLOUR.match(value) else DEFAULT_BRAND


def friend_offer(services: Services, code: str) -> FriendOffer | None:
    """The offer behind an active code (exact, as /r/ resolved it), or None."""
    with services.db.session() as uow:
        row = uow.execute(
            select(ReferralCode, Shop, Customer)
            .join(Shop, Shop.id == ReferralCode.shop_id)
            .join(Customer, Customer.id == ReferralCode.customer_id)
            .where(ReferralCode.code == code, ReferralCode.active.is_(True))).first()
        if row is None:
            return None
        found, shop, customer = row
        program = uow.scalar(select(Program).where(Program.shop_id == shop.id,
                                                   Program.active.is_(True)))
        if program is None:
            return None
        store = uow.scalar(select(StoreConnection).where(StoreConnection.shop_id == shop.id))
        url, applies = shop_button(store, shop.landing_url, services.base_url, found.code)
        settings = shop.settings or {}
        locales = [shop.locale] + [x for x in settings.get("locales") or [] if x != shop.locale]
        terms = program.terms if isinstance(program.terms, dict) else {}
        logo = settings.get("logo_url")
        return FriendOffer(
            code=found.code, shop_slug=shop.slug, shop_name=shop.name,
            referrer_first_name=first_name(customer.name or ""), locales=tuple(locales),
            friend_reward_kind=program.friend_reward_kind,
            friend_reward_amount=program.friend_reward_amount,
            min_order_amount=program.min_order_amount, currency=program.currency,
            terms={str(k): str(v) for k, v in terms.items() if isinstance(v, str)},
            shop_url=url, applies_code=applies,
            logo_url=logo if isinstance(logo, str) and logo.startswith("https://") else "",
            brand_colour=brand_colour(settings.get("brand_colour")))


def brand_colour_of(services: Services, slug: str) -> str:
    """The shop's brand colour, or the default for an unknown shop (a stylesheet never
    404s: the page must still render)."""
    with services.db.session() as uow:
        settings = uow.scalar(select(Shop.settings).where(Shop.slug == slug))
    return brand_colour((settings or {}).get("brand_colour"))
