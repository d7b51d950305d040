"""Run Alembic migrations from code (the CLI's `db upgrade`, and the tests), and tell the
readiness probe whether the database holds the schema this code expects."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from core.config import ROOT
from core.db import Database


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    if database_url.startswith("sqlite:///") and ":memory:" not in database_url:
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), revision)


def shipped_heads(database_url: str) -> frozenset[str]:
    """The migration head(s) this code ships, from migrations/."""
    return frozenset(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


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
