"""The verified Alexa share turn against a bare Flask hello, both on gunicorn (2 sync
workers) under wrk. Each request is a genuinely signed ShareProgram from a different linked
customer (wrk's threads walk the list in strides, so none is sent twice), so every one
verifies the signature (certificate cached), writes a Share row and an outbox message; the
rows written are checked against the requests sent. Targets (issue 12): >= 0.20x the hello's
req/s and p99 <= 25 ms, on SQLite with 2 workers and on PostgreSQL."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_links import seeded_env
from bench.harness import WrkResult, gunicorn, lua_requests, wrk
from core import codes
from core.db import Database
from core.models import Customer, Message, ReferralCode, Share, Shop, VoiceIdentity
from fulfillment.simulator.sandbox_keys import make_ca, make_leaf, pem, sign_sha256
from tests.support.alexa import envelope

TARGET_RATIO, TARGET_P99_MS = 0.20, 25.0
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "20000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
CONNECTIONS = 16
# SQLite (the embedded default) or PostgreSQL (what several gunicorn workers should use).
DATABASE = os.environ.get("BENCH_DATABASE_URL", "")
# Threads per worker (gthread, as production's `serve` runs 4): measured on PostgreSQL, 4
# threads gave no more turns than sync workers (556 vs 566 req/s) on these 2 CPUs, so the
# target's configuration, sync, is the default.
THREADS = int(os.environ.get("BENCH_THREADS", "1"))


def add_customers(url: str, n: int) -> list[str]:
    """n linked customers with confirmed phones and their codes (a code is made once, at a
    customer's first share; the turn measured here is every share after that). Inserted in
    bulk; the codes are digits-only bench codes, unique by construction, valid check digits."""
    database = Database(url)
    users = [f"amzn1.ask.account.BENCH-{i}" for i in range(n)]
    now = datetime.now(UTC)
    with database.session() as session:
        shop_id = session.scalar(select(Shop.id).where(Shop.slug == "demo"))
        for start in range(0, n, 5000):
            batch = range(start, min(n, start + 5000))
            session.execute(insert(Customer), [
                {"shop_id": shop_id, "external_id": f"bench-{i}", "name": f"Bench{i}",
                 "phone": f"+1555555{i % 10000:04d}", "phone_confirmed_at": now,
                 "consent_sms": True, "locale": "en-US", "created_at": now} for i in batch])
            ids = dict(session.execute(select(Customer.external_id, Customer.id).where(
                Customer.external_id.in_([f"bench-{i}" for i in batch]))).all())
            session.execute(insert(ReferralCode), [
                {"code": (body := f"9{i:09d}") + codes.check_digits(body), "shop_id": shop_id,
                 "customer_id": ids[f"bench-{i}"], "spoken_name": f"Bench{i}", "active": True,
                 "created_at": now} for i in batch])
            session.execute(insert(VoiceIdentity), [
                {"shop_id": shop_id, "assistant": "alexa", "assistant_user_id": users[i],
                 "customer_id": ids[f"bench-{i}"], "linked_at": now, "created_at": now}
                for i in batch])
    database.dispose()
    return users


def sending_time(key: object, n: int) -> datetime:
    """The timestamp to sign n requests with: Alexa's window is 150 s either side, and
    signing 20,000 bodies takes 30 s on a quiet machine but over 100 s on a loaded one, so
    the requests are stamped for when the signing ends (the runs follow within ~30 s)."""
    sample = b"x" * 3000
    start = time.perf_counter()
    for _ in range(50):
        sign_sha256(key, sample)  # type: ignore[arg-type]
    ahead = min(120.0, (time.perf_counter() - start) / 50 * n)
    return datetime.now(UTC) + timedelta(seconds=ahead)


def lua_script(path: Path, bodies: list[bytes], headers: list[dict[str, str]],
               target: str = "/alexa/demo") -> None:
    """Each pre-signed request once, one customer per request (harness.lua_requests)."""
    lua_requests(path, [(target, {**head, "Content-Type": "application/json"}, body)
                        for body, head in zip(bodies, headers, strict=True)])


def rows_match(label: str, rows: int, runs: list[WrkResult], seeded: int) -> bool:
    """Every request a new customer, so rows == responses; a request still in flight when
    wrk stopped is written but not counted (at most one per connection per run)."""
    sent = sum(r.requests for r in runs)
    slack = CONNECTIONS * len(runs)
    ok = sent <= rows <= sent + slack and sent <= seeded
    print(f"{label}: {rows} rows for {sent} responses (+ at most {slack} in flight), "
          f"{seeded} distinct requests seeded: {'ok' if ok else 'MISMATCH'}")
    return ok


def main() -> int:
    seconds = int(os.environ.get("BENCH_SECONDS", "8"))
    with tempfile.TemporaryDirectory() as tmp:
        env, demo = seeded_env(tmp, DATABASE)
        url = env["DATABASE_URL"]
        users = add_customers(url, CUSTOMERS)
        ca, ca_key = make_ca()
        leaf, key = make_leaf(ca, ca_key)
        pki = Path(tmp) / "pki"
        pki.mkdir()
        (pki / "ca.pem").write_bytes(pem(ca))
        (pki / "chain.pem").write_bytes(pem(leaf, ca))
        (pki / "google_certs.json").write_text("{}")
        now = sending_time(key, len(users))
        bodies = [json.dumps(envelope(skill_id=demo["skill_ids"]["alexa"], user_id=u,
                                      intent="ShareProgram", now=now)).encode() for u in users]
        headers = [{"SignatureCertChainUrl": "https://s3.amazonaws.com/echo.api/bench.pem",
                    "Signature-256": sign_sha256(key, b)} for b in bodies]
        split = len(bodies) // 8  # the warm-up uses its own customers
        lua_script(Path(tmp) / "warm.lua", bodies[:split], headers[:split])
        lua_script(Path(tmp) / "share.lua", bodies[split:], headers[split:])
        with gunicorn("bench.hello_app:app") as base:
            wrk("warm-up", base + "/hello", seconds=2)
            hello = wrk("bare Flask hello", base + "/hello", seconds=seconds)
        app_env = {**env, "BENCH_PKI_DIR": str(pki), "VERIFY_REQUESTS": "1"}
        with gunicorn("bench.voice_app:app", app_env, workers=WORKERS, threads=THREADS) as base:
            warm = wrk("warm-up", base + "/alexa/demo", seconds=2,
                       script=str(Path(tmp) / "warm.lua"), connections=CONNECTIONS)
            share = wrk("verified Alexa share turn", base + "/alexa/demo", seconds=seconds,
                        script=str(Path(tmp) / "share.lua"), connections=CONNECTIONS,
                        server=base)
        database = Database(url)
        with database.session() as session:
            shares = session.scalar(select(func.count(Share.id)))
            messages = session.scalar(select(func.count(Message.id)))
        database.dispose()
    print(f"database: {url.split('@')[-1].split('?')[0]}, {WORKERS} gunicorn workers x "
          f"{THREADS} thread(s), "
          f"load average {os.getloadavg()[0]:.1f}")
    print(hello.row())
    print(share.row(hello))
    print("worker RSS under load: " + ", ".join(f"{mb:.0f} MB" for mb in share.rss_mb))
    print(hello.cpu_line())
    print(share.cpu_line())
    counted = rows_match("shares", shares, [warm, share], len(bodies))
    counted &= rows_match("outbox messages", messages, [warm, share], len(bodies))
    ratio = share.rps / hello.rps
    ok = (ratio >= TARGET_RATIO and share.p99_ms <= TARGET_P99_MS and share.errors == 0
          and counted)
    print(f"alexa share: {ratio:.2f}x of hello (target {TARGET_RATIO}x), p99 "
          f"{share.p99_ms:.2f} ms (target {TARGET_P99_MS} ms): {'meets' if ok else 'MISSES'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
