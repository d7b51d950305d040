"""Engine and unit of work. The service layer owns the transaction: one `with db.session()`
per request or job, committed on success, rolled back on any error.

On SQLite a unit of work holds the write lock only from its first write to its end: it
reads in a deferred transaction (WAL readers never block, nor wait), and its first write
statement, SAVEPOINT or locking read (`with_for_update()`, which SQLite cannot express) ends
that read transaction, queues for the writers' gate and begins `BEGIN IMMEDIATE`. So the
writes, and every read after the first write, run under the lock with the latest data; the
reads before it see one consistent snapshot that may be older, which is the guarantee
PostgreSQL's READ COMMITTED gives the same code (and what its `FOR UPDATE` reads are for)."""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import Mapper, Session, sessionmaker
from sqlalchemy.pool import StaticPool

from core import forking
from core.clock import DEFAULT_NOW, Clock, utcnow

# What a use case runs in: one open transaction (see Database.session). The name lets the
# layers above hold one without importing SQLAlchemy.
UnitOfWork = Session


# A pooled server connection unused for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 1.0


def make_engine(url: str, *, ping_after_idle: float = PING_AFTER_IDLE_SECONDS,
                **kwargs: Any) -> Engine:
    """SQLite gets the settings that make it a good embedded default (WAL, FKs, waiting
    for the writer lock instead of failing); an in-memory URL shares one connection. A
    server database pings a connection only after `ping_after_idle` seconds in the pool.
    Statement parameters never appear in errors or logs (hide_parameters)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # A failed statement's error (and its log line, its traceback) must not quote the
    # parameters: password hashes, names, contact details.
    kwargs.setdefault("hide_parameters", True)
    if not url.startswith("sqlite"):
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        engine = create_engine(url, **kwargs)
        _ping_after_idle(engine, ping_after_idle)
        return engine
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("check_same_thread", False)
    connect_args.setdefault("timeout", 30)
    connect_args.setdefault("factory", SQLiteConnection)
    in_memory = url in {"sqlite://", "sqlite:///:memory:", "sqlite+pysqlite:///:memory:"}
    if in_memory:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    path = engine.url.database or ""
    gate = WriterGate.of(path + "-writer.lock", float(connect_args["timeout"])) \
        if path and not in_memory and ":memory:" not in path and "mode=memory" not in url \
        else None

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own BEGIN handling breaks SAVEPOINT; take over (SQLAlchemy docs): the
        # transaction begins at its first statement (see SQLiteConnection).
        dbapi_conn.isolation_level = None
        if isinstance(dbapi_conn, SQLiteConnection):
            dbapi_conn.gate = gate
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if gate is not None:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Any) -> None:
        _sqlite_dbapi(conn).pending_begin = True

    @event.listens_for(engine, "before_cursor_execute")
    def _sqlite_lock_for_writes(conn: Any, _cursor: Any, statement: str, _params: Any,
                                context: Any, _many: bool) -> None:
        dbapi_conn = _sqlite_dbapi(conn)
        if dbapi_conn.writing:
            return
        if dbapi_conn.pending_begin:
            dbapi_conn.begin(write=_writes(statement, context))
        elif dbapi_conn.in_transaction and _writes(statement, context):
            dbapi_conn.start_writing()

    return engine


def _ping_after_idle(engine: Engine, seconds: float) -> None:
    """`pool_pre_ping` without its round trip on every checkout: a busy worker's turn was
    ping, BEGIN, three statements, COMMIT, and the ping was a sixth of its waits. A server
    that restarted or dropped a connection shows it in a connection that sat idle, so those
    are pinged (a dead one discards the whole pool, as pool_pre_ping did); one that failed
    while in steady use fails that request's statement, and the statement's error
    invalidates the pool (SQLAlchemy's execute and core.prepared alike)."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since <= seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_conn, None):
                # as pool_pre_ping does: the server went away, so every pooled connection
                # is stale; the pool drops them all and connects afresh for this checkout
                raise InvalidatePoolError(str(error)) from error
            raise


_READ = re.compile(r"\s*SELECT\b", re.IGNORECASE)


def _writes(statement: str, context: Any) -> bool:
    """Anything but a plain SELECT needs the write lock: DML, DDL, SAVEPOINT (the read
    snapshot cannot end inside one), and a SELECT ... FOR UPDATE (dropped from SQLite's
    SQL, so read from the statement object)."""
    if not _READ.match(statement):
        return True
    compiled = getattr(context, "compiled", None)
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None


def _sqlite_dbapi(conn: Any) -> SQLiteConnection:
    return conn.connection.dbapi_connection  # type: ignore[no-any-return]


class SQLiteConnection(sqlite3.Connection):
    """A pysqlite connection that knows whether its transaction writes.

    SQLAlchemy's "begin" only marks a transaction pending; the first statement then sends
    BEGIN (a read) or BEGIN IMMEDIATE (a write, after queuing at the gate). A read
    transaction that comes to write has written nothing, so it is ended and replaced by an
    immediate one. Commit, rollback and close hand the gate on."""

    gate: WriterGate | None = None
    pending_begin = False
    writing = False

    def begin(self, *, write: bool) -> None:
        self.pending_begin = False
        if write:
            self._begin_immediate()
        else:
            self.execute("BEGIN")

    def start_writing(self) -> None:
        self.execute("ROLLBACK")  # a read transaction: nothing to keep but its snapshot
        self._begin_immediate()

    def _begin_immediate(self) -> None:
        if self.gate is not None:
            self.gate.acquire(self)
        self.writing = True
        self.execute("BEGIN IMMEDIATE")  # waits in SQLite's busy handler for other writers

    def _ended(self) -> None:
        self.pending_begin = self.writing = False
        if self.gate is not None:
            self.gate.release(self)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._ended()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._ended()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._ended()
            if self.gate is not None:
                self.gate.forget(self)


class WriterGate:
    """Writers to one SQLite file queue on a kernel lock instead of SQLite's busy handler.

    A writer that finds SQLite's lock taken sleeps and retries (1, 2, 5, 10 ... 100 ms), so
    with two worker processes a short write could wait tens of milliseconds for a lock
    freed a moment after it first looked. An flock() on a side file (one open file per
    connection, so threads and processes alike) is tried every 0.1-1 ms instead, and given
    back at commit or rollback. One gate per file in a process (`of`): a thread that holds
    it through one connection does not queue again through another (it would wait for
    itself) but meets SQLite's lock and its timeout, as it did before the gate; past that
    timeout a writer stops queuing here and SQLite decides."""

    _by_path: ClassVar[dict[str, WriterGate]] = {}
    _registry_lock = threading.Lock()

    @classmethod
    def of(cls, path: str, timeout: float) -> WriterGate:
        with cls._registry_lock:
            gate = cls._by_path.get(path)
            if gate is None:
                gate = cls._by_path[path] = cls(path, timeout)
            return gate

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._fds: dict[int, int] = {}
        self._holders: dict[int, int] = {}  # connection id -> thread id, while held
        self._lock = threading.Lock()

    def acquire(self, conn: object) -> None:
        key, me = id(conn), threading.get_ident()
        with self._lock:
            if key in self._holders or me in self._holders.values():
                return
            fd = self._fds.get(key)
            if fd is None:
                fd = self._fds[key] = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline, pause = time.monotonic() + self.timeout, 0.0001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return  # SQLite's own busy timeout decides from here
                time.sleep(pause)
                pause = min(pause * 2, 0.001)
        with self._lock:
            self._holders[key] = me

    def release(self, conn: object) -> None:
        key = id(conn)
        with self._lock:
            if self._holders.pop(key, None) is None:
                return
            fd = self._fds[key]
        fcntl.flock(fd, fcntl.LOCK_UN)

    def forget(self, conn: object) -> None:
        with self._lock:
            self._holders.pop(id(conn), None)
            fd = self._fds.pop(id(conn), None)
        if fd is not None:
            os.close(fd)  # closing drops the lock too

    def _after_fork(self) -> None:
        """In a forked child: the parent's lock files are the parent's (an flock belongs to
        the open file, so a child using them would hold the parent's lock with it). Closing
        the child's copies leaves the parent's locks as they are (no LOCK_UN)."""
        for fd in self._fds.values():
            with suppress(OSError):
                os.close(fd)
        self._fds, self._holders, self._lock = {}, {}, threading.Lock()

    @classmethod
    def _after_fork_all(cls) -> None:
        cls._registry_lock = threading.Lock()
        for gate in cls._by_path.values():
            gate._after_fork()


os.register_at_fork(after_in_child=WriterGate._after_fork_all)



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
        forking.in_child(self, Database._after_fork)

    def _after_fork(self) -> None:
        """A forked child opens its own connections: the pooled ones are the parent's
        (SQLAlchemy's recipe for pools across fork: dispose without closing them)."""
        self.engine.dispose(close=False)

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
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True

    def dispose(self) -> None:
        self.engine.dispose()
