"""The jobs table: every background pass in one place, run by the embedded server in threads
and one at a time by `python -m fulfillment jobs run NAME`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from core.messaging.outbox import enqueue
from core.models import Message
from fulfillment import jobs
from fulfillment.cli import main
from fulfillment.cli.services import CliOptions


def env_of(services) -> dict[str, str]:  # type: ignore[no-untyped-def]
    settings = services.settings
    return {"DATABASE_URL": settings.database_url, "SECRET_KEY": settings.secret_key,
            "HASH_KEY": settings.hash_key, "BASE_URL": services.base_url,
            "MESSAGING_MODE": "sandbox"}


def test_the_table_names_every_background_job_once() -> None:
    names = [spec.name for spec in jobs.JOBS]
    assert {"outbox", "rewards", "alice-images"} <= set(names)
    assert len(names) == len(set(names))
    assert all(spec.interval > 0 and spec.about for spec in jobs.JOBS)


def test_jobs_run_once_delivers_what_was_queued(services, demo, clock) -> None:  # type: ignore[no-untyped-def]
    clock.now = clock().replace(hour=15)  # the afternoon: no quiet hours in the way
    from core import referrals

    with services.db.session() as session:
        shop_id = referrals.shop_by_slug(session, "demo").id
        enqueue(session, hash_key=services.settings.hash_key, shop_id=shop_id,
                kind="invite_self", channel="email", recipient="alex@example.org",
                idempotency_key="jobs-test", locale="en-US", now=clock(),
                context={"link": "https://refer.test/r/X", "code": "X", "shop_name": "Demo"},
                evidence={"confirmed": True})
    result = CliRunner().invoke(main, ["jobs", "run", "outbox", "--once"],
                                env=env_of(services), obj=CliOptions(clock=clock),
                                catch_exceptions=False)  # the command on the test's clock
    assert result.exit_code == 0, result.output
    with services.db.session() as session:
        statuses = {m.status for m in session.scalars(select(Message))}
    assert statuses and "created" not in statuses


def test_an_unknown_job_is_a_usage_error_naming_the_jobs(services) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["jobs", "run", "nope", "--once"], env=env_of(services))
    assert result.exit_code == 2
    assert "outbox" in result.output


def test_the_embedded_server_starts_every_job_and_stops_them(services) -> None:  # type: ignore[no-untyped-def]
    running = jobs.start_all(services)
    try:
        assert [r.spec.name for r in running] == [spec.name for spec in jobs.JOBS]
    finally:
        for job in running:
            job.stop()


@pytest.mark.parametrize("command, counts, interval", [
    ("digest", {"enqueued", "nothing_new", "not_due", "skipped", "duplicates"}, "60.0"),
    ("reminders", {"enqueued", "skipped"}, "60.0"),
    ("retention", {"clicks", "messages", "voice_sessions"}, "3600.0"),
])
def test_the_engagement_commands_print_their_use_case_counts_once(
        services, demo, clock, command: str, counts: set[str], interval: str) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, [command, "--once"], env=env_of(services),
                                obj=CliOptions(clock=clock), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output.strip().splitlines()[-1])
    assert set(printed) == counts and all(v == 0 for v in printed.values())
    usage = CliRunner().invoke(main, [command, "--help"]).output
    assert f"[default: {interval}]" in usage and "--once" in usage
