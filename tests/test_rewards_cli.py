"""`python -m fulfillment rewards release` as an operator runs it (a separate process on the
real clock): due rewards are approved and reach the shop's webhook URL, signed."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from core.models import LedgerEntry, Shop
from core.webhook_signing import HEADER, parse_header, verify
from tests.support.events import ShopBackend
from tests.support.http_servers import scripted_server
from tests.support.keys import HASH_KEY, SECRET_KEY

REPO = Path(__file__).resolve().parent.parent


def run_release(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY,
           "OUTBOUND_ALLOW_NETWORKS": "127.0.0.1/32",  # the scripted shop server is local
           "HASH_KEY": HASH_KEY}
    return subprocess.run([sys.executable, "-m", "fulfillment", "rewards", "release"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_the_release_command_approves_due_rewards_and_tells_the_shop(
        client, demo, services, database, clock):
    clock.now = datetime.now(UTC) - timedelta(days=20)  # the order is past its 14-day hold
    with scripted_server([503]) as server:
        with services.db.session() as session:
            shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
            shop.settings = {**shop.settings, "webhook_url": server.url + "/referrals"}
        backend = ShopBackend(client, demo["webhook_secret"], clock)
        backend.signup("sam", demo["code"], email="sam@example.org")
        backend.order("sam", "o-1", 6000)

        first = run_release(database.url)
        assert first.returncode == 0, first.stderr
        assert first.stdout.strip() == "held 2, approved 2, webhooks delivered 1"
        with services.db.session() as session:
            assert {e.status for e in session.scalars(select(LedgerEntry))} == {"approved"}
        received = list(server.received)
    assert len(received) == 2  # one refused with 503, retried later; one acknowledged
    header = received[-1].headers[HEADER]
    verify(header, received[-1].body, [demo["webhook_secret"]], parse_header(header)[0])
    assert received[-1].json()["type"] == "reward.approved"


def test_the_release_command_with_nothing_due_changes_nothing(database, demo):
    result = run_release(database.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "held 0, approved 0, webhooks delivered 0"
