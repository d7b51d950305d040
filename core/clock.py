"""One clock for the domain so tests can move time (hold periods, expiries) without sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]

# Column.info key for "defaults to now" (core.models.base.now_column): core.db fills such
# columns from the session's clock at flush, never from the wall clock, so rows made under a
# test's frozen clock are due when that clock says they are.
DEFAULT_NOW = "default_now"


def utcnow() -> datetime:
    return datetime.now(UTC)


class FrozenClock:
    """A clock a test can advance: `clock.advance(days=14)`."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def as_utc(value: datetime) -> datetime:
    """SQLite hands datetimes back naive; treat stored times as UTC everywhere."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
