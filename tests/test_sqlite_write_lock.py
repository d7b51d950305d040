"""SQLite: a unit of work holds the write lock only from its first write (or locking read) to
its end, so reads never keep another writer waiting, and writers still never interleave."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from core.db import Database
from core.models import Shop


@pytest.fixture
def sqlite_file(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    db = Database(url)
    db.create_all()
    with db.session() as session:
        session.add(_shop("one", "One"))
    db.dispose()
    return url


def _shop(slug: str, name: str) -> Shop:
    return Shop(slug=slug, name=name, landing_url="https://shop.test/")


def impatient(url: str) -> Database:
    """A second process's view of the file that gives up on a held lock within 0.2 s."""
    return Database(url, connect_args={"timeout": 0.2})


def test_a_unit_of_work_that_only_reads_does_not_keep_a_writer_waiting(sqlite_file: str) -> None:
    reader, writer = Database(sqlite_file), impatient(sqlite_file)
    with reader.session() as session:
        assert session.scalar(select(Shop.name)) == "One"
        with writer.session() as other:  # would wait for the reader under BEGIN IMMEDIATE
            other.add(_shop("two", "Two"))
        assert session.scalar(select(Shop.name).where(Shop.slug == "one")) == "One"
    reader.dispose()
    writer.dispose()


def test_after_its_first_write_a_unit_of_work_holds_the_lock_until_it_ends(
        sqlite_file: str) -> None:
    first, second = Database(sqlite_file), impatient(sqlite_file)
    with first.session() as session:
        session.add(_shop("two", "Two"))
        session.flush()
        with pytest.raises(OperationalError, match="locked"), second.session() as other:
            other.add(_shop("three", "Three"))
    with second.session() as other:  # given back at commit
        other.add(_shop("three", "Three"))
    with first.session() as session:
        assert sorted(session.scalars(select(Shop.slug))) == ["one", "three", "two"]
    first.dispose()
    second.dispose()


def test_a_locking_read_takes_the_write_lock_like_for_update_on_postgresql(
        sqlite_file: str) -> None:
    first, second = Database(sqlite_file), impatient(sqlite_file)
    with first.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "one").with_for_update())
        with pytest.raises(OperationalError, match="locked"), second.session() as other:
            other.add(_shop("two", "Two"))
        shop.name = "One, renamed"
    first.dispose()
    second.dispose()


def test_a_read_then_write_sees_writes_committed_before_its_first_write(
        sqlite_file: str) -> None:
    """The reads before the first write share one snapshot; the write phase starts fresh,
    so a unique conflict with a row committed meanwhile is seen (and reported), never lost."""
    first, second = Database(sqlite_file), Database(sqlite_file)
    with first.session() as session:
        assert session.scalar(select(Shop).where(Shop.slug == "two")) is None
        with second.session() as other:
            other.add(_shop("two", "Two"))
        session.add(_shop("two", "Two again"))
        with pytest.raises(Exception, match="UNIQUE"):
            session.flush()
    first.dispose()
    second.dispose()


def test_writers_in_threads_queue_for_the_lock_and_all_commit(sqlite_file: str) -> None:
    db = Database(sqlite_file)
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            for j in range(10):
                with db.session() as session:
                    session.scalar(select(Shop.id).where(Shop.slug == "one"))
                    session.add(_shop(f"t{i}-{j}", "T"))
                    time.sleep(0.001)  # hold the lock a moment: the other threads queue
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.session() as session:
        assert len(session.scalars(select(Shop.id)).all()) == 41
    db.dispose()
