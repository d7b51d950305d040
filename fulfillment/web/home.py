"""`/`: for a visitor, what the product does and the way in (sign up, sign in); for a
signed-in staff member, their shop's home with the go-live checklist (core.golive), each
step linking to the page that completes it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue

from core import golive, shops
from core.accounts import Role
from core.assistants import VARIANTS
from core.golive import Step
from core.shops import ShopRef
from fulfillment.context import services
from fulfillment.web.auth import current_staff, public, visible_shops
from fulfillment.web.i18n import gettext, say
from fulfillment.web.nav import PLATFORM_NAMES

bp = Blueprint("home", __name__, template_folder="templates")
STORE_NAMES = {"shopify": "Shopify", "woocommerce": "WooCommerce"}


@dataclass(frozen=True)
class Item:
    """A checklist step as the page shows it."""

    id: str
    done: bool
    title: str
    reason: str
    href: str
    action: str


def _item(step: Step, shop: ShopRef) -> Item:
    slug, reason = shop.slug, say(step.reason)
    if step.key == "program":
        return Item(step.id, step.done, gettext("Publish your program"), reason,
                    f"/program/{slug}", gettext("Open the program"))
    if step.key == "assistant":
        name = PLATFORM_NAMES.get(step.platform, "")
        title = (gettext("Connect %(name)s and receive a verified request") % {"name": name}
                 if step.platform else gettext("Connect an assistant"))
        action = (gettext("Connect %(name)s") % {"name": name} if name
                  else gettext("Connect an assistant"))
        return Item(step.id, step.done, title, reason,
                    f"/connect/{slug}/{step.platform or VARIANTS[0]}", action)
    if step.key == "store":
        store = step.platform or "shopify"
        return Item(step.id, step.done,
                    gettext("Connect your store and receive a verified webhook"), reason,
                    f"/connect/{slug}/{store}",
                    gettext("Connect %(name)s") % {"name": STORE_NAMES.get(store, store)})
    if step.key == "share":
        return Item(step.id, step.done, gettext("Send a first test share"), reason,
                    "/console", gettext("Open the console"))
    return Item(step.id, step.done, gettext("Give assistants a public https address"), reason,
                "/connect/" + slug + "/alexa#public-url", gettext("How to get one"))


@bp.get("/")
@public("the front page: a visitor sees what the product is; staff see their own shop only")
def index() -> ResponseReturnValue:
    staff = current_staff()
    if staff is None:
        return render_template("home/visitor.html",
                               signup=services().settings.allow_signup)
    shops = visible_shops()
    chosen = request.args.get("shop")
    shop = next((s for s in shops if s.slug == chosen), shops[0] if shops else None)
    if shop is None:
        return render_template("home/no_shop.html", staff=staff)
    items: list[Item] = []
    ready = False
    if staff.can(Role.MANAGER):
        steps = golive.checklist(services(), shop.id)
        items, ready = [_item(step, shop) for step in steps.steps], steps.live
    return render_template("home/shop.html", shop=shop, shops=shops, staff=staff,
                           items=items, ready=ready, Role=Role)


@bp.get("/privacy/<slug>")
@bp.get("/terms/<slug>")
@public("a shop's privacy policy and terms: public pages the assistants' stores link to")
def legal(slug: str) -> ResponseReturnValue:
    """What the skill listing links to (Alexa's privacyPolicyUrl and termsOfUseUrl)."""
    shop = shops.public_name(services(), slug)
    if shop is None:
        abort(404, description=gettext("No shop at this address."))
    kind = "terms" if request.path.startswith("/terms/") else "privacy"
    return render_template("home/legal.html", kind=kind, shop_name=shop)
