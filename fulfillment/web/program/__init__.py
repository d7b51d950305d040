"""The program editor (/program/<shop>): every reward kind per side, minimum order, hold
days, caps, level two, fraud rule modes and the shop's own terms; a live preview of the
spoken terms per locale and assistant, and of the SMS and email, fetched from
/program/<shop>/preview by a static script; saving publishes a new program version.
Managers only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from core import currencies, programs
from core.accounts import Role
from core.errors import InvalidInput
from core.fraud import DEFAULT_ACTIONS, DEFAULT_LIMITS
from core.shops import ShopRef
from fulfillment.context import services
from fulfillment.web import i18n
from fulfillment.web.auth import require_role, shop_for_staff
from fulfillment.web.dashboard import money
from fulfillment.web.forms import check_csrf
from fulfillment.web.i18n import N_, say, translated
from fulfillment.web.nav import PLATFORM_NAMES
from fulfillment.web.program import forms
from voice.preview import preview

bp = Blueprint("program", __name__, url_prefix="/program", template_folder="templates")
bp.before_request(check_csrf)
KIND_LABELS = {"points": N_("points"), "percent_discount": N_("percent off"),
               "fixed_discount": N_("amount off"), "gift_card": N_("gift card"),
               "cash": N_("cash")}
RULE_LABELS = {"self_referral": N_("Referring yourself"),
               "existing_customer": N_("Already a customer"),
               "already_referred": N_("Referred before"),
               "disposable_email": N_("Disposable email"),
               "velocity_code": N_("Many signups on one code in an hour"),
               "velocity_ip": N_("Many signups from one network in a day")}


def _render(shop: ShopRef, form: dict[str, str], errors: dict[str, str], history: list[Any],
            status: int = 200, saved: str | None = None) -> ResponseReturnValue:
    return render_template(
        "program/edit.html", shop=shop, form=form, errors=errors, history=history,
        kinds=programs.REWARD_KINDS, kind_labels=KIND_LABELS, hold_days=programs.ALLOWED_HOLD_DAYS,
        rules=DEFAULT_ACTIONS, rule_labels=RULE_LABELS, limits=DEFAULT_LIMITS,
        languages=forms.TERMS_LANGUAGES, max_terms=programs.MAX_TERMS, saved=saved,
        names=PLATFORM_NAMES, reward_text=reward_text,
        known_currencies=currencies.codes()), status


def reward_text(program: dict[str, Any], side: str) -> str:
    """A version's reward as people read it: "$10.00 amount off", "10% off", "50 points"."""
    kind, amount = program[f"{side}_reward_kind"], program[f"{side}_reward_amount"]
    t = i18n.gettext
    if kind in forms.MONEY_KINDS:
        return f"{money(amount, program['currency'])} {t(KIND_LABELS[kind])}"
    if kind == "percent_discount":
        return t(N_("%(amount)s%% off")) % {"amount": amount}
    return f"{amount} {t(KIND_LABELS.get(kind, kind))}"


@bp.get("/<slug>")
@require_role(Role.MANAGER)
def edit(slug: str) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    editing = programs.editing(services(), shop.id)
    return _render(shop, forms.to_form(editing.current), {}, editing.history,
                   saved=request.args.get("saved"))


@bp.post("/<slug>")
@require_role(Role.MANAGER)
def save(slug: str) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    values, errors = forms.parse(request.form)
    if not errors:
        try:
            version = programs.publish(services(), shop.id, values)["version"]
        except InvalidInput as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            errors = dict(details.get("messages") or {f: "Not valid." for f in
                                                      details.get("fields", ["body"])})
        else:
            return redirect(url_for("program.edit", slug=shop.slug, saved=version), 303)
    history = programs.editing(services(), shop.id).history
    form = {k: v[:forms.MAX_FIELD] for k, v in request.form.items() if k != "csrf_token"}
    return _render(shop, form, errors, history, status=422)


@bp.post("/<slug>/preview")
@require_role(Role.MANAGER)
def preview_view(slug: str) -> ResponseReturnValue:
    """The form's values as JSON in; field errors and the preview per locale out."""
    shop = shop_for_staff(slug)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify({"error": {"code": "malformed_json",
                                  "message": "Send the form's fields as a JSON object."}}), 400
    values, errors = forms.parse(data)
    if errors:
        return jsonify({"errors": {k: translated(v) for k, v in errors.items()},
                        "preview": None})
    shown = preview(programs.draft(values), shop_name=shop.name, base_url=services().base_url)
    for entry in shown.values():  # the staff member's words around the customer's
        for block in entry["blocks"]:
            for key in ("title", "absent"):
                if key in block:
                    block[key] = say(block[key])
    return jsonify({"errors": {}, "preview": shown})
