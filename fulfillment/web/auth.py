"""Who is signed in, and what their role lets them open: the one place web views declare
their access policy.

Contract (other web surfaces build on it):

    from core.accounts import Role
    from fulfillment.web.auth import require_role, public, current_staff, shop_for_staff

    @bp.get("/program/<slug>")
    @require_role(Role.MANAGER)          # signed out -> login redirect (HTML) or 401 (JSON)
    def program(slug):                   # signed in, role too low -> 403
        shop = shop_for_staff(slug)      # another shop's slug -> 403
        staff = current_staff()          # a frozen Staff (id, shop_id, role, email)

    @bp.get("/health")
    @public("liveness probe")            # no sign-in: say why (verified by a signature, ...)

Put `require_role`/`public` *below* the route decorator (it must wrap the view Flask
registers). tests/test_role_matrix.py enumerates app.url_map and fails for any endpoint
whose view carries no policy, so a new route cannot be added without deciding who may
open it. API routes declare theirs through `fulfillment.api.shop.api(..., role=...)`.

The Flask session (the console's cookie) holds the staff id under SESSION_STAFF and the
random token of a server-side session under SESSION_TOKEN (core.models.StaffSession): a
cookie whose session was ended (sign-out, "sign out everywhere", a password or role change,
removal from the team) signs nobody in, wherever it was copied to.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, g, jsonify, redirect, request, session, url_for

from core import shops, staff_accounts
from core.accounts import Role
from core.console_sessions import ConsoleSessions, row_key
from core.shops import ShopRef
from core.staff_accounts import Grant, StaffMember
from fulfillment.context import services
from fulfillment.web.i18n import gettext

SESSION_STAFF = "staff_id"
SESSION_TOKEN = "sid"
CONSOLE_KEY = "console_key"  # the random key of this browser's console conversation
POLICY_ATTR = "access_policy"
log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Policy:
    """What a route demands. kind: "role" (a signed-in staff member with at least `role`),
    "api_key" (a shop API key whose role is at least `role`), or "public" (`reason` says
    why no sign-in is needed, e.g. "verified by the Alexa request signature")."""

    kind: str
    role: Role | None = None
    reason: str = ""


Staff = StaffMember  # id, shop_id, role, email, display_name; can(), sees_shop()


def policy_of(view: Callable[..., Any]) -> Policy | None:
    return getattr(view, POLICY_ATTR, None)


def declare(view: F, policy: Policy) -> F:
    setattr(view, POLICY_ATTR, policy)
    return view


def public(reason: str) -> Callable[[F], F]:
    """No sign-in needed; `reason` is the route's own protection or why none is needed."""
    if not reason:
        raise ValueError("say why the route is public")

    def decorate(view: F) -> F:
        return declare(view, Policy("public", reason=reason))

    return decorate


def current_staff() -> Staff | None:
    """The signed-in staff member, read once per request; None when signed out."""
    if "referrals_staff" in g:
        return g.referrals_staff  # type: ignore[no-any-return]
    staff: Staff | None = None
    staff_id, token = session.get(SESSION_STAFF), session.get(SESSION_TOKEN)
    if isinstance(staff_id, int):
        staff = staff_accounts.signed_in(services(), staff_id,
                                         token if isinstance(token, str) else None)
        if staff is None:
            session.clear()  # the session was ended or expired, or the account is gone
    g.referrals_staff = staff
    return staff


def sign_in(grant: Grant) -> None:
    """Start a fresh session for `grant` (a new CSRF token; no fixation of the old
    cookie)."""
    import secrets

    session.clear()
    session[SESSION_STAFF] = grant.staff_id
    session[SESSION_TOKEN] = grant.session_token
    session["csrf"] = secrets.token_urlsafe(32)
    g.pop("referrals_staff", None)


def sign_out() -> None:
    """End this browser's server-side session and clear its cookie (cleared first: an
    outage while deleting the row still signs this browser out)."""
    token = session.get(SESSION_TOKEN)
    console_key, staff_id = session.get(CONSOLE_KEY), session.get(SESSION_STAFF)
    session.clear()
    g.pop("referrals_staff", None)
    staff_accounts.sign_out(services(), token if isinstance(token, str) else None)
    if isinstance(console_key, str) and isinstance(staff_id, int):
        end_console(console_key, staff_id)


def end_console(console_key: str, staff_id: int) -> None:
    """Signing out ends the console conversation too: its rows (the platform state, each
    turn as shown) and what its fresh "new voice user" paired go now, not at the hour's
    idle expiry. After the cookie is cleared, so an outage cannot keep anyone signed in."""
    try:
        ConsoleSessions(services(), row_key(console_key), staff_id).drop()
    except Exception:  # an outage: the rows still go at the idle expiry's next save
        log.warning("sign-out: the console conversation could not be deleted now",
                    exc_info=True)


def login_url() -> str:
    from flask import current_app

    endpoint = "web.login" if "web.login" in current_app.view_functions else "console.login"
    return url_for(endpoint, next=request.full_path.rstrip("?"))


def signed_out_answer() -> Any:
    """401 JSON for script and API-style paths, a redirect to the sign-in page otherwise."""
    if "/api/" in request.path or request.accept_mimetypes.best == "application/json":
        return jsonify({"error": {"code": "signed_out", "message": "Sign in first."}}), 401
    return redirect(login_url())


def require_role(role: Role) -> Callable[[F], F]:
    """The view runs only for signed-in staff whose role allows `role`."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            staff = current_staff()
            if staff is None:
                return signed_out_answer()
            if not staff.can(role):
                abort(403, gettext("This page needs the %(role)s role; you are %(yours)s.") % {
                    "role": gettext(role.value), "yours": gettext(staff.role.value)})
            return view(*args, **kwargs)

        return declare(guarded, Policy("role", role=role))  # type: ignore[return-value]

    return decorate


def shop_for_staff(slug: str) -> ShopRef:
    """The shop named by `slug` if the signed-in staff may see it; 403 otherwise (an
    unknown slug is a 403 too, so slugs cannot be probed)."""
    staff = current_staff()
    if staff is None:
        abort(401)
    found = shops.visible_to(services(), staff.shop_id, slug=slug)
    if not found:
        abort(403, "Not your shop.")
    return found[0]


def visible_shops() -> list[ShopRef]:
    """The shops the signed-in staff may see, by name."""
    staff = current_staff()
    if staff is None:
        return []
    return shops.visible_to(services(), staff.shop_id)
