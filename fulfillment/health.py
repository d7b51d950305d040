"""Probes for load balancers and process managers. `/livez`: the process answers (restart it
if not); `/readyz` (and the older `/healthz`): the database answers and holds our schema at
the migration this code expects (send traffic only then)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from core.migrate import SchemaState, schema_state, shipped_heads
from fulfillment.context import services
from fulfillment.web.auth import public

bp = Blueprint("health", __name__)
EXT = "referrals.health"


@bp.record_once
def _setup(state: Any) -> None:
    """The migration head this code ships, read once from migrations/."""
    url = state.app.extensions["referrals.services"].settings.database_url
    state.app.extensions[EXT] = shipped_heads(url)


@bp.get("/livez")
@public("liveness probe: no data")
def livez() -> ResponseReturnValue:
    """No I/O: a process that answers this is alive, whatever the database does."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@bp.get("/healthz")
@public("readiness probe: no data")
def readyz() -> ResponseReturnValue:
    """200 only when the database answers with the expected schema; 503 says what is not."""
    try:
        services().db.ping()
        schema = schema_state(services().db, current_app.extensions[EXT])
    except Exception as exc:  # any failure means "not ready"
        return jsonify({"status": "unavailable", "database": type(exc).__name__}), 503
    if schema is not SchemaState.OK:
        return jsonify({"status": "unavailable", "database": "ok",
                        "schema": schema.value}), 503
    return jsonify({"status": "ok", "database": "ok"})
