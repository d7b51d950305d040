"""A pooled PostgreSQL connection is pinged before use only after it sat idle (the ping was
a round trip of every request): one the server dropped while idle is replaced unseen, and
one in steady use is not pinged at all."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from core.db import make_engine


@pytest.fixture
def url(postgres_url: str | None) -> Iterator[str]:
    if postgres_url is None:
        pytest.skip("PostgreSQL not configured (TEST_DATABASE_URL)")
    yield postgres_url


def _backend_pid(engine: object) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(url: str, pid: int) -> None:
    admin = make_engine(url, pool_size=1)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        conn.commit()
    admin.dispose()
    time.sleep(0.2)  # the backend's exit reaches the socket


def test_a_connection_dropped_while_idle_is_replaced_before_use(url: str) -> None:
    engine = make_engine(url, ping_after_idle=0.0, pool_size=1, max_overflow=0)
    first = _backend_pid(engine)
    _terminate(url, first)
    second = _backend_pid(engine)  # no error: the ping found it dead, the pool reconnected
    assert second != first
    engine.dispose()


def test_without_the_idle_ping_a_dropped_connection_fails_its_request(url: str) -> None:
    """The control for the test above: the same drop, a threshold not yet reached."""
    engine = make_engine(url, ping_after_idle=3600.0, pool_size=1, max_overflow=0)
    first = _backend_pid(engine)
    _terminate(url, first)
    with pytest.raises(OperationalError):
        _backend_pid(engine)
    assert _backend_pid(engine) != first  # the failure invalidated the pool
    engine.dispose()


def _counting_pings(engine: Any) -> list[object]:
    pings: list[object] = []
    original = engine.dialect.do_ping

    def counted(conn: Any) -> bool:
        pings.append(conn)
        return bool(original(conn))

    engine.dialect.do_ping = counted
    return pings


def test_a_connection_in_steady_use_is_not_pinged(url: str) -> None:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    pings = _counting_pings(engine)
    for _ in range(5):
        _backend_pid(engine)
    assert pings == []
    engine.dispose()


def test_a_connection_back_from_idle_is_pinged_once_then_used(url: str) -> None:
    engine = make_engine(url, ping_after_idle=0.05, pool_size=1, max_overflow=0)
    pings = _counting_pings(engine)
    first = _backend_pid(engine)
    time.sleep(0.1)
    assert _backend_pid(engine) == first  # alive: pinged, kept
    assert len(pings) == 1
    engine.dispose()


def test_a_dead_idle_connection_discards_the_whole_pool(url: str) -> None:
    """As pool_pre_ping: a server that went away left every pooled connection stale."""
    engine = make_engine(url, ping_after_idle=0.0, pool_size=2, max_overflow=0)
    pings = _counting_pings(engine)
    with engine.connect() as a, engine.connect() as b:
        pids = {int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in (a, b)}
    for pid in pids:
        _terminate(url, pid)
    with engine.connect() as a, engine.connect() as b:  # neither fails: both are new
        fresh = {int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in (a, b)}
    assert not fresh & pids
    assert len(pings) == 1  # the first dead one was enough: the other was not tried
    engine.dispose()
