"""The databases the benchmarks use exist before they start: a PostgreSQL database a bench
names is created through the server's `postgres` admin database when missing; a server that
cannot be reached means SQLite instead, said in one line (a bench never stops on a missing
database). Benches run as separate processes, so the secrets they share are set here once."""

from __future__ import annotations

import os
import secrets

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError


def ensure_secrets() -> None:
    """Random SECRET_KEY / HASH_KEY for this run unless given: the seeding command, the
    servers and the workers a bench starts inherit the same ones."""
    for name in ("SECRET_KEY", "HASH_KEY"):
        if not os.environ.get(name):
            os.environ[name] = secrets.token_hex(32)


def _sqlalchemy_url(url: str) -> str:
    return ("postgresql+psycopg://" + url.removeprefix("postgresql://")
            if url.startswith("postgresql://") else url)


def where(url: str) -> str:
    """The URL without credentials, for a line of output."""
    return make_url(_sqlalchemy_url(url)).render_as_string(hide_password=True)


def ensure_postgres(url: str) -> None:
    """CREATE DATABASE for the database `url` names if the server does not have it yet."""
    target = make_url(_sqlalchemy_url(url))
    name = target.database or ""
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": name}).first()
            if exists is None:
                quoted = conn.dialect.identifier_preparer.quote(name)
                conn.execute(text(f"CREATE DATABASE {quoted}"))
                print(f"created PostgreSQL database {name!r} at {where(url)}", flush=True)
    finally:
        admin.dispose()


def reset_postgres(url: str) -> None:
    """An empty public schema: a bench that seeds its own rows starts from nothing, so a
    second run does not meet the first one's customers."""
    engine = create_engine(_sqlalchemy_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    finally:
        engine.dispose()


def database_or_sqlite(url: str, sqlite_path: str) -> str:
    """`url` made ready (PostgreSQL: created if missing), or a SQLite file at `sqlite_path`
    when `url` is empty or its server cannot be reached."""
    if not url or url.startswith("sqlite"):
        return url or f"sqlite:///{sqlite_path}"
    try:
        ensure_postgres(url)
        return url
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        print(f"PostgreSQL at {where(url)} unreachable ({reason}): using SQLite "
              f"({sqlite_path}) instead", flush=True)
        return f"sqlite:///{sqlite_path}"
