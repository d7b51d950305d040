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

The signed-in staff id lives in the Flask session under SESSION_STAFF (the console's
cookie); a session older than the account's last password change is refused.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, g, jsonify, redirect, request, session, url_for
from sqlalchemy import select

from core import accounts
from core.accounts import Role
from core.models import Shop, StaffUser
from fulfillment.context import services

SESSION_STAFF = "staff_id"
POLICY_ATTR = "access_policy"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Policy:
    """What a route demands. kind: "role" (a signed-in staff member with at least `role`),
    "api_key" (a shop API key whose role is at least `role`), or "public" (`reason` says
    why no sign-in is needed, e.g. "verified by the Alexa request signature")."""

    kind: str
    role: Role | None = None
    reason: str = ""


@dataclass(frozen=True)
class Staff:
    id: int
    shop_id: int | None  # None: the operator's staff (their role holds in every shop)
    role: Role
    email: str
    display_name: str

    def can(self, need: Role) -> bool:
        return accounts.allows(self.role, need)

    def sees_shop(self, shop_id: int) -> bool:
        return self.shop_id is None or self.shop_id == shop_id


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
    staff_id = session.get(SESSION_STAFF)
    if isinstance(staff_id, int):
        with services().db.session() as db:
            row = db.get(StaffUser, staff_id)
            role = accounts.parse_role(row.role) if row is not None else None
            if row is not None and role is not None and row.password_hash and \
                    session.get("pw") in (None, _password_mark(row.password_hash)):
                staff = Staff(row.id, row.shop_id, role, row.email, row.display_name)
        if staff is None:
            session.clear()  # the account is gone, demoted to nothing, or its password changed
    g.referrals_staff = staff
    return staff


def sign_in(row: StaffUser) -> None:
    """Start a fresh session for `row` (a new CSRF token; no fixation of the old cookie)."""
    import secrets

    session.clear()
    session[SESSION_STAFF] = row.id
    session["pw"] = _password_mark(row.password_hash)
    session["csrf"] = secrets.token_urlsafe(32)
    g.pop("referrals_staff", None)


def _password_mark(password_hash: str) -> str:
    """A short fingerprint of the hash: changing the password ends every other session."""
    from core.hashing import token_hash

    return token_hash(password_hash)[:16]


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
                abort(403, f"This page needs the {role.value} role; you are "
                           f"{staff.role.value}.")
            return view(*args, **kwargs)

        return declare(guarded, Policy("role", role=role))  # type: ignore[return-value]

    return decorate


def shop_for_staff(slug: str) -> Shop:
    """The shop named by `slug`, detached, if the signed-in staff may see it; 403 otherwise
    (an unknown slug is a 403 too, so slugs cannot be probed)."""
    staff = current_staff()
    if staff is None:
        abort(401)
    with services().db.session() as db:
        shop = db.scalar(select(Shop).where(Shop.slug == slug))
        if shop is None or not staff.sees_shop(shop.id):
            abort(403, "Not your shop.")
        db.expunge(shop)
        return shop


def visible_shops() -> list[Shop]:
    """The shops the signed-in staff may see (detached), by name."""
    staff = current_staff()
    if staff is None:
        return []
    with services().db.session() as db:
        query = select(Shop).order_by(Shop.name)
        if staff.shop_id is not None:
            query = query.where(Shop.id == staff.shop_id)
        shops = list(db.scalars(query))
        db.expunge_all()
        return shops
