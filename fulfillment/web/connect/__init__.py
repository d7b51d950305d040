"""Connect your assistant: one page per platform (/connect/<shop>/<platform>) saying what to
paste where, taking the ids and secrets we need, offering the export, showing the live
status (last verified request, last refusal and why) and a "try it" box that runs an
utterance through the simulator against the real webhook. Managers only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader

import voice.platforms
from core import assistant_setup, assistant_status, golive
from core.accounts import Role
from core.assistants import ASSISTANTS, of_variant
from core.errors import DomainError
from core.sandbox import is_sandbox
from fulfillment.context import services
from fulfillment.simulator.turns import Simulator
from fulfillment.web.auth import current_staff, require_role, shop_for_staff
from fulfillment.web.forms import check_csrf
from fulfillment.web.i18n import gettext
from fulfillment.web.nav import PLATFORM_NAMES
from voice.platforms import of_variant_module

bp = Blueprint("connect", __name__, url_prefix="/connect", template_folder="templates")
bp.before_request(check_csrf)
# Each assistant's part of the page is its own voice/platforms/<name>/connect.html.
PLATFORM_PAGES = Path(voice.platforms.__file__).parent


@bp.record_once
def _assistant_pages(state: Any) -> None:
    env = state.app.jinja_env
    env.loader = ChoiceLoader([env.loader, PrefixLoader(
        {"assistants": FileSystemLoader(str(PLATFORM_PAGES))})])
NAMES = PLATFORM_NAMES
LOCALES = {v.key: v.locales for a in ASSISTANTS for v in a.variants}
MAX_UTTERANCE = 300


def _platform(platform: str) -> str:
    if platform not in assistant_setup.PLATFORMS:
        abort(404)
    return platform


def _page(slug: str, platform: str, *, errors: dict[str, str] | None = None,
          shown_once: dict[str, str] | None = None, form: dict[str, Any] | None = None,
          status: int = 200) -> ResponseReturnValue:
    svc = services()
    shop = shop_for_staff(slug)
    values = {**assistant_setup.shown(svc, shop.id, platform, _connect(platform).shown),
              **(form or {})}
    endpoint = assistant_setup.endpoint_url(svc.base_url, shop.slug, platform)
    live = assistant_status.statuses(svc, shop.id)[platform]
    return render_template(
        "connect/page.html", shop=shop, platform=platform, name=NAMES[platform],
        assistant=of_variant(platform).name,
        names=PLATFORM_NAMES, values=values, errors=errors or {},
        shown_once=shown_once or {}, endpoint=endpoint, live=live,
        locales=LOCALES[platform], staff=current_staff(),
        sandbox=is_sandbox(svc.settings), public=golive.public_url_step(svc)), status


@bp.get("/<slug>/<platform>")
@require_role(Role.MANAGER)
def page(slug: str, platform: str) -> ResponseReturnValue:
    return _page(slug, _platform(platform))


@bp.post("/<slug>/<platform>")
@require_role(Role.MANAGER)
def save(slug: str, platform: str) -> ResponseReturnValue:
    platform = _platform(platform)
    svc = services()
    shop = shop_for_staff(slug)
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    outcome = assistant_setup.configure_for(svc, shop.id, platform, form,
                                            _connect(platform).configure)
    if not outcome.ok:
        shown = {k: v for k, v in form.items() if "secret" not in k and "password" not in k
                 and "token" not in k}
        return _page(slug, platform, errors=outcome.errors, form=shown, status=422)
    return _page(slug, platform, shown_once=outcome.shown_once)


@bp.get("/<slug>/<platform>/status")
@require_role(Role.MANAGER)
def status(slug: str, platform: str) -> ResponseReturnValue:
    platform = _platform(platform)
    shop = shop_for_staff(slug)
    return jsonify(assistant_status.statuses(services(), shop.id)[platform].as_dict())


@bp.post("/<slug>/<platform>/try")
@require_role(Role.MANAGER)
def try_it(slug: str, platform: str) -> ResponseReturnValue:
    """One utterance as a fresh conversation, through the real webhook, sandbox-signed."""
    platform = _platform(platform)
    shop = shop_for_staff(slug)
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}
    text, locale = data.get("text", ""), data.get("locale") or LOCALES[platform][0]
    user = data.get("user") or "new"
    secret = data.get("es_secret") or ""
    if not isinstance(text, str) or len(text) > MAX_UTTERANCE:
        return _error(422, "text", gettext("Say something of at most %(most)s characters.")
                      % {"most": MAX_UTTERANCE})
    if locale not in LOCALES[platform]:
        return _error(422, "locale", gettext("%(name)s speaks %(locales)s.") % {
            "name": NAMES[platform], "locales": ", ".join(LOCALES[platform])})
    if not isinstance(user, str) or len(user) > 128:
        return _error(422, "user", gettext("A customer id of at most 128 characters, or empty."))
    if not isinstance(secret, str) or len(secret) > 200:
        return _error(422, "es_secret", gettext("At most 200 characters."))
    connect = _connect(platform)
    values = assistant_setup.shown(services(), shop.id, platform, connect.shown)
    headers = connect.try_headers(platform, values, secret)  # None: the sandbox signs
    svc = services()
    try:
        simulator = Simulator(current_app._get_current_object(), svc)  # type: ignore[attr-defined]
        conv = simulator.start(platform, shop.slug, locale, user=user)
        result = simulator.say(conv, text, headers=headers)
    except DomainError as exc:
        return jsonify({"error": {"code": exc.code, "message": str(exc)}}), exc.status
    answer = result.as_dict()
    return jsonify({key: answer[key] for key in (
        "utterance", "intent", "handled_intent", "slots", "speech", "ssml", "status",
        "card", "qr", "link", "end_session")} | {"response": result.response})


def _connect(platform: str) -> Any:
    """voice/platforms/<name>/connect.py of the assistant this variant belongs to."""
    return of_variant_module(platform, "connect")


def _error(status: int, field: str, message: str) -> ResponseReturnValue:
    return jsonify({"error": {"code": "schema", "message": message,
                              "details": {"fields": [field]}}}), status
