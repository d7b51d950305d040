"""Sign-up, sign-in, email verification, password reset, invitations and the first sign-in
link, at /signup, /login, /verify/<token>, /password/..., /invite/<token>, /welcome/<token>;
in the sandbox, /sandbox/outbox shows the account emails that would have been sent.

HTTP only: each page calls one use case in core.staff_accounts."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from core import console_sessions, staff_accounts
from core.accounts import Role
from core.errors import FieldErrors
from core.signed_tokens import BadToken
from core.staff_accounts import SignIn
from fulfillment.context import services
from fulfillment.web import forms
from fulfillment.web.auth import (
    current_staff,
    public,
    require_role,
    sign_in,
    sign_out,
    visible_shops,
)
from fulfillment.web.i18n import N_, gettext, ngettext

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/web/static")
forms.protect(bp)


# The shops this browser signed up (the sandbox outbox shows it their verification mail).
SIGNED_UP = "signed_up_shops"


def _sandbox() -> bool:
    """Whether pages point at the sandbox outbox (it exists: sandbox, no real channel)."""
    return staff_accounts.sandbox_outbox_open(services())


def _too_many(action: str, email: str) -> ResponseReturnValue | None:
    """The 429 page (with Retry-After) when this client or this address asked too often."""
    verdict = staff_accounts.allow(services(), action, client=request.remote_addr or "unknown",
                                   email=email)
    if verdict.allowed:
        return None
    seconds = verdict.retry_after
    return render_template("web/message.html", title=N_("Too many requests"),
                           message=ngettext(
                               "Too many requests from here or for this address. Try again in "
                               "%(num)d second.", "Too many requests from here or for this "
                               "address. Try again in %(num)d seconds.", seconds)), 429, {
        "Retry-After": str(seconds)}


@bp.route("/login", methods=["GET", "POST"])
@public("the sign-in form")
def login() -> ResponseReturnValue:
    error, status, email = None, 200, ""
    headers: dict[str, str] = {}
    target = forms.safe_next(request.values.get("next"), url_for("home.index"))
    if request.method == "POST":
        email = forms.field("email")
        outcome = staff_accounts.sign_in(services(), email, forms.field("password"),
                                         request.remote_addr or "unknown")
        if outcome.status is SignIn.OK and outcome.grant is not None:
            sign_in(outcome.grant)
            return redirect(target)
        status, error = 401, gettext("Wrong email or password.")
        if outcome.status is SignIn.UNVERIFIED:
            error = gettext(
                "Confirm your email first: we sent you a link (ask for a new one below).")
        elif outcome.status is SignIn.THROTTLED:
            status = 429
            headers["Retry-After"] = str(outcome.retry_after)
            error = ngettext("Too many sign-in attempts. Try again in %(num)d second.",
                             "Too many sign-in attempts. Try again in %(num)d seconds.",
                             outcome.retry_after)
    return render_template("web/login.html", error=error, email=email, next=target,
                           signup=services().settings.allow_signup), status, headers


@bp.post("/logout")
@public("signing out needs no role")
def logout() -> ResponseReturnValue:
    sign_out()
    return redirect(url_for("web.login"))


@bp.post("/logout/everywhere")
@require_role(Role.SUPPORT)
def logout_everywhere() -> ResponseReturnValue:
    """Ends every session of this account, on every device, this one included."""
    staff = current_staff()
    assert staff is not None
    staff_accounts.sign_out_everywhere(services(), staff.id)
    sign_out()
    console_sessions.end_all(services(), staff.id)  # the console on every device too
    return render_template("web/message.html", title=N_("Signed out everywhere"),
                           message=N_("Every browser and device signed in to this account is "
                                      "signed out now, this one too."), sign_in=True)


@bp.get("/account")
@require_role(Role.SUPPORT)
def account() -> ResponseReturnValue:
    """Where sign-in lands: the shops this person may open and what their role allows."""
    staff = current_staff()
    return render_template("web/account.html", staff=staff, shops=visible_shops(),
                           Role=Role)


@bp.route("/signup", methods=["GET", "POST"])
@public("sign-up (only when ALLOW_SIGNUP=1)")
def signup() -> ResponseReturnValue:
    if not services().settings.allow_signup:
        abort(404)
    values = forms.fields("name", "slug", "email")
    errors: dict[str, str] = {}
    if request.method == "POST":
        refused = _too_many("signup", values["email"])
        if refused is not None:
            return refused
        try:
            with services().db.session() as db:
                created = staff_accounts.sign_up(db, services(), password=forms.field(
                    "password"), **values)
        except FieldErrors as exc:
            errors = exc.fields
        else:
            if staff_accounts.sandbox_outbox_open(services()):  # its own verification mail
                session[SIGNED_UP] = [*session.get(SIGNED_UP, [])[-4:], created.shop_id]
            return render_template("web/check_email.html", email=values["email"],
                                   sandbox=_sandbox(), slug=created.slug)
    return render_template("web/signup.html", values=values, errors=errors), (
        422 if errors else 200)


@bp.get("/verify/<token>")
@public("the signed, expiring link from the verification email")
def verify(token: str) -> ResponseReturnValue:
    try:
        with services().db.session() as db:
            result = staff_accounts.verify_email(db, services(), token)
    except BadToken as exc:
        return render_template("web/message.html", title=N_("Link not valid"),
                               message=exc.message, resend=True), 400
    message = (N_("Your email is confirmed. Sign in to set up your shop.")
               if result is staff_accounts.Verified.VERIFIED else
               N_("Your email was already confirmed."))
    return render_template("web/message.html", title=N_("Email confirmed"), message=message,
                           sign_in=True)


@bp.route("/verify/resend", methods=["GET", "POST"])
@public("asks for a new verification link; says the same whether or not the account exists")
def resend_verification() -> ResponseReturnValue:
    if request.method == "POST":
        refused = _too_many("verify", forms.field("email"))
        if refused is not None:
            return refused
        staff_accounts.resend_verification(services(), forms.field("email"))
        return render_template("web/message.html", title=N_("Check your email"),
                               message=N_("If that account waits for confirmation, a new link "
                                          "is on its way."), sandbox=_sandbox())
    return render_template("web/email_only.html", title=N_("Send the confirmation again"),
                           action=url_for("web.resend_verification"), button=N_("Send link"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public("asks for a reset link; says the same whether or not the account exists")
def forgot() -> ResponseReturnValue:
    if request.method == "POST":
        refused = _too_many("reset", forms.field("email"))
        if refused is not None:
            return refused
        with services().db.session() as db:
            staff_accounts.request_reset(db, services(), forms.field("email"))
        return render_template("web/message.html", title=N_("Check your email"),
                               message=N_("If an account uses that address, a link to choose a "
                                          "new password is on its way. It works once, for one "
                                          "hour."),
                               sandbox=_sandbox())
    return render_template("web/email_only.html", title=N_("Forgot your password?"),
                           action=url_for("web.forgot"), button=N_("Send reset link"))


def _set_password(purpose: str, token: str, title: str) -> ResponseReturnValue:
    errors: dict[str, str] = {}
    try:
        email = staff_accounts.link_email(services(), purpose, token)
    except BadToken as exc:
        return render_template("web/message.html", title=N_("Link not valid"),
                               message=exc.message), 400
    if request.method == "POST":
        password = forms.field("password")
        if password != forms.field("confirm"):
            errors = {"confirm": N_("The two passwords differ.")}
        else:
            try:
                grant = staff_accounts.choose_password(
                    services(), purpose, token, password,
                    display_name=forms.field("display_name") if purpose != "reset" else None)
            except FieldErrors as exc:
                errors = exc.fields
            except BadToken as exc:
                return render_template("web/message.html", title=N_("Link not valid"),
                                       message=exc.message), 400
            else:
                sign_in(grant)
                return redirect(url_for("home.index"))
    return render_template("web/set_password.html", title=title, email=email,
                           errors=errors, ask_name=purpose != "reset"), 422 if errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public("the signed, single-use, expiring link from the reset email")
def reset(token: str) -> ResponseReturnValue:
    return _set_password("reset", token, N_("Choose a new password"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public("the signed, single-use, expiring link from the invitation email")
def accept_invite(token: str) -> ResponseReturnValue:
    return _set_password("invite", token, N_("Accept the invitation"))


@bp.route("/welcome/<token>", methods=["GET", "POST"])
@public("the signed, single-use link create-shop printed")
def welcome(token: str) -> ResponseReturnValue:
    return _set_password("welcome", token, N_("Welcome: choose your password"))


@bp.get("/sandbox/outbox")
@public("sandbox without a real channel only (404 otherwise); shows only the signed-in "
        "staff's shop's account emails and this browser's own sign-up's")
def sandbox_outbox() -> ResponseReturnValue:
    if not staff_accounts.sandbox_outbox_open(services()):
        abort(404)
    signed_up = session.get(SIGNED_UP)
    mails = staff_accounts.sandbox_mails(
        services(), staff=current_staff(),
        signed_up=[i for i in signed_up if isinstance(i, int)]
        if isinstance(signed_up, list) else [])
    return render_template("web/sandbox_outbox.html", mails=mails)
