"""Run Alembic migrations from code (the CLI's `db upgrade`, and the tests), and tell the
readiness probe whether the database holds the schema this code expects."""

from __future__ import annotations

import ast
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

from core.config import ROOT
from core.db import Database

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(database_url: str) -> Config:
    # Alembic (8 MB, 124 modules) loads only for migrating: the web reads the heads below.
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    if database_url.startswith("sqlite:///") and ":memory:" not in database_url:
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def shipped_heads(_database_url: str = "") -> frozenset[str]:
    """The migration head(s) this code ships: the revisions in migrations/versions that no
    other names as its `down_revision`. Read from the files' assignments, as Alembic reads
    them, without importing Alembic into every web worker (tests/test_lean_workers.py
    checks this against Alembic's own ScriptDirectory)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (ROOT / "migrations" / "versions").glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            if not isinstance(target, ast.Name):
                continue
            if target.id == "revision":
                revisions.add(ast.literal_eval(value))
            elif target.id == "down_revision":
                down = ast.literal_eval(value)
                parents.update([down] if isinstance(down, str) else down or ())
    return frozenset(revisions - parents)


class SchemaState(StrEnum):
    OK = "ok"
    MISSING = "missing"  # no tables: run `db upgrade`
    BEHIND = "behind"  # a migration is pending


def schema_state(db: Database, heads: frozenset[str]) -> SchemaState:
    """A schema made by create_all (tests) has no alembic_version table and counts as ok."""
    with db.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        if "shops" not in tables:
            return SchemaState.MISSING
        if "alembic_version" not in tables:
            return SchemaState.OK
        current: set[str] = set(
            conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return SchemaState.OK if current == heads else SchemaState.BEHIND
