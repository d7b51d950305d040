"""The suite must pass on any date: the frozen clock a year ahead of the wall clock and a year
behind it, for the tests whose outcome depends on dates (certificate validity, due rows,
hold periods, quiet hours, token lifetimes). Each run is a separate pytest process with
TEST_CLOCK_SHIFT_DAYS set (tests/conftest.py moves CLOCK_START by it)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

DATE_DEPENDENT = [
    "tests/test_alexa_verification.py",
    "tests/test_alice_images.py",
    "tests/test_rewards_ledger.py",
    "tests/test_rewards_cli.py",
    "tests/test_messaging_policy.py",
    "tests/test_messaging_reports.py",
    "tests/test_dialogflow_auth.py",
    "tests/test_events_journey.py",
    "tests/test_jobs.py",
    "tests/test_alice_image_job_quiet.py",
]


@pytest.mark.parametrize("days", [365, -365], ids=["a_year_ahead", "a_year_behind"])
def test_date_dependent_tests_pass_with_the_frozen_clock_far_from_today(days: int) -> None:
    env = {**os.environ, "TEST_CLOCK_SHIFT_DAYS": str(days)}
    env.pop("TEST_DATABASE_URL", None)  # SQLite is enough to see a wall-clock dependency
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-x", *DATE_DEPENDENT], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
