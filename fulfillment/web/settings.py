"""A shop's settings at /settings/<slug>: general (manager), API keys and webhook secrets
(manager; a new secret is shown once, on the page that made it), outbound webhooks per
event type with their deliveries (manager), the team (owner) and deleting the shop (owner).

HTTP only: each POST is one call into core and re-renders the page with field messages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from core import (
    credentials,
    invocation_names,
    outbound,
    shop_settings,
    staff_accounts,
    webhook_settings,
)
from core.accounts import API_KEY_ROLES, Role
from core.credentials import KeyState
from core.errors import FieldErrors
from core.sandbox import is_sandbox
from core.shops import ShopRef
from core.webhook_settings import WEBHOOK_EVENT_TYPES, Change
from fulfillment.context import services
from fulfillment.web import forms
from fulfillment.web.auth import current_staff, require_role, shop_for_staff
from fulfillment.web.i18n import gettext

bp = Blueprint("settings", __name__, url_prefix="/settings", template_folder="templates")
forms.protect(bp)


def _local() -> bool:
    return is_sandbox(services().settings)


def _nav(shop: ShopRef) -> dict[str, Any]:
    staff = current_staff()
    return {"shop": shop, "staff": staff, "Role": Role}


# --- general ---------------------------------------------------------------------------

@bp.route("/<slug>", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def general(slug: str) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    errors: dict[str, str] = {}
    saved = False
    values = shop_settings.general(services(), shop.id)
    form: dict[str, Any] = {}
    if request.method == "POST":
        form = {name: forms.field(name) for name in (
            "name", "currency", "timezone", "landing_url", "link_base_url", "logo_url",
            "brand_colour",
            *(f"invocation_{lang}" for lang in ("en", "de", "ru")))}
        form["locales"] = [x[:20] for x in request.form.getlist("locales")[:10]]
        try:
            values = shop_settings.change_general(services(), shop.id, form, local=_local())
        except FieldErrors as exc:
            errors = exc.fields
        else:
            saved = True
            shop = shop_for_staff(slug)
            form = {}
    suggested = {lang: invocation_names.alexa_name(values.name, lang)
                 for lang in ("en", "de")}  # what the Alexa export uses when left empty
    return render_template("web/settings_general.html", **_nav(shop), values=values,
                           form=form, errors=errors, saved=saved, suggested=suggested,
                           locales=shop_settings.LOCALES, local=_local()), (
        422 if errors else 200)


# --- keys ------------------------------------------------------------------------------

def _state(key: credentials.KeyLine) -> str:
    if key.state is KeyState.EXPIRING and key.expires_at is not None:
        return gettext("expires %(when)s") % {
            "when": key.expires_at.strftime("%Y-%m-%d %H:%M UTC")}
    return key.state.value


def _keys_page(shop: ShopRef, *, shown: dict[str, str] | None = None,
               errors: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    keys = [{"id": k.id, "kind": k.kind, "prefix": k.prefix, "label": k.label,
             "role": k.role or "", "created_at": k.created_at, "state": _state(k)}
            for k in credentials.key_lines(services(), shop.id)]
    return render_template("web/settings_keys.html", **_nav(shop), keys=keys,
                           shown=shown or {}, errors=errors or {},
                           key_roles=API_KEY_ROLES), status


@bp.get("/<slug>/keys")
@require_role(Role.MANAGER)
def keys(slug: str) -> ResponseReturnValue:
    return _keys_page(shop_for_staff(slug))


@bp.post("/<slug>/keys/api")
@require_role(Role.MANAGER)
def create_api_key(slug: str) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    try:
        key = credentials.issue_api_key(services(), shop.id, role=forms.field("role"),
                                        label=forms.field("label"))
    except FieldErrors as exc:
        return _keys_page(shop, errors=exc.fields, status=422)
    return _keys_page(shop, shown={gettext("API key"): key})


@bp.post("/<slug>/keys/webhook-secret")
@require_role(Role.MANAGER)
def rotate_webhook_secret(slug: str) -> ResponseReturnValue:
    """A new signing secret for the events the shop sends us; the old one keeps working
    for the overlap (core.credentials.ROTATION_OVERLAP)."""
    shop = shop_for_staff(slug)
    secret = credentials.replace_webhook_secret(services(), shop.id)
    return _keys_page(shop, shown={gettext("Webhook signing secret"): secret})


@bp.post("/<slug>/keys/<int:key_id>/revoke")
@require_role(Role.MANAGER)
def revoke_key(slug: str, key_id: int) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    if not credentials.revoke(services(), shop.id, key_id):
        return _keys_page(shop, errors={"key": "No such key in this shop."}, status=404)
    return redirect(url_for("settings.keys", slug=shop.slug))


# --- outbound webhooks -----------------------------------------------------------------

def _webhooks_page(shop: ShopRef, *, shown: dict[str, str] | None = None,
                   errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
                   status: int = 200) -> ResponseReturnValue:
    seen = webhook_settings.overview(services(), shop.id)
    return render_template("web/settings_webhooks.html", **_nav(shop),
                           endpoints=seen.endpoints, deliveries=seen.deliveries,
                           event_types=WEBHOOK_EVENT_TYPES,
                           shown=shown or {}, errors=errors or {}, form=form or {},
                           local=_local()), status


@bp.get("/<slug>/webhooks")
@require_role(Role.MANAGER)
def webhooks(slug: str) -> ResponseReturnValue:
    return _webhooks_page(shop_for_staff(slug))


@bp.post("/<slug>/webhooks")
@require_role(Role.MANAGER)
def save_webhook(slug: str) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    event_type, url = forms.field("event_type"), forms.field("url").strip()
    try:
        secret = webhook_settings.change(services(), shop.id, Change.SAVE,
                                         event_type=event_type, url=url)
    except FieldErrors as exc:
        return _webhooks_page(shop, errors=exc.fields, form={event_type: url}, status=422)
    label = gettext("Signing secret for %(event)s") % {"event": event_type}
    shown = {label: secret} if secret else {}
    return _webhooks_page(shop, shown=shown)


@bp.post("/<slug>/webhooks/rotate")
@require_role(Role.MANAGER)
def rotate_endpoint_secret(slug: str) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    event_type = forms.field("event_type")
    try:
        secret = webhook_settings.change(services(), shop.id, Change.ROTATE,
                                         event_type=event_type)
    except FieldErrors as exc:
        return _webhooks_page(shop, errors=exc.fields, status=422)
    label = gettext("Signing secret for %(event)s") % {"event": event_type}
    shown = {label: secret} if secret else {}
    return _webhooks_page(shop, shown=shown)


@bp.post("/<slug>/webhooks/remove")
@require_role(Role.MANAGER)
def remove_webhook(slug: str) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    try:
        webhook_settings.change(services(), shop.id, Change.REMOVE,
                                event_type=forms.field("event_type"))
    except FieldErrors as exc:
        return _webhooks_page(shop, errors=exc.fields, status=422)
    return redirect(url_for("settings.webhooks", slug=shop.slug))


@bp.post("/<slug>/webhooks/deliveries/<int:delivery_id>/resend")
@require_role(Role.MANAGER)
def resend_delivery(slug: str, delivery_id: int) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    if not outbound.resend(services(), shop.id, delivery_id):
        return _webhooks_page(shop, errors={"delivery": "No such delivery in this shop."},
                              status=404)
    return redirect(url_for("settings.webhooks", slug=shop.slug))


# --- team ------------------------------------------------------------------------------

def _team_page(shop: ShopRef, *, errors: dict[str, str] | None = None,
               form: dict[str, str] | None = None, invited: str = "",
               status: int = 200) -> ResponseReturnValue:
    return render_template("web/settings_team.html", **_nav(shop),
                           members=staff_accounts.members(services(), shop.id),
                           errors=errors or {}, form=form or {}, invited=invited,
                           roles=list(Role)), status


@bp.get("/<slug>/team")
@require_role(Role.OWNER)
def team(slug: str) -> ResponseReturnValue:
    return _team_page(shop_for_staff(slug))


@bp.post("/<slug>/team/invite")
@require_role(Role.OWNER)
def invite(slug: str) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    form = forms.fields("email", "role")
    inviter = current_staff()
    assert inviter is not None  # require_role ran
    try:
        with services().db.session() as db:
            staff_accounts.invite(db, services(), shop_id=shop.id, inviter=inviter, **form)
    except FieldErrors as exc:
        return _team_page(shop, errors=exc.fields, form=form, status=422)
    return _team_page(shop, invited=form["email"])


@bp.post("/<slug>/team/<int:staff_id>/role")
@require_role(Role.OWNER)
def change_role(slug: str, staff_id: int) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    try:
        with services().db.session() as db:
            staff_accounts.change_role(db, shop_id=shop.id, staff_id=staff_id,
                                       role=forms.field("role"))
    except FieldErrors as exc:
        return _team_page(shop, errors=exc.fields, status=422)
    return redirect(url_for("settings.team", slug=shop.slug))


@bp.post("/<slug>/team/<int:staff_id>/remove")
@require_role(Role.OWNER)
def remove_member(slug: str, staff_id: int) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    try:
        with services().db.session() as db:
            staff_accounts.remove(db, shop_id=shop.id, staff_id=staff_id)
    except FieldErrors as exc:
        return _team_page(shop, errors=exc.fields, status=422)
    return redirect(url_for("settings.team", slug=shop.slug))


# --- deleting the shop -----------------------------------------------------------------

@bp.route("/<slug>/delete", methods=["GET", "POST"])
@require_role(Role.OWNER)
def delete_shop(slug: str) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            with services().db.session() as db:
                staff_accounts.delete_shop(db, shop_id=shop.id,
                                           confirm_slug=forms.field("confirm"))
        except FieldErrors as exc:
            errors = exc.fields
        else:
            services().shops.forget(shop.slug)
            return render_template("web/message.html", title="Shop deleted",
                                   message=gettext("%(shop)s and all its data are gone.")
                                   % {"shop": shop.name},
                                   sign_in=False)
    return render_template("web/settings_delete.html", **_nav(shop), errors=errors), (
        422 if errors else 200)
