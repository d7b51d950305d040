"""CSRF for the merchant pages' POSTs: the same session token the console uses (sent as
the form's `csrf_token` or the `X-CSRF-Token` header by our static scripts)."""

from __future__ import annotations

import hmac

from flask import jsonify, request, session
from flask.typing import ResponseReturnValue


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
