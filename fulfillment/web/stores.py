"""The store pages: /connect/<shop>/shopify and /connect/<shop>/woocommerce. Managers only.

Shopify: install the deployment's app (OAuth; the way new stores connect since 2026-01-01),
or paste a legacy custom app's token (only stores that still have one). WooCommerce: the
site URL and REST keys. Fields are checked at save with a real call to the store (its
refusal shown in the form); the page shows the webhook status (registered, last verified
delivery, last refusal with its reason), the inbox's dead-letter rows with a retry, the
shopify.app.toml download and a disconnect button. HTTP only: each POST is one core call."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from core.accounts import Role
from core.errors import DomainError, InvalidInput
from core.stores import connections, inbound, shopify_app
from fulfillment.context import services
from fulfillment.edge.security_headers import PAGE_POLICY
from fulfillment.web import forms
from fulfillment.web.auth import current_staff, require_role, shop_for_staff
from fulfillment.web.i18n import gettext, translated

bp = Blueprint("store_pages", __name__, url_prefix="/connect", template_folder="templates")
forms.protect(bp)
NAMES = {"shopify": "Shopify", "woocommerce": "WooCommerce"}
# The install form redirects to the shop's authorization page: the page's form-action
# allows Shopify's shop domains beside our own origin (CSP applies it to the redirect).
INSTALL_POLICY = PAGE_POLICY.replace("form-action 'self'",
                                     "form-action 'self' https://*.myshopify.com")


def _page(slug: str, platform: str, *, errors: dict[str, str] | None = None,
          form: dict[str, str] | None = None, shown_once: dict[str, str] | None = None,
          notice: str = "", status: int = 200) -> ResponseReturnValue:
    svc = services()
    shop = shop_for_staff(slug)
    page = connections.store_page(svc, shop.id)
    current = page.status if page.status and page.status.platform == platform else None
    return render_template(
        "web/store_connect.html", shop=shop, staff=current_staff(), platform=platform,
        name=NAMES[platform], names=NAMES, page=page, current=current,
        other=page.status.platform if page.status and not current else "",
        problems=inbound.problems(svc, shop.id), errors=errors or {}, form=form or {},
        shown=shown_once or {}, notice=notice,
        app_configured=svc.settings.shopify_app.configured,
        legacy_webhook_url=f"{svc.base_url}/shopify/{shop.slug}/webhooks"), status, (
        {"Content-Security-Policy": INSTALL_POLICY} if platform == "shopify" else {})


@bp.route("/<slug>/shopify", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def shopify_page(slug: str) -> ResponseReturnValue:
    if request.method == "GET":
        notice = gettext("The app is installed; our webhooks are registered.") \
            if request.args.get("installed") else ""
        return _page(slug, "shopify", notice=notice)
    shop = shop_for_staff(slug)
    if request.form.get("action") == "install":
        domain = forms.field("shop_domain").strip().lower()
        try:
            return redirect(shopify_app.begin_install(services(), domain, shop.id), code=303)
        except DomainError as exc:
            return _page(slug, "shopify", errors={"shop_domain": exc.message},
                         form={"shop_domain": domain}, status=422)
    form = forms.fields("legacy_domain", "access_token", "webhook_secret")
    req = connections.ConnectRequest(platform="shopify", store_url=form["legacy_domain"],
                                     access_token=form["access_token"],
                                     webhook_secret=form["webhook_secret"],
                                     gift_card_rewards=bool(request.form.get("gift_cards")))
    return _save(slug, "shopify", shop.id, req, {"legacy_domain": form["legacy_domain"]},
                 {"shop_domain": "legacy_domain"})


@bp.route("/<slug>/woocommerce", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def woocommerce_page(slug: str) -> ResponseReturnValue:
    if request.method == "GET":
        return _page(slug, "woocommerce")
    shop = shop_for_staff(slug)
    form = forms.fields("store_url", "consumer_key", "consumer_secret")
    req = connections.ConnectRequest(platform="woocommerce", store_url=form["store_url"],
                                     consumer_key=form["consumer_key"],
                                     consumer_secret=form["consumer_secret"])
    return _save(slug, "woocommerce", shop.id, req, {"store_url": form["store_url"]}, {})


def _save(slug: str, platform: str, shop_id: int, req: connections.ConnectRequest,
          kept: dict[str, str], renamed: dict[str, str]) -> ResponseReturnValue:
    """Checked with a real call to the store before it is saved; a refusal names the field."""
    try:
        saved = connections.connect_store(services(), shop_id, req, test=True)
    except InvalidInput as exc:
        fields = (exc.details or {}).get("fields") if isinstance(exc.details, dict) else None
        name = renamed.get(str((fields or ["form"])[0]), str((fields or ["form"])[0]))
        return _page(slug, platform, errors={name: exc.message}, form=kept, status=422)
    shown = {gettext("Webhook secret (we registered the webhooks with it)"): saved.webhook_secret} \
        if saved.webhook_secret else {}
    return _page(slug, platform, shown_once=shown,
                 notice=gettext("Connected: the store answered our test call. Webhooks are "
                                "being registered."))


@bp.post("/<slug>/<platform>/disconnect")
@require_role(Role.MANAGER)
def disconnect(slug: str, platform: str) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    platform = _platform(platform)
    connections.disconnect_store(services(), shop.id)
    return redirect(url_for(f"store_pages.{platform}_page", slug=slug), code=303)


@bp.post("/<slug>/<platform>/inbox/<int:delivery>/retry")
@require_role(Role.MANAGER)
def retry(slug: str, platform: str, delivery: int) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    platform = _platform(platform)
    notice = gettext("Processed again.")
    try:
        inbound.retry(services(), shop.id, delivery)
    except inbound.WebhookRefused as exc:
        notice = gettext("Refused again: %(why)s") % {"why": translated(exc.message)}
    return _page(slug, platform, notice=notice)


@bp.get("/<slug>/shopify/shopify.app.toml")
@require_role(Role.MANAGER)
def app_toml(slug: str) -> ResponseReturnValue:
    shop_for_staff(slug)
    return Response(shopify_app.app_toml(services()), mimetype="application/toml",
                    headers={"Content-Disposition": 'attachment; filename="shopify.app.toml"'})


def _platform(platform: str) -> str:
    if platform not in NAMES:
        from flask import abort

        abort(404)
    return platform


