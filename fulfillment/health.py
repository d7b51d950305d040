"""Probes for load balancers and process managers. `/livez`: the process answers (restart it
if not); `/readyz` (and the older `/healthz`): the database answers and holds our schema at
the migration this code expects (send traffic only then)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import inspect, text

from fulfillment.context import services
from fulfillment.web.auth import public

bp = Blueprint("health", __name__)
EXT = "referrals.health"


@bp.record_once
def _setup(state: Any) -> None:
    """The migration head this code ships, read once from migrations/."""
    from alembic.script import ScriptDirectory

    from core.migrate import alembic_config

    url = state.app.extensions["referrals.services"].settings.database_url
    state.app.extensions[EXT] = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


def _schema(heads: set[str]) -> str:
    """ok, missing (no tables: run `db upgrade`), or behind (a migration is pending).
    A schema made by create_all (tests) has no alembic_version table and counts as ok."""
    with services().db.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        if "shops" not in tables:
            return "missing"
        if "alembic_version" not in tables:
            return "ok"
        current: set[str] = set(
            conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return "ok" if current == heads else "behind"


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
        schema = _schema(current_app.extensions[EXT])
    except Exception as exc:  # any failure means "not ready"
        return jsonify({"status": "unavailable", "database": type(exc).__name__}), 503
    if schema != "ok":
        return jsonify({"status": "unavailable", "database": "ok", "schema": schema}), 503
    return jsonify({"status": "ok", "database": "ok"})
