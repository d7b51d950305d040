"""Signed shop events (POST /api/v1/events). order.completed: ours against the
straightforward Flask endpoint (bench/straightforward/events.py: HMAC header, dedupe on the
event id, conversion + two ledger rows in one ORM transaction) and a bare Flask hello, side
by side on gunicorn (2 sync workers), wrk in interleaved rounds (bench.compare). Every order
is from a friend with a pending referral made for it beforehand (seeded in bulk, as many as
the rounds need), so every order converts: an event row, a conversion and two ledger
entries, counted against the responses. Then ours alone: distinct customer.signup events
(customer upsert, code lookup, fraud rules, referral) and one event re-delivered (the stored
first answer). Target (issue 12): >= 0.20x the hello with p99 <= 50 ms, on SQLite and on
PostgreSQL (BENCH_DATABASE_URL)."""

from __future__ import annotations

import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_links import seeded_env
from bench.compare import ROW_SLACK, Subject, interleave, table
from bench.harness import PRELOAD, gunicorn, lua_requests, wrk
from core import codes
from core.db import Database
from core.models import (
    Conversion,
    Customer,
    LedgerEntry,
    Program,
    Referral,
    ReferralCode,
    Shop,
    ShopEvent,
)
from core.webhook_signing import sign_header

DATABASE = os.environ.get("BENCH_DATABASE_URL", "")
THREADS = 2  # wrk's
# Threads per gunicorn worker (gthread, as production's `serve`); sync by default, as the
# target is stated (bench_alexa says why).
SERVER_THREADS = int(os.environ.get("BENCH_THREADS", "1"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SIGNUPS = int(os.environ.get("BENCH_EVENTS", "8000"))
TARGET_RATIO, TARGET_P99_MS = 0.20, 50.0
HEADROOM = 2.0


def signed_requests(events: list[dict], secret: str) -> list[tuple[dict[str, str], bytes]]:
    now = int(time.time())  # each run lasts far less than the 300 s tolerance
    out = []
    for event in events:
        body = json.dumps(event, separators=(",", ":")).encode()
        out.append(({"Content-Type": "application/json",
                     "X-Referral-Signature": sign_header([secret], now, body)}, body))
    return out


def lua_script(path: Path, requests: list[tuple[dict[str, str], bytes]]) -> None:
    """Each wrk thread walks its own stride of the list, so no event is sent twice (until
    the list runs out, after which requests are replays)."""
    lua_requests(path, [("/api/v1/events", headers, body) for headers, body in requests],
                 threads=THREADS)


class ReferredFriends:
    """Friends with a pending referral by the demo customer's code, each handed out once
    (an order converts a referral once); seeded in bulk when a round needs more."""

    def __init__(self, url: str, code: str, run: str) -> None:
        self.url, self.run, self.seeded, self.ready = url, run, 0, []
        database = Database(url)
        with database.session() as session:
            found = session.scalars(select(ReferralCode).where(
                ReferralCode.code == codes.normalize(code))).one()
            self.shop_id, self.code_id, self.referrer_id = (found.shop_id, found.id,
                                                            found.customer_id)
            self.program_id = session.scalar(select(Program.id).where(
                Program.shop_id == found.shop_id, Program.active.is_(True)))
        database.dispose()

    def _seed(self, n: int) -> None:
        now = datetime.now(UTC)
        names = [f"friend-{self.run}-{i}" for i in range(self.seeded, self.seeded + n)]
        database = Database(self.url)
        with database.session() as session:
            for start in range(0, n, 5000):
                batch = names[start:start + 5000]
                session.execute(insert(Customer), [
                    {"shop_id": self.shop_id, "external_id": name, "name": name,
                     "email": f"{name}@example.org", "locale": "en-US", "signed_up_at": now,
                     "created_at": now} for name in batch])
                ids = session.execute(select(Customer.id).where(
                    Customer.shop_id == self.shop_id, Customer.external_id.in_(batch))).scalars()
                session.execute(insert(Referral), [
                    {"shop_id": self.shop_id, "program_id": self.program_id,
                     "code_id": self.code_id, "referrer_id": self.referrer_id,
                     "friend_id": friend_id, "status": "pending", "reasons": [],
                     "created_at": now} for friend_id in ids])
        database.dispose()
        self.seeded += n
        self.ready += names

    def take(self, n: int) -> list[str]:
        if n > len(self.ready):
            self._seed(max(n - len(self.ready), 5000))
        taken, self.ready = self.ready[:n], self.ready[n:]
        return taken


def order_rows(url: str) -> int:
    """Event rows, conversions and ledger entries: four per converting order."""
    database = Database(url)
    try:
        with database.session() as session:
            return sum(int(session.scalar(select(func.count(model.id))) or 0)
                       for model in (ShopEvent, Conversion, LedgerEntry))
    finally:
        database.dispose()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env, demo = seeded_env(tmp, DATABASE)
        url = env["DATABASE_URL"]
        database = Database(url)
        with database.session() as session:  # measure the ordinary path, not review flags
            program = session.scalar(select(Program).where(Program.active.is_(True)))
            program.fraud_rules = {"velocity_code": "off", "velocity_ip": "off"}
            slug = session.scalar(select(Shop.slug).where(Shop.id == program.shop_id))
        database.dispose()
        secret = demo["webhook_secret"]
        run = secrets.token_hex(4)  # a kept PostgreSQL database has the last run's events
        friends = ReferredFriends(url, demo["code"], run)

        def orders(label: str):  # type: ignore[no-untyped-def]
            def script(n: int, rate: float) -> str:
                names = friends.take(int(HEADROOM * rate * (2 if n < 0 else SECONDS)) + 100)
                reqs = signed_requests([
                    {"id": f"evt_o{run}-{name}", "type": "order.completed", "shop": slug,
                     "customer_id": name, "order_id": f"order-{name}", "amount": 6000,
                     "currency": "USD"} for name in names], secret)
                path = Path(tmp) / f"orders-{label}-{n}.lua"
                lua_script(path, reqs)
                return str(path)
            return script

        signups = signed_requests([
            {"id": f"evt_s{run}-{i}", "type": "customer.signup", "shop": slug,
             "customer": {"id": f"signup-{run}-{i}", "email": f"signup{run}-{i}@example.org",
                          "name": f"Signup {i}"}, "ref": demo["code"]}
            for i in range(SIGNUPS)], secret)
        lua_script(Path(tmp) / "signups.lua", signups)
        lua_script(Path(tmp) / "replay.lua", signups[:1])
        app_env = {**env, "BASELINE_WEBHOOK_SECRET": secret}
        with gunicorn("bench.hello_app:app") as hello_url, \
                gunicorn("bench.straightforward.events:app", app_env,
                         probe="/hello") as base_url, \
                gunicorn("fulfillment.wsgi:app", env, threads=SERVER_THREADS,
                         options=PRELOAD) as ours_url:
            rows = lambda: order_rows(url)  # noqa: E731
            hello = Subject("bare Flask hello", hello_url, "/hello")
            base = Subject("straightforward events endpoint", base_url, "/api/v1/events",
                           orders("base"), rows, 4)
            ours = Subject("order.completed (signed, converts)", ours_url, "/api/v1/events",
                           orders("ours"), rows, 4)
            interleave([hello, base, ours], rounds=ROUNDS, seconds=SECONDS, first_rate=600)
            events_url = ours_url + "/api/v1/events"
            signup = wrk("customer.signup (signed, distinct)", events_url, seconds=SECONDS,
                         script=str(Path(tmp) / "signups.lua"), server=ours_url)
            replay = wrk("one event re-delivered (replay)", events_url, seconds=SECONDS,
                         script=str(Path(tmp) / "replay.lua"), server=ours_url)
        database = Database(url)
        with database.session() as session:
            referrals = session.scalar(select(func.count(Referral.id)).where(
                Referral.friend_id.in_(select(Customer.id).where(
                    Customer.external_id.like(f"signup-{run}-%")))))
        database.dispose()
    where = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"database: {where}, load average {os.getloadavg()[0]:.1f} (a shared machine: "
          "figures are noisy; the rounds are interleaved so the noise falls on all alike)")
    ok = table(f"signed order.completed, {where}", hello, [(base, ours)],
               postgres=where == "PostgreSQL")
    floor = statistics.median(r.rps for r in hello.results)
    for result in (signup, replay):
        print(f"{result.label:<38} {result.rps:9.0f} req/s  p99 {result.p99_ms:6.2f} ms  "
              f"{result.rps / floor:.2f}x of the hello's median, CPU "
              f"{result.server_cpu_ms or 0:.2f} ms/response, errors {result.errors}")
    signup_ok = signup.requests <= referrals <= signup.requests + ROW_SLACK \
        and signup.requests <= SIGNUPS
    print(f"signups: {referrals} referrals for {signup.requests} responses "
          f"({SIGNUPS} distinct events prepared): {'ok' if signup_ok else 'MISMATCH'}")
    for result in (ours.results[-1], signup):
        print(f"{result.label}: " + "; ".join(str(m) for m in result.memory))
    vs_hello = statistics.median(r.rps / h.rps for r, h in zip(ours.results, hello.results,
                                                                 strict=True))
    p99 = statistics.median(r.p99_ms for r in ours.results)
    meets = ok and signup_ok and vs_hello >= TARGET_RATIO and p99 <= TARGET_P99_MS \
        and signup.errors == 0 and replay.errors == 0
    print(f"events: order.completed {vs_hello:.2f}x of hello (target {TARGET_RATIO}x), p99 "
          f"{p99:.2f} ms (target {TARGET_P99_MS} ms): {'meets' if meets else 'MISSES'}")
    return 0 if meets else 1


if __name__ == "__main__":
    raise SystemExit(main())
