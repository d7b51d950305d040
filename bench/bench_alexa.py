"""The verified Alexa share turn: ours against the straightforward flask-ask-sdk skill
(bench/straightforward/alexa_skill.py) and a bare Flask hello (the floor), all three on
gunicorn (2 sync workers) side by side, loaded by wrk in interleaved rounds (bench.compare).
Each request is a genuinely signed ShareProgram from a linked customer nobody has sent yet
(signed just before its round, as many as the round can take), so every one verifies the
signature (certificate cached), writes a Share row and an outbox message; the rows written
are checked against the responses. Targets: >= 0.20x the hello's req/s and p99 <= 25 ms
(issue 12), >= 1.5x the straightforward skill's req/s (issue 29); SQLite by default,
PostgreSQL with BENCH_DATABASE_URL."""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_links import seeded_env
from bench.compare import Subject, interleave, table
from bench.harness import PRELOAD, gunicorn, lua_requests
from core import codes
from core.db import Database
from core.models import Customer, Message, ReferralCode, Share, Shop, VoiceIdentity
from fulfillment.simulator.sandbox_keys import make_ca, make_leaf, pem, sign_sha256
from tests.support.alexa import envelope

TARGET_RATIO, TARGET_P99_MS, TARGET_VS_BASELINE = 0.20, 25.0, 1.5
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "20000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
CONNECTIONS = 16
# SQLite (the embedded default) or PostgreSQL (what several gunicorn workers should use).
DATABASE = os.environ.get("BENCH_DATABASE_URL", "")
# Threads per worker (gthread, as production's `serve` runs 4): measured on PostgreSQL, 4
# threads gave no more turns than sync workers (556 vs 566 req/s) on these 2 CPUs, so the
# target's configuration, sync, is the default.
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
HEADROOM = 2.0  # requests prepared per round: this times the last rate times the seconds


def add_customers(url: str, n: int, first: int = 0) -> list[str]:
    """n linked customers (numbered from `first`) with confirmed phones and their codes (a
    code is made once, at a customer's first share; the turn measured here is every share
    after that). Inserted in bulk; the codes are digits-only bench codes, unique by
    construction, valid check digits. Returns their Alexa user ids."""
    database = Database(url)
    users = {i: f"amzn1.ask.account.BENCH-{i}" for i in range(first, first + n)}
    now = datetime.now(UTC)
    with database.session() as session:
        shop_id = session.scalar(select(Shop.id).where(Shop.slug == "demo"))
        for start in range(first, first + n, 5000):
            batch = range(start, min(first + n, start + 5000))
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
    return list(users.values())


class CustomerPool:
    """Linked customers nobody has shared for yet, handed out once each; more are seeded
    when a round needs them (each customer shares once: a second share the same day
    writes nothing, and the bench would measure that instead)."""

    def __init__(self, url: str, n: int) -> None:
        self.url, self.seeded, self.users = url, n, add_customers(url, n)

    def take(self, n: int) -> list[str]:
        if n > len(self.users):
            more = max(n - len(self.users), 5000)
            self.users += add_customers(self.url, more, first=self.seeded)
            self.seeded += more
        taken, self.users = self.users[:n], self.users[n:]
        return taken


def lua_script(path: Path, bodies: list[bytes], headers: list[dict[str, str]],
               target: str = "/alexa/demo") -> None:
    """Each pre-signed request once, one customer per request (harness.lua_requests)."""
    lua_requests(path, [(target, {**head, "Content-Type": "application/json"}, body)
                        for body, head in zip(bodies, headers, strict=True)])


def to_prepare(rate: float, seconds: float) -> int:
    return int(HEADROOM * rate * seconds) + 100


