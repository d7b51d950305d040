"""One engine and a session factory from DATABASE_URL, as a plain Flask + SQLAlchemy app
has them (pool and driver defaults). SQLite gets the settings ours runs with (WAL,
synchronous=NORMAL); the driver's own transaction handling stays: pysqlite issues BEGIN just
before the first INSERT/UPDATE, so the write lock is held only from there to the commit.
(SQLAlchemy's BEGIN IMMEDIATE recipe held it for the whole request and halved this
baseline's throughput with 2 workers: SQLite's busy handler sleeps 1-100 ms while waiting.)"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import UTC, datetime

from sqlalchemy import create_engine, event
from sqlalchemy.orm import sessionmaker


def _url(url: str) -> str:
    return ("postgresql+psycopg://" + url.removeprefix("postgresql://")
            if url.startswith("postgresql://") else url)


def make_sessions() -> sessionmaker:
    url = _url(os.environ["DATABASE_URL"])
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):  # type: ignore[no-untyped-def]
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
    else:
        engine = create_engine(url)
    return sessionmaker(engine, expire_on_commit=False)


def now() -> datetime:
    return datetime.now(UTC)


def keyed_hash(value: str) -> str:
    """The address hash the schema stores beside a message or click (HMAC with HASH_KEY)."""
    return hmac.new(os.environ["HASH_KEY"].encode(), value.encode(), hashlib.sha256).hexdigest()
