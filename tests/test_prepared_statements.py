"""core.prepared runs a Core statement at the driver with what SQLAlchemy would have done
around it: column defaults, types both ways, the engine's listeners, its exception classes,
the session's pending objects first, and the session's own transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.db import Database
from core.models import Shop
from core.prepared import Prepared, PreparedByColumns

_shops = Shop.__table__
ADD_SHOP = Prepared(insert(_shops).returning(_shops.c.id, _shops.c.currency),
                    ("slug", "name", "landing_url", "settings", "created_at"))
SHOP = Prepared(select(_shops.c.id, _shops.c.settings, _shops.c.created_at,
                       _shops.c.invocation_name).where(_shops.c.slug == bindparam("slug")))
RENAME = Prepared(update(_shops).where(_shops.c.slug == bindparam("old")).values(
    slug=bindparam("new")))
WHEN = datetime(2026, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=3)))


def _add(database: Database, slug: str, **extra: Any) -> tuple[Any, ...] | None:
    with database.session() as session:
        return ADD_SHOP.first(session, {"slug": slug, "name": "Shop", "created_at": WHEN,
                                        "landing_url": "https://shop.example", **extra})


def test_an_insert_takes_the_column_defaults_and_returns_its_row(database: Database) -> None:
    row = _add(database, "one", settings={"alexa_skill_id": "x"})
    assert row is not None and row[1] == "USD"  # the column's default
    with database.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "one"))
        assert shop is not None
        assert (shop.currency, shop.invocation_name, shop.locale) == ("USD", "", "en-US")


def test_types_round_trip_as_through_the_orm(database: Database) -> None:
    _add(database, "typed", settings={"nested": {"a": [1, 2]}, "flag": True})
    with database.session() as session:
        found = SHOP.first(session, {"slug": "typed"})
    assert found is not None
    _, settings, created_at, invocation = found
    assert settings == {"nested": {"a": [1, 2]}, "flag": True}
    assert created_at == WHEN and created_at.tzinfo is not None
    assert created_at.utcoffset() == timedelta(0)  # handed back in UTC, as UTCDateTime does
    assert invocation == ""


def test_a_statement_without_rows_answers_an_empty_list(database: Database) -> None:
    _add(database, "before")
    with database.session() as session:
        assert RENAME.rows(session, {"old": "before", "new": "after"}) == []
    with database.session() as session:
        assert SHOP.scalar(session, {"slug": "after"}) is not None
        assert SHOP.scalar(session, {"slug": "before"}) is None


def test_a_unique_violation_is_sqlalchemys_integrity_error_and_rolls_back(
        database: Database) -> None:
    _add(database, "dup")
    with pytest.raises(IntegrityError):
        _add(database, "dup")
    with database.session() as session:
        assert len(SHOP.rows(session, {"slug": "dup"})) == 1


def test_the_engines_listeners_see_each_statement(database: Database) -> None:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.split()[0])

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        _add(database, "heard")
        with database.session() as session:
            SHOP.first(session, {"slug": "heard"})
    finally:
        event.remove(database.engine, "before_cursor_execute", note)
    assert seen == ["INSERT", "SELECT"]


def test_pending_orm_objects_are_flushed_before_the_statement(database: Database) -> None:
    with database.session() as session:
        session.add(Shop(slug="pending", name="P", landing_url="https://p.example",
                         created_at=datetime(2026, 1, 1, tzinfo=UTC)))
        assert SHOP.first(session, {"slug": "pending"}) is not None


def test_it_runs_in_the_sessions_transaction(database: Database) -> None:
    class Undo(Exception):
        pass

    with pytest.raises(Undo), database.session() as session:
        ADD_SHOP.first(session, {"slug": "undone", "name": "U", "created_at": WHEN,
                                 "landing_url": "https://u.example"})
        raise Undo
    with database.session() as session:
        assert SHOP.first(session, {"slug": "undone"}) is None


def test_a_dialect_variant_replaces_the_statement_there_only(database: Database) -> None:
    _add(database, "variant")
    plain = select(_shops.c.slug).where(_shops.c.slug == bindparam("slug"))
    upper = select(_shops.c.name).where(_shops.c.slug == bindparam("slug"))
    picked = Prepared(plain, variants={database.engine.dialect.name: upper})
    with database.session() as session:
        assert picked.scalar(session, {"slug": "variant"}) == "Shop"


def test_a_parameter_used_twice_is_converted_once(database: Database) -> None:
    twice = Prepared(select(bindparam("v", type_=_shops.c.settings.type).label("a"),
                            bindparam("v", type_=_shops.c.settings.type).label("b")))
    with database.session() as session:
        assert twice.first(session, {"v": {"k": [1]}}) == ({"k": [1]}, {"k": [1]})


ADD_SHOP_WITH = PreparedByColumns(insert(_shops).returning(_shops.c.id))
CHANGE_SHOP = PreparedByColumns(update(_shops).where(_shops.c.slug == bindparam("_slug")))


def test_by_columns_inserts_what_a_call_names_and_defaults_the_rest(database: Database) -> None:
    base = {"slug": "bycol", "name": "Shop", "landing_url": "https://s.example",
            "created_at": WHEN}
    with database.session() as session:
        ADD_SHOP_WITH.of(base).one(session, base)
        other = {**base, "slug": "bycol-eur", "currency": "EUR"}
        ADD_SHOP_WITH.of(other).one(session, other)
    with database.session() as session:
        currencies = dict(session.execute(select(Shop.slug, Shop.currency)).all())
    assert currencies == {"bycol": "USD", "bycol-eur": "EUR"}


def test_by_columns_updates_only_the_columns_given(database: Database) -> None:
    _add(database, "upd")
    with database.session() as session:
        CHANGE_SHOP.of(["name"]).rows(session, {"_slug": "upd", "name": "Renamed"})
        CHANGE_SHOP.of(["currency"]).rows(session, {"_slug": "upd", "currency": "EUR"})
    with database.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "upd"))
        assert shop is not None
        assert (shop.name, shop.currency, shop.landing_url) == (
            "Renamed", "EUR", "https://shop.example")
    assert CHANGE_SHOP.of({"name"}) is CHANGE_SHOP.of(["name"])  # compiled once per set


def test_a_lost_connection_is_invalidated_and_the_next_unit_of_work_reconnects(
        database: Database) -> None:
    """As SQLAlchemy's own execute does: the statement's error says the connection was
    lost, and the pool does not hand that connection out again."""
    _add(database, "alive")
    with pytest.raises(DBAPIError) as raised, database.session() as session:
        session.connection().connection.dbapi_connection.close()  # the server went away
        SHOP.first(session, {"slug": "alive"})
    assert raised.value.connection_invalidated
    assert (raised.value.statement or "").startswith("SELECT")  # the statement's own error
    with database.session() as session:
        assert SHOP.scalar(session, {"slug": "alive"}) is not None


def test_an_update_with_onupdate_defaults_is_refused_at_compile_time() -> None:
    """They would not run at the driver: refused rather than silently skipped."""
    table = Table("stamped", MetaData(), Column("id", Integer, primary_key=True),
                  Column("name", String), Column("touched", Integer, onupdate=lambda: 1))
    stamped = PreparedByColumns(update(table).where(table.c.id == bindparam("_id")))
    with pytest.raises(ValueError, match="onupdate"):
        stamped.of(["name"])._for(sqlite_dialect.dialect())
    assert stamped.of(["name", "touched"])._for(sqlite_dialect.dialect()).sql.startswith(
        "UPDATE stamped SET name=?, touched=?")
