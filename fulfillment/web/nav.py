"""The one navigation every merchant page draws (fulfillment/templates/nav.html), by role.

Each entry names the least role its page needs; a signed-in staff member sees only the
entries their role may open, so support never sees a link that answers 403. A page another
helper adds joins by one `NavItem` line here; an entry whose route is not registered (a
surface not landed yet) is left out rather than linking to a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from core.accounts import Role
from core.assistants import ASSISTANTS, VARIANTS
from core.shops import ShopRef
from core.staff_accounts import StaffMember
from fulfillment.web.i18n import N_

PLATFORM_NAMES = {v.key: v.label for a in ASSISTANTS for v in a.variants}


@dataclass(frozen=True)
class NavItem:
    """One link: `path` is formatted with the shop's slug; `prefix` marks the entry
    current when the request's path starts with its `prefix`."""

    key: str
    label: str
    path: str
    role: Role
    prefix: str = ""


NAV: tuple[NavItem, ...] = (
    NavItem("home", N_("Home"), "/", Role.SUPPORT),
    NavItem("program", N_("Program"), "/program/{slug}", Role.MANAGER, "/program/"),
    NavItem("assistants", N_("Assistants"), "/connect/{slug}/" + VARIANTS[0], Role.MANAGER,
            "/connect/{slug}/"),
    NavItem("store", N_("Store"), "/connect/{slug}/shopify", Role.MANAGER),
    NavItem("kpis", N_("KPIs"), "/dashboard/{slug}", Role.SUPPORT, "/dashboard"),
    NavItem("review", N_("Review"), "/review/{slug}", Role.SUPPORT, "/review/"),
    NavItem("referrals", N_("Referrals"), "/referrals/{slug}", Role.SUPPORT, "/referrals/"),
    NavItem("customers", N_("Customers"), "/customers/{slug}", Role.SUPPORT, "/customers/"),
    NavItem("console", N_("Console"), "/console", Role.SUPPORT, "/console"),
    NavItem("settings", N_("Settings"), "/settings/{slug}", Role.MANAGER, "/settings/{slug}"),
    NavItem("team", N_("Team"), "/settings/{slug}/team", Role.OWNER),
)
# Pages under /connect/<shop>/ that are the store's, not an assistant's (fulfillment.web.stores).
STORE_PLATFORMS = ("shopify", "woocommerce")


@dataclass(frozen=True)
class Link:
    key: str
    label: str
    href: str
    current: bool


def _routed(app: Flask, path: str) -> bool:
    """True when `path` reaches a view that owns it (not the assistant connect page's
    catch-all `<platform>`, which would answer 404 for a store)."""
    try:
        endpoint, args = app.url_map.bind("localhost").match(path, method="GET")
    except RequestRedirect:
        return True
    except HTTPException:
        return False
    return not (endpoint == "connect.page" and args.get("platform") in STORE_PLATFORMS)


def links_for(staff: StaffMember, shop: ShopRef | None, path: str) -> list[Link]:
    """The entries `staff` may open for `shop`, in order, the current one marked."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    found: list[Link] = []
    for item in NAV:
        if not staff.can(item.role) or (shop is None and "{slug}" in item.path):
            continue
        href = item.path.format(slug=shop.slug if shop else "")
        if not _routed(app, href):
            continue
        on_store_page = path.rstrip("/").endswith(STORE_PLATFORMS)
        if item.key == "store":
            current = on_store_page
        elif item.prefix:
            current = path.startswith(item.prefix.format(slug=shop.slug if shop else ""))
            current = current and not (item.key == "assistants" and on_store_page)
        else:
            current = path == href
        found.append(Link(item.key, item.label, href, current))
    return found


def _shop_in_view(shops: list[ShopRef]) -> ShopRef | None:
    """The shop the page is about (its `slug` view argument), else the first one visible."""
    slug = (request.view_args or {}).get("slug")
    for shop in shops:
        if shop.slug == slug:
            return shop
    return shops[0] if shops else None


def install(app: Flask) -> None:
    """Give every template `nav` (None when signed out) and `nav_shop`."""

    @app.context_processor
    def _nav() -> dict[str, Any]:
        from fulfillment.web.auth import current_staff, visible_shops

        try:
            staff = current_staff()
        except Exception:  # an error page must render even without a database
            staff = None
        if staff is None:
            return {"nav": None, "nav_shop": None, "nav_staff": None}
        shop = _shop_in_view(visible_shops())
        return {"nav": links_for(staff, shop, request.path), "nav_shop": shop,
                "nav_staff": staff}
