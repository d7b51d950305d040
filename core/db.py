"""Engine and unit of work. The service layer owns the transaction: one `with db.session()`
per request or job, committed on success, rolled back on any error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Mapper, Session, sessionmaker
from sqlalchemy.pool import StaticPool

from core.clock import DEFAULT_NOW, Clock, utcnow

# What a use case runs in: one open transaction (see Database.session). The name lets the
# layers above hold one without importing SQLAlchemy.
UnitOfWork = Session


def make_engine(url: str, **kwargs: Any) -> Engine:
    """SQLite gets the settings that make it a good embedded default (WAL, FKs, waiting
    for the writer lock instead of failing); an in-memory URL shares one connection."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if not url.startswith("sqlite"):
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        return create_engine(url, **kwargs)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("check_same_thread", False)
    connect_args.setdefault("timeout", 30)
    if url in {"sqlite://", "sqlite:///:memory:", "sqlite+pysqlite:///:memory:"}:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own BEGIN handling breaks SAVEPOINT; take over (SQLAlchemy docs), and
        # take the write lock up front so a read-then-write never fails with BUSY.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if ":memory:" not in url and url != "sqlite://":
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def session_now(session: Session) -> datetime:
    """The current time by the clock of the Database that made this session."""
    database = session.info.get("database")
    return (database.clock if database is not None else utcnow)()


def _now_columns(mapper: Mapper[Any]) -> tuple[str, ...]:
    return tuple(attr.key for attr in mapper.column_attrs
                 if any(col.info.get(DEFAULT_NOW) for col in attr.columns))


def _fill_now_columns(session: Session, _context: Any, _instances: Any) -> None:
    now: datetime | None = None
    for obj in session.new:
        for key in _now_columns(inspect(obj).mapper):
            if getattr(obj, key) is None:
                now = now or session_now(session)
                setattr(obj, key, now)


class Database:
    def __init__(self, url: str, clock: Clock = utcnow, **engine_kwargs: Any) -> None:
        self.url = url
        self.clock = clock  # bootstrap() sets the services' clock; models' "now" uses it
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False,
                                         info={"database": self})
        event.listen(self.sessionmaker, "before_flush", _fill_now_columns)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commit if the block finishes, roll back if it raises."""
        with self.sessionmaker() as session, session.begin():
            yield session

    def create_all(self) -> None:
        from core.models import Base

        Base.metadata.create_all(self.engine)

    def ping(self) -> bool:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True

    def dispose(self) -> None:
        self.engine.dispose()
