"""Two digest job processes on PostgreSQL, started together and then restarted: every
opted-in referrer gets exactly one digest for the period (one outbox row per customer and
period; the idempotency key is unique in the database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from core.config import Settings
from core.models import Customer, DigestSubscription, Message, Shop
from core.services import bootstrap
from tests.conftest import REPO
from tests.support.keys import HASH_KEY, SECRET_KEY

SUBSCRIBERS = 300
pytestmark = pytest.mark.postgres_only


def seed(db) -> None:  # type: ignore[no-untyped-def]
    from core import demo as demo_seed

    services = bootstrap(Settings(database_url=db.url, base_url="https://refer.test",
                                  secret_key=SECRET_KEY, hash_key=HASH_KEY), db=db,
                         background_clicks=False)
    demo_seed.seed(services)
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo("America/New_York")).weekday()
    with db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        shop.settings = {**shop.settings, "digest": {"enabled": True, "cadence": "weekly",
                                                     "weekday": today, "hour": 0}}
        ids = session.execute(insert(Customer).returning(Customer.id), [
            {"shop_id": shop.id, "external_id": f"sub-{n}", "name": f"Sub {n}",
             "email": f"sub{n}@example.org", "email_canonical": f"sub{n}@example.org",
             "locale": ["en-US", "de-DE", "ru-RU"][n % 3], "timezone": "America/New_York",
             "email_confirmed_at": now, "consent_email": True, "consent_sms": False,
             "created_at": now} for n in range(SUBSCRIBERS)]).scalars().all()
        session.execute(insert(DigestSubscription), [
            {"shop_id": shop.id, "customer_id": cid, "channel": "email", "only_when_new": False,
             "active": True, "evidence": {"utterance": "send me a weekly digest"},
             "created_at": now} for cid in ids])
    services.clicks.close()


def run_jobs(db, count: int) -> list[dict[str, int]]:  # type: ignore[no-untyped-def]
    env = {**os.environ, "DATABASE_URL": db.url, "BASE_URL": "https://refer.test",
           "SECRET_KEY": SECRET_KEY, "HASH_KEY": HASH_KEY}
    procs = [subprocess.Popen([sys.executable, "-m", "fulfillment", "digest", "--once"],
                              cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(count)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_two_digest_jobs_and_a_restart_send_exactly_one_digest_per_customer(pg_database):
    seed(pg_database)
    first = run_jobs(pg_database, 2)
    assert sum(r["enqueued"] for r in first) == SUBSCRIBERS
    second = run_jobs(pg_database, 2)  # restarted: the period is done
    assert sum(r["enqueued"] for r in second) == 0
    with pg_database.session() as session:
        rows = session.execute(select(func.count(Message.id),
                                      func.count(func.distinct(Message.customer_id)),
                                      func.count(func.distinct(Message.idempotency_key)))
                               .where(Message.kind == "digest")).one()
    assert tuple(rows) == (SUBSCRIBERS, SUBSCRIBERS, SUBSCRIBERS)
