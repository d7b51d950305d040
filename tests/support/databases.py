"""Real databases for tests: a fresh SQLite file per test, and, when TEST_DATABASE_URL is
set, a PostgreSQL database private to this pytest process (so parallel runs never meet),
schema created once and emptied after each test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.db import Database
from core.models import Base

PG_ENV = "TEST_DATABASE_URL"


def postgres_configured() -> bool:
    return bool(os.environ.get(PG_ENV))


@contextmanager
def private_postgres() -> Iterator[str]:
    """CREATE DATABASE <random> on the configured server; DROP it afterwards."""
    base = make_url(os.environ[PG_ENV].replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def truncate_all(database: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
