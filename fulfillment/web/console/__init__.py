"""The support console at /console: staff sign in with their own accounts (scrypt hashes,
signed session cookie, CSRF token on every POST), pick shop, assistant, locale and customer,
and talk to the real webhooks through the simulator. A shop's staff see only their shop."""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from core import customers, shops, staff_accounts
from core.accounts import Role
from core.staff_accounts import SignIn, StaffMember
from fulfillment.context import services
from fulfillment.mcp import console as mcp_console
from fulfillment.simulator import conversations
from fulfillment.simulator.turns import Simulator
from fulfillment.web.auth import (
    CONSOLE_KEY,
    current_staff,
    public,
    require_role,
    sign_in,
    sign_out,
)
from fulfillment.web.console.store import ConsoleStore
from voice.simulation.requests import PLATFORMS

log = logging.getLogger(__name__)
bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")
LOCALES = ("en-US", "en-GB", "de-DE", "ru-RU")
MCP = "mcp"  # the console as an MCP host: fulfillment/mcp/console.py


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"csrf_token": _csrf_token}


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    if request.endpoint in ("console.static",):
        return None
    if request.method == "POST":
        sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
        # bytes: compare_digest refuses a str with non-ASCII characters (a TypeError, a 500)
        if not hmac.compare_digest(sent.encode(), str(session.get("csrf", "")).encode()):
            return jsonify({"error": {"code": "csrf", "message": "Missing or bad CSRF token; "
                                      "reload the page."}}), 400
    if request.endpoint not in ("console.login",) and "staff_id" not in session:
        if request.path.startswith("/console/api/"):
            return jsonify({"error": {"code": "signed_out", "message": "Sign in first."}}), 401
        return redirect(url_for("console.login"))
    return None


def _staff() -> StaffMember:
    staff = current_staff()  # require_role read it (and signed out a vanished account)
    if staff is None:
        session.clear()
        abort(401)
    return staff


def _allowed_shop(staff: StaffMember, slug: str) -> int:
    found = shops.visible_to(services(), staff.shop_id, slug=slug)
    if not found:
        abort(403)
    return found[0].id


@bp.route("/login", methods=["GET", "POST"])
@public("the console sign-in form")
def login() -> ResponseReturnValue:
    """Throttled per account and per client (core.login_throttle, in the database); an
    unknown email costs the same scrypt as a known one (DUMMY_HASH), and the password is
    checked outside any transaction so slow hashing never holds a database lock."""
    if request.method == "GET":
        return render_template("console/login.html", error=None)
    outcome = staff_accounts.sign_in(services(), request.form.get("email"),
                                     request.form.get("password"),
                                     request.remote_addr or "unknown")
    if outcome.status is SignIn.THROTTLED:
        error = (f"Too many sign-in attempts. Try again in {outcome.retry_after} "
                 f"second{'s' if outcome.retry_after != 1 else ''}.")
        return render_template("console/login.html", error=error), 429, {
            "Retry-After": str(outcome.retry_after)}
    if outcome.status is SignIn.UNVERIFIED:  # the same rule as /login
        return render_template("console/login.html", error="Confirm your email first: "
                               "open the link we sent you."), 401
    if outcome.status is SignIn.OK and outcome.grant is not None:
        sign_in(outcome.grant)  # the password's mark too: a change ends this session
        return redirect(url_for("console.index"))
    return render_template("console/login.html", error="Wrong email or password."), 401


@bp.post("/logout")
@public("signing out needs no role")
def logout() -> ResponseReturnValue:
    """Signing out ends the conversation too (fulfillment.web.auth.sign_out): its rows and
    whatever its fresh "new voice user" paired."""
    sign_out()
    return redirect(url_for("console.login"))


@bp.get("")
@bp.get("/")
@require_role(Role.SUPPORT)
def index() -> ResponseReturnValue:
    staff = _staff()
    visible = shops.visible_to(services(), staff.shop_id)
    return render_template("console/index.html", staff=staff,
                           shops=[(shop.slug, shop.name) for shop in visible],
                           customers={shop.slug: customers.external_ids(services(), shop.id)
                                      for shop in visible},
                           platforms=(*PLATFORMS, MCP), locales=LOCALES)


def _simulator() -> Simulator:
    return Simulator(current_app._get_current_object(), services())  # type: ignore[attr-defined]


