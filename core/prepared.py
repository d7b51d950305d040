"""Hot statements run at the driver: a Core statement compiled once per dialect, executed on
the unit of work's own connection with the driver's cursor.

Why: on the voice turn and the signed event, SQLAlchemy's per-statement machinery (the
execution context, parameter construction, result metadata, the ORM session's execute)
cost about ten times what SQLite or PostgreSQL spend on the statement itself (0.25-0.4 ms
against 0.025 ms for the speaker read, measured in bench/profile_turn.py). The statement is
still written with SQLAlchemy, against the same tables, so it is checked and compiled by
SQLAlchemy; only the execution is done here, once the work SQLAlchemy repeats per call has
been done once:

- the SQL string and the order of its parameters, per dialect;
- literal bound values and the columns' Python-side defaults (an INSERT compiled for a
  given set of columns);
- the types' bind and result processors (UTC datetimes, JSON, booleans on SQLite).

It runs inside the session's transaction: the engine's `before_cursor_execute` listeners
are called as SQLAlchemy would call them (core.db's SQLite writer gate and statement
counters in tests see every statement), a driver error goes through SQLAlchemy's own
handling (its exception class, so an `IntegrityError` stays one; a lost connection
invalidates the pool), and pending ORM changes are flushed first, as an ORM execute
would."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

Row = tuple[Any, ...]
Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Context:
    """What the engine's listeners read of an execution context (core.db looks at
    `compiled.statement` to tell a locking read from a plain one)."""

    compiled: Any


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # parameters in the order a positional driver wants them
    positional: bool
    fixed: Mapping[str, Any]  # literal values bound in the statement itself
    defaults: tuple[tuple[str, Callable[[], Any]], ...]  # Python-side column defaults
    binders: tuple[tuple[str, Processor], ...]
    returns_rows: bool  # known from the statement: psycopg builds `description` per call
    readers: tuple[Processor | None, ...] | None  # per result column; None: none needed
    context: _Context

    def parameters(self, given: Mapping[str, Any]) -> Any:
        values = dict(self.fixed)
        values.update(given)
        for name, make in self.defaults:
            if name not in values:
                values[name] = make()
        for name, process in self.binders:
            values[name] = process(values[name])
        if self.positional:
            return [values[name] for name in self.names]
        return values


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


def _compile(statement: ClauseElement, dialect: Dialect,
             columns: Sequence[str] | None) -> _Compiled:
    compiled: Any = statement.compile(dialect=dialect, column_keys=list(columns or ()) or None)
    names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
    fixed = {name: bind.effective_value for name, bind in compiled.binds.items()
             if not bind.required and bind.callable is None and name not in (columns or ())}
    defaults: list[tuple[str, Callable[[], Any]]] = []
    # an INSERT's: a named column may be left out of a call's values (an UPDATE's `columns`
    # are the ones it sets, given every time)
    table = getattr(statement, "table", None) if getattr(statement, "is_insert", False) \
        else None
    named = [table.c[name] for name in columns or () if name in table.c] if table is not None \
        else []
    if getattr(compiled, "update_prefetch", None):
        raise ValueError(f"{statement} has onupdate defaults, which cannot run at the driver")
    for column in [*getattr(compiled, "insert_prefetch", ()), *named]:
        default = column.default
        fixed.pop(column.key, None)
        if default is None:
            continue
        if default.is_scalar:
            defaults.append((column.key, _constant(default.arg)))
        elif default.is_callable:
            defaults.append((column.key, functools.partial(default.arg, None)))
        else:
            raise ValueError(f"{column} has a default that cannot run at the driver")
    processors = compiled._bind_processors
    # once per name: a positional statement lists a repeated parameter twice
    binders = tuple((name, processors[name]) for name in dict.fromkeys(names)
                    if name in processors)
    readers: list[Processor | None] = []
    for entry in getattr(compiled, "_result_columns", ()) or ():
        readers.append(entry.type._cached_result_processor(dialect, None))
    return _Compiled(
        sql=compiled.string, names=names, positional=bool(compiled.positional), fixed=fixed,
        defaults=tuple(defaults), binders=binders, returns_rows=bool(readers),
        readers=tuple(readers) if any(readers) else None, context=_Context(compiled))


class Prepared:
    """One hot statement. `columns` names the parameters an INSERT is compiled for (the
    rest of its columns take their defaults); a SELECT or an UPDATE binds what it names.
    `variants` gives a dialect its own form of the statement (same parameters, same
    result columns)."""

    def __init__(self, statement: ClauseElement, columns: Sequence[str] | None = None, *,
                 variants: Mapping[str, ClauseElement] | None = None) -> None:
        self.statement = statement
        self.columns = tuple(columns or ())
        self.variants = dict(variants or {})
        self._by_dialect: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _for(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            with self._lock:
                found = self._by_dialect.get(dialect.name)
                if found is None:
                    statement = self.variants.get(dialect.name, self.statement)
                    found = self._by_dialect[dialect.name] = _compile(
                        statement, dialect, self.columns)
        return found

    def rows(self, session: Session, params: Mapping[str, Any]) -> list[Row]:
        """Every row of the result (none for a statement without one)."""
        session.flush()  # pending ORM changes go first, as autoflush would (free when none)
        conn = session.connection()
        compiled = self._for(conn.dialect)
        values = compiled.parameters(params)
        return _run(conn, compiled, values)

    def first(self, session: Session, params: Mapping[str, Any]) -> Row | None:
        found = self.rows(session, params)
        return found[0] if found else None

    def one(self, session: Session, params: Mapping[str, Any]) -> Row:
        """Exactly one row, or SQLAlchemy's NoResultFound / MultipleResultsFound."""
        found = self.rows(session, params)
        if not found:
            raise exc.NoResultFound("No row was found when one was required")
        if len(found) > 1:
            raise exc.MultipleResultsFound("Multiple rows were found when one was required")
        return found[0]

    def scalar(self, session: Session, params: Mapping[str, Any]) -> Any:
        found = self.rows(session, params)
        return found[0][0] if found else None


