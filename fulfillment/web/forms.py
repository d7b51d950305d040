"""What every form page shares: the CSRF check on every POST (the token the console uses,
in the session and a hidden field), reading fields as bounded text, and showing
core.errors.FieldErrors next to their fields."""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, jsonify, render_template, request, session
from flask.typing import ResponseReturnValue

MAX_FIELD = 2000


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def protect(bp: Blueprint) -> None:
    """Refuse a POST without the session's CSRF token (400 page), before any view runs."""

    @bp.before_request
    def _csrf() -> ResponseReturnValue | None:
        if request.method != "POST":
            return None
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
        if not hmac.compare_digest(sent.encode(), str(session.get("csrf", "")).encode()):
            return render_template("web/message.html", title="Please try again",
                                   message="This form expired or did not come from this "
                                   "site. Reload the page and send it again."), 400
        return None

    @bp.app_context_processor
    def _token() -> dict[str, Any]:
        return {"csrf_token": csrf_token}


def field(name: str) -> str:
    """A form field as text: at most MAX_FIELD characters, no NUL."""
    return (request.form.get(name) or "")[:MAX_FIELD].replace("\x00", "")


def fields(*names: str) -> dict[str, str]:
    return {name: field(name) for name in names}


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site, judged as a browser will read it: browsers drop tabs and
    newlines anywhere in a URL and read a backslash as a slash, so `/\t/evil.example` is
    `//evil.example` to them. Any control character, space or backslash, a scheme, a host,
    or a path starting with two slashes means the default (no open redirect)."""
    if not target or not target.startswith("/") or "\\" in target or any(
            ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or \
            parts.path.startswith("//"):
        return default
    return target


def check_csrf() -> ResponseReturnValue | None:
    """A before_request hook: any POST without the session's token is a 400."""
    if request.method != "POST":
        return None
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    expected = session.get("csrf") or ""
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(
            sent.encode(), str(expected).encode()):
        return jsonify({"error": {"code": "csrf", "message": "Missing or bad CSRF token; "
                                  "reload the page."}}), 400
    return None