def _store(staff_id: int) -> ConsoleStore:
    """This staff member's conversation; the cookie holds only its random key."""
    if CONSOLE_KEY not in session:
        session[CONSOLE_KEY] = secrets.token_urlsafe(32)
    return ConsoleStore(services(), str(session[CONSOLE_KEY]), staff_id)


@bp.post("/api/say")
@require_role(Role.SUPPORT)
def say() -> ResponseReturnValue:
    staff = _staff()
    data = request.get_json(silent=True) or {}
    if not isinstance(data, dict):  # a JSON string, number or list: no fields to read
        return jsonify({"error": {"code": "schema", "message": "Send a JSON object with "
                                  "shop, platform, locale and text."}}), 400
    shop, platform = str(data.get("shop") or ""), str(data.get("platform") or PLATFORMS[0])
    locale, user = str(data.get("locale") or "en-US"), str(data.get("user") or "alex")
    if platform == MCP and locale in LOCALES:  # a tool call through /mcp/<shop> instead
        shop_id = _allowed_shop(staff, shop)
        return jsonify(mcp_console.say(current_app._get_current_object(),  # type: ignore[attr-defined]
                                       services(), shop_id=shop_id, slug=shop, locale=locale,
                                       user=user, text=str(data.get("text") or "")[:500]))
    if platform not in PLATFORMS or locale not in LOCALES:
        return jsonify({"error": {"code": "schema", "message": "Unknown platform or locale."}
                        }), 422
    _allowed_shop(staff, shop)
    simulator = _simulator()
    store = _store(staff.id)
    stored = store.load()
    fresh = bool(data.get("new")) or stored is None or (
        stored.conversation.platform, stored.conversation.shop, stored.conversation.locale,
        stored.user) != (platform, shop, locale, user)
    if fresh:
        conv = simulator.start(platform, shop, locale, user=user,
                               screen=bool(data.get("screen")))
    else:
        conv = stored.conversation  # type: ignore[union-attr]
    result = simulator.say(conv, str(data.get("text") or ""))
    if result.end_session:
        conv = simulator.start(platform, shop, locale, user=user, screen=conv.screen)
    store.save(conv, user, result, previous=stored, fresh=fresh)
    return jsonify(result.as_dict())


@bp.post("/api/reset")
@require_role(Role.SUPPORT)
def reset() -> ResponseReturnValue:
    _store(_staff().id).drop()
    return jsonify({"ok": True})


@bp.get("/api/outbox")
@require_role(Role.SUPPORT)
def outbox() -> ResponseReturnValue:
    staff = _staff()
    shop_id = _allowed_shop(staff, request.args.get("shop", ""))
    rows = _store(staff.id).outbox(shop_id)
    return jsonify([{"id": m.id, "kind": m.kind, "purpose": m.purpose,
                     "channel": m.channel, "to": m.recipient,
                     "status": m.status, "created_at": m.created_at.isoformat(),
                     "text": m.text} for m in rows])


@bp.get("/api/save")
@require_role(Role.SUPPORT)
def save() -> ResponseReturnValue:
    store = _store(_staff().id)
    stored, results = store.load(), store.results()
    if stored is None or not results:
        return jsonify({"error": {"code": "empty", "message": "Nothing said yet."}}), 404
    conv = stored.conversation
    text = conversations.to_yaml(conv.shop, conv.platform, conv.locale, stored.user, results)
    return Response(text, mimetype="application/x-yaml", headers={
        "Content-Disposition": f"attachment; filename=conversation-{conv.platform}.yaml"})


@bp.post("/api/replay")
@require_role(Role.SUPPORT)
def replay() -> ResponseReturnValue:
    staff = _staff()
    upload = request.files.get("file")
    try:
        if upload is None:
            raise conversations.BadConversation("Upload a conversation YAML file with shop "
                                                "and turns.")
        spec = conversations.read_upload(upload.read(conversations.MAX_UPLOAD_BYTES + 1))
    except conversations.BadConversation as exc:
        return jsonify({"error": {"code": "schema", "message": str(exc)}}), 422
    _allowed_shop(staff, str(spec["shop"]))
    outcomes = []
    for assistant in spec.get("assistants") or ["alexa"]:
        # each replay on a fresh copy of the shop: the live outbox gets nothing
        outcome = conversations.run_isolated(services(), f"replay[{assistant}]", spec,
                                             assistant)
        outcomes.append({"name": outcome.name, "passed": outcome.passed,
                         "failures": outcome.failures,
                         "turns": [{"said": t.said, "speech": t.result.speech,
                                    "failures": t.failures} for t in outcome.turns]})
    return jsonify(outcomes)
