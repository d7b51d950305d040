from __future__ import annotations

from flask import Blueprint, jsonify

from fulfillment.context import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """200 only when the database answers; load balancers take the body as a bonus."""
    try:
        services().db.ping()
    except Exception as exc:  # any failure means "not healthy"
        return jsonify({"status": "unavailable", "database": type(exc).__name__}), 503
    return jsonify({"status": "ok", "database": "ok"})
