"""Security headers on every response and the session cookie's `Secure` flag.

HTML pages get a Content-Security-Policy that allows scripts, styles and connections only
from this origin (no inline script or handler anywhere: tests/test_security_headers.py reads
every template), may not be framed (frame-ancestors 'none' and X-Frame-Options DENY), and
send no referrer across origins; every response gets nosniff; HSTS when served over https.
"Over https" is the request's own scheme (direct TLS, or a proxy trusted by the WSGI
server) or a BASE_URL that starts with https:// (TLS in front); the embedded default
(http://127.0.0.1) is neither, so local development keeps working over plain http.

Hand-written rather than flask-talisman: this is one fixed set of headers, and Talisman's
defaults (redirecting every request to https, per-view overrides, nonces) would fight the
plain-http local default and the webhooks; ten lines do exactly what is needed."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, has_request_context, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin

PAGE_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: https:",  # the QR image may come from a shop's own link domain
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
))
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"  # JSON, images, redirects
HSTS = "max-age=31536000; includeSubDomains"
COMMON = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
          "Referrer-Policy": "same-origin"}


def served_over_https(app: Flask) -> bool:
    return bool(app.config.get("PUBLIC_HTTPS")) or (has_request_context()
                                                    and request.is_secure)


class SessionInterface(SecureCookieSessionInterface):
    """The signed session cookie, `Secure` whenever the app is served over https.

    Flask builds a new signing serializer for every request, cookie or not; this one keeps
    it while the keys stay the same, and a request that leaves its session empty and
    untouched (every webhook) goes without the cookie settings being read."""

    _signer: tuple[Any, Any] | None = None

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or served_over_https(app)

    def get_signing_serializer(self, app: Flask) -> Any:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._signer is None or self._signer[0] != keys:
            self._signer = (keys, super().get_signing_serializer(app))
        return self._signer[1]

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified:  # Flask's own first exit, taken early
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def install(app: Flask, public_base_url: str) -> None:
    app.config["PUBLIC_HTTPS"] = public_base_url.startswith("https://")
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.session_interface = SessionInterface()

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        present = {name.lower() for name, _ in headers.items()}  # one pass, not one per header
        html = response.mimetype == "text/html"
        wanted = [*COMMON.items(), ("Content-Security-Policy", PAGE_POLICY if html
                                    else OTHER_POLICY)]
        if html:
            wanted.append(("Cross-Origin-Opener-Policy", "same-origin"))
        if served_over_https(app):
            wanted.append(("Strict-Transport-Security", HSTS))
        headers.extend([(name, value) for name, value in wanted
                        if name.lower() not in present])
        return response