def share_rows(url: str) -> int:
    """Shares plus outbox messages: two rows per share turn."""
    database = Database(url)
    try:
        with database.session() as session:
            return int(session.scalar(select(func.count(Share.id))) or 0) \
                + int(session.scalar(select(func.count(Message.id))) or 0)
    finally:
        database.dispose()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env, demo = seeded_env(tmp, DATABASE)
        url = env["DATABASE_URL"]
        pool = CustomerPool(url, CUSTOMERS)
        ca, ca_key = make_ca()
        leaf, key = make_leaf(ca, ca_key)
        pki = Path(tmp) / "pki"
        pki.mkdir()
        (pki / "ca.pem").write_bytes(pem(ca))
        (pki / "chain.pem").write_bytes(pem(leaf, ca))
        (pki / "google_certs.json").write_text("{}")
        skill_id = demo["skill_ids"]["alexa"]

        def signed_round(label: str):  # type: ignore[no-untyped-def]
            def script(n: int, rate: float) -> str:
                now = datetime.now(UTC)  # the round starts within the 150 s window
                users = pool.take(to_prepare(rate, 2 if n < 0 else SECONDS))
                bodies = [json.dumps(envelope(skill_id=skill_id, user_id=u,
                                              intent="ShareProgram", now=now)).encode()
                          for u in users]
                headers = [{"SignatureCertChainUrl":
                            "https://s3.amazonaws.com/echo.api/bench.pem",
                            "Signature-256": sign_sha256(key, b)} for b in bodies]
                path = Path(tmp) / f"{label}-{n}.lua"
                lua_script(path, bodies, headers)
                return str(path)
            return script

        app_env = {**env, "BENCH_PKI_DIR": str(pki), "VERIFY_REQUESTS": "1",
                   "BASELINE_SKILL_ID": skill_id, "BASELINE_SHOP": "demo"}
        with gunicorn("bench.hello_app:app") as hello_url, \
                gunicorn("bench.straightforward.alexa_skill:app", app_env, workers=WORKERS,
                         probe="/hello") as base_url, \
                gunicorn("bench.voice_app:app", app_env, workers=WORKERS,
                         threads=THREADS, options=PRELOAD) as ours_url:
            rows = lambda: share_rows(url)  # noqa: E731
            hello = Subject("bare Flask hello", hello_url, "/hello")
            base = Subject("straightforward skill (flask-ask-sdk)", base_url, "/alexa/demo",
                           signed_round("base"), rows, 2)
            ours = Subject("verified Alexa share turn", ours_url, "/alexa/demo",
                           signed_round("ours"), rows, 2)
            interleave([hello, base, ours], rounds=ROUNDS, seconds=SECONDS,
                       connections=CONNECTIONS, first_rate=600)
    where = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"database: {where}, {WORKERS} gunicorn workers x {THREADS} thread(s), "
          f"load average {os.getloadavg()[0]:.1f} (a shared machine: figures are noisy; "
          "the rounds are interleaved so the noise falls on every subject alike)")
    counted = table(f"verified Alexa share turn, {where}", hello, [(base, ours)],
               postgres=where == "PostgreSQL")
    vs_hello = statistics.median(r.rps / h.rps for r, h in zip(ours.results, hello.results,
                                                                 strict=True))
    vs_base = statistics.median(r.rps / b.rps for r, b in zip(ours.results, base.results,
                                                                strict=True))
    p99 = statistics.median(r.p99_ms for r in ours.results)
    ok = (vs_hello >= TARGET_RATIO and p99 <= TARGET_P99_MS and counted)
    print(f"alexa share: {vs_hello:.2f}x of hello (target {TARGET_RATIO}x), p99 {p99:.2f} ms "
          f"(target {TARGET_P99_MS} ms), {vs_base:.2f}x the straightforward skill (target "
          f"{TARGET_VS_BASELINE}x): "
          f"{'meets' if ok and vs_base >= TARGET_VS_BASELINE else 'MISSES'}")
    return 0 if ok and vs_base >= TARGET_VS_BASELINE else 1


if __name__ == "__main__":
    raise SystemExit(main())