class PreparedByColumns:
    """A statement whose columns vary by call: an INSERT of the columns an event gives, an
    UPDATE of the columns that changed. One Prepared per set of columns, made at its first
    use (a few dozen sets at most: the columns an event can carry)."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._by_columns: dict[frozenset[str], Prepared] = {}

    def of(self, columns: Iterable[str]) -> Prepared:
        key = frozenset(columns)
        found = self._by_columns.get(key)
        if found is None:
            found = self._by_columns.setdefault(key, Prepared(self.statement, sorted(key)))
        return found


def _run(conn: Connection, compiled: _Compiled, values: Any) -> list[Row]:
    dbapi_conn: Any = conn.connection.dbapi_connection
    cursor = None
    try:
        cursor = dbapi_conn.cursor()
        listeners = conn.dispatch.before_cursor_execute
        if listeners:
            listeners(conn, cursor, compiled.sql, values, compiled.context, False)
        cursor.execute(compiled.sql, values)
        rows = cursor.fetchall() if compiled.returns_rows else []
    except conn.dialect.loaded_dbapi.Error as error:
        # What SQLAlchemy's own execute does with a driver error: its exception class, and
        # a lost connection (server restarted, socket closed) invalidates this connection
        # and the pool, so the next unit of work connects afresh.
        conn._handle_dbapi_exception(error, compiled.sql, values, cursor, None)
        raise  # not reached: the call above raises the wrapped error
    finally:
        if cursor is not None:
            cursor.close()
    readers = compiled.readers
    if readers is None:
        return rows
    return [tuple(read(value) if read is not None else value
                  for read, value in zip(readers, row, strict=True)) for row in rows]
