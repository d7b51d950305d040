"""Shared fixtures: real databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set),
services with a frozen clock, the Flask app and the demo shop."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.clock import FrozenClock
from core.config import Settings
from core.db import Database
from core.services import Services, bootstrap
from tests.support.databases import postgres_configured, private_postgres, truncate_all
from tests.support.keys import HASH_KEY, SECRET_KEY

REPO = Path(__file__).resolve().parent.parent
pytest_plugins = ("tests.support.browser",)  # live_server for the Playwright tests
# Public request/response bodies of the platforms, each with its source note beside it.
PROTOCOL_SAMPLES = REPO / "tests" / "fixtures" / "protocol-samples"
BASE_URL = "https://refer.test"
# Mid-afternoon in Europe, morning in New York: inside everyone's texting hours.
# TEST_CLOCK_SHIFT_DAYS moves it (tests/test_any_date.py runs the date-dependent tests a year
# ahead and a year behind): nothing may depend on the frozen date being near the wall clock.
CLOCK_START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC) + timedelta(
    days=int(os.environ.get("TEST_CLOCK_SHIFT_DAYS") or 0))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    if not postgres_configured():
        yield None
        return
    with private_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_database(postgres_url: str | None) -> Iterator[Database | None]:
    if postgres_url is None:
        yield None
        return
    database = Database(postgres_url)
    database.create_all()
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_database: Database | None
) -> Iterator[Database]:
    """Every test that takes this runs once per database engine."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'test.db'}")
        db.create_all()
        yield db
        db.dispose()
        return
    if postgres_database is None:
        pytest.skip("PostgreSQL: set TEST_DATABASE_URL to run")
    yield postgres_database
    truncate_all(postgres_database)


@pytest.fixture
def pg_database(postgres_database: Database | None) -> Iterator[Database]:
    """For tests that only mean something on PostgreSQL (row locks, real concurrency)."""
    if postgres_database is None:
        pytest.skip("PostgreSQL: set TEST_DATABASE_URL to run")
    yield postgres_database
    truncate_all(postgres_database)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(CLOCK_START)


@pytest.fixture
def settings(database: Database) -> Settings:
    """Sandbox trust on: the simulator (console, conversations) signs with the sandbox keys."""
    return Settings(database_url=database.url, base_url=BASE_URL, secret_key=SECRET_KEY,
                    hash_key=HASH_KEY, verify_requests=True, embedded_worker=False,
                    sandbox=True)


@pytest.fixture
def services(settings: Settings, database: Database, clock: FrozenClock) -> Iterator[Services]:
    svc = bootstrap(settings, db=database, clock=clock, background_clicks=False)
    yield svc
    svc.clicks.close()


@pytest.fixture
def app(services: Services):  # type: ignore[no-untyped-def]
    from fulfillment.app import create_app

    app = create_app(services=services)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def demo(services: Services) -> dict[str, Any]:
    from core import demo as demo_seed

    return demo_seed.seed(services)
