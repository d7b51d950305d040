"""One mapping from failures to answers: JSON `{"error": {"code", "message"}}` for machine
routes, a friendly page for people. Never a bare 500."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from core.errors import DomainError

log = logging.getLogger(__name__)
BROWSER_PREFIXES = ("/r/", "/console", "/dashboard", "/demo", "/unsubscribe", "/u/", "/settings",
                    "/login", "/logout", "/signup", "/account", "/verify", "/password",
                    "/invite", "/welcome", "/sandbox", "/connect", "/program", "/store",
                    "/review", "/referrals", "/customers", "/kpis", "/team", "/brand",
                    "/privacy", "/terms", "/shopify/install", "/shopify/callback")


def wants_html() -> bool:
    """People's pages answer with a page (a refusal is a sentence, never raw JSON); the
    pages' own scripts (JSON bodies or Accept: application/json) and machine routes get
    the JSON error."""
    path = request.path
    if path.startswith("/console/api/"):
        return False  # the console's script reads JSON errors
    if request.is_json or request.accept_mimetypes.best == "application/json":
        return False
    return path.startswith(BROWSER_PREFIXES) or path == "/"


def error_response(status: int, code: str, message: str, details: object = None) -> Response:
    if wants_html():
        page = render_template("error.html", status=status, code=code, message=message)
        return Response(page, status=status, mimetype="text/html")
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if details is not None:
        body["error"]["details"] = details
    response = jsonify(body)
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        code = (exc.name or "error").lower().replace(" ", "_")
        response = error_response(exc.code or 400, code, exc.description or exc.name)
        for name, value in exc.get_headers():  # a 405's Allow, a 401's WWW-Authenticate
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "Something went wrong on our side.")
