"""Does a turn stay as fast when the tables are big? On PostgreSQL: the median of the verified
Alexa share turn, the /r/<code> redirect (click recorded synchronously) and the signed
order.completed event, at 1k customers and again after bulk-seeding up to 1M customers and
10M clicks (INSERT ... SELECT generate_series; BENCH_SCALE_CUSTOMERS / BENCH_SCALE_CLICKS to
change). Requests go through the Flask test client one at a time, so the medians are the
database's doing, not the HTTP server's. Prints the plans of the hot queries at the large
size, the index each one uses. Target (issue 12): large within 1.2x of small."""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bench.bench_links import seeded_env
from core.db import Database
from core.webhook_signing import sign_header
from fulfillment.simulator.sandbox_keys import make_ca, make_leaf, pem, sign_sha256
from tests.support.alexa import envelope

URL = os.environ.get("BENCH_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/bench_scale"
LARGE_CUSTOMERS = int(os.environ.get("BENCH_SCALE_CUSTOMERS", "1000000"))
LARGE_CLICKS = int(os.environ.get("BENCH_SCALE_CLICKS", "10000000"))
SMALL = 1000
TURNS = int(os.environ.get("BENCH_SCALE_TURNS", "300"))
TARGET = 1.2


def reset(url: str) -> None:
    database = Database(url)
    with database.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    database.dispose()


def bulk_seed(url: str, first: int, customers: int, clicks: int) -> float:
    """Customers `first`.. `customers` - 1 (each linked to an Alexa user, with a code) and
    `clicks` clicks spread over all codes, in a few set-based statements."""
    started = time.monotonic()
    database = Database(url)
    with database.engine.begin() as conn:
        shop = conn.execute(text("SELECT id FROM shops WHERE slug = 'demo'")).scalar_one()
        args = {"shop": shop, "a": first, "b": customers - 1}
        conn.execute(text(
            "INSERT INTO customers (shop_id, external_id, name, phone, phone_confirmed_at, "
            "consent_email, consent_sms, locale, created_at) SELECT :shop, 'bench-' || i, "
            "'Bench' || i, '+1555' || lpad((i % 10000000)::text, 7, '0'), now(), false, true, "
            "'en-US', now() FROM generate_series(CAST(:a AS int), CAST(:b AS int)) i"), args)
        # Digits-only codes, unique by construction; the check digits are computed the way
        # core.codes does (ISO 7064 MOD 97-10 over the digits).
        conn.execute(text(
            "INSERT INTO referral_codes (code, shop_id, customer_id, spoken_name, active, "
            "created_at) SELECT b || lpad((98 - (b::numeric * 100) % 97)::text, 2, '0'), "
            ":shop, c.id, c.name, true, now() FROM (SELECT id, name, '9' || lpad(substr("
            "external_id, 7), 9, '0') AS b FROM customers WHERE shop_id = :shop AND "
            "external_id LIKE 'bench-%' AND substr(external_id, 7)::int "
            "BETWEEN CAST(:a AS int) AND CAST(:b AS int)) c"),
            args)
        conn.execute(text(
            "INSERT INTO voice_identities (shop_id, assistant, assistant_user_id, customer_id, "
            "linked_at, created_at) SELECT :shop, 'alexa', 'amzn1.ask.account.BENCH-' || "
            "substr(external_id, 7), id, now(), now() FROM customers WHERE shop_id = :shop "
            "AND external_id LIKE 'bench-%' AND substr(external_id, 7)::int "
            "BETWEEN CAST(:a AS int) AND CAST(:b AS int)"),
            args)
        if clicks:
            lo, hi = conn.execute(text("SELECT min(id), max(id) FROM referral_codes")).one()
            conn.execute(text(
                "INSERT INTO clicks (code_id, shop_id, channel, ip_hash, user_agent, is_bot, "
                "created_at) SELECT CAST(:lo AS bigint) + (i % (CAST(:hi AS bigint) "
                "- CAST(:lo AS bigint) + 1)), :shop, 'qr', md5(i::text), "
                "'bench', false, now() - (i % 86400) * interval '1 minute' "
                "FROM generate_series(1, CAST(:n AS int)) i"),
                {"lo": lo, "hi": hi, "shop": shop, "n": clicks})
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    database.dispose()
    return time.monotonic() - started


def median_ms(client: object, requests: list[tuple[str, dict[str, str], bytes | None]]) -> float:
    times = []
    for path, headers, body in requests:
        start = time.perf_counter()
        if body is None:
            response = client.get(path, headers=headers)  # type: ignore[attr-defined]
        else:
            response = client.post(path, data=body, headers=headers)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code >= 400:
            raise SystemExit(f"{path}: {response.status_code} {response.data[:300]!r}")
    return statistics.median(times)


class Workload:
    """Fresh requests for each measurement: new customers share, random codes are followed,
    new friends sign up (untimed) and order (timed)."""

    def __init__(self, demo: dict, key: object, secret: str) -> None:
        self.demo, self.key, self.secret = demo, key, secret
        self.event = 0

    def shares(self, customers: range) -> list[tuple[str, dict[str, str], bytes | None]]:
        now = datetime.now(UTC)
        out: list[tuple[str, dict[str, str], bytes | None]] = []
        for i in customers:
            body = json.dumps(envelope(skill_id=self.demo["skill_ids"]["alexa"],
                                       user_id=f"amzn1.ask.account.BENCH-{i}",
                                       intent="ShareProgram", now=now)).encode()
            out.append(("/alexa/demo", {
                "SignatureCertChainUrl": "https://s3.amazonaws.com/echo.api/bench.pem",
                "Signature-256": sign_sha256(self.key, body),  # type: ignore[arg-type]
                "Content-Type": "application/json"}, body))
        return out

    def redirects(self, codes: list[str]) -> list[tuple[str, dict[str, str], bytes | None]]:
        return [(f"/r/{code}?c=qr", {"User-Agent": "Mozilla/5.0 bench"}, None)
                for code in codes]

    def events(self, kind: str, n: int) -> list[tuple[str, dict[str, str], bytes | None]]:
        out: list[tuple[str, dict[str, str], bytes | None]] = []
        for _ in range(n):
            self.event += 1
            i = self.event
            event = ({"id": f"evt_s{i}", "type": "customer.signup", "shop": "demo",
                      "customer": {"id": f"friend-{i}", "email": f"friend{i}@example.org"},
                      "ref": self.demo["code"]} if kind == "signup" else
                     {"id": f"evt_o{i}", "type": "order.completed", "shop": "demo",
                      "customer_id": f"friend-{i}", "order_id": f"order-{i}", "amount": 6000,
                      "currency": "USD"})
            body = json.dumps(event, separators=(",", ":")).encode()
            out.append(("/api/v1/events", {
                "Content-Type": "application/json",
                "X-Referral-Signature": sign_header([self.secret], int(time.time()), body)},
                body))
        return out


def measure(client: object, work: Workload, customers: range, codes: list[str],
            first_event: int) -> dict[str, float]:
    work.event = first_event
    signups = work.events("signup", len(customers))
    work.event = first_event
    orders = work.events("order", len(customers))
    median_ms(client, signups)  # untimed: the friends who will order
    return {"share turn": median_ms(client, work.shares(customers)),
            "redirect": median_ms(client, work.redirects(codes)),
            "signed order": median_ms(client, orders)}


EXPLAINS = {
    "voice user -> customer (share turn)":
        "SELECT c.* FROM customers c JOIN voice_identities v ON v.customer_id = c.id "
        "WHERE v.shop_id = :shop AND v.assistant = 'alexa' AND v.assistant_user_id = :user",
    "customer's active code (share turn), as queried before (`active IS true`)":
        "SELECT * FROM referral_codes WHERE customer_id = :cid AND active IS true",
    "customer's active code (share turn), as queried now (`active`, the index predicate)":
        "SELECT * FROM referral_codes WHERE customer_id = :cid AND active",
    "message by idempotency key (share turn)":
        "SELECT * FROM messages WHERE idempotency_key = :key",
    "code lookup (redirect)": "SELECT * FROM referral_codes WHERE code = :code",
    "customer by external id (order)":
        "SELECT * FROM customers WHERE shop_id = :shop AND external_id = :ext",
    "referral of a friend (order)":
        "SELECT * FROM referrals WHERE shop_id = :shop AND friend_id = :cid FOR UPDATE",
    "first delivery (event replay check)":
        "SELECT * FROM shop_events WHERE shop_id = :shop AND (event_id = :ev OR "
        "(type = 'order.completed' AND order_id = :ord)) ORDER BY id LIMIT 1",
    "recent clicks of a code (dashboard, fraud)":
        "SELECT count(*) FROM clicks WHERE code_id = :code_id AND created_at > now() - "
        "interval '1 day'",
}


def explain(url: str) -> None:
    database = Database(url)
    with database.engine.connect() as conn:
        shop = conn.execute(text("SELECT id FROM shops WHERE slug = 'demo'")).scalar_one()
        cid, code_id, code = conn.execute(text(
            "SELECT customer_id, id, code FROM referral_codes ORDER BY id DESC LIMIT 1")).one()
        args = {"shop": shop, "user": "amzn1.ask.account.BENCH-777", "cid": cid,
                "key": "invite_self:1:7:sms:2026-01-01", "code": code, "ext": "bench-777",
                "ev": "evt_o1", "ord": "order-1", "code_id": code_id}
        for label, sql in EXPLAINS.items():
            plan = conn.execute(text("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) "
                                     + sql), args).scalars().all()
            print(f"  {label}:")
            for line in plan:
                if any(w in line for w in ("Scan", "Join", "Loop", "Execution", "Index Cond",
                                            "Limit", "Aggregate")):
                    print(f"    {line.strip()}")
    database.dispose()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        from bench.databases import ensure_postgres

        ensure_postgres(URL)
        reset(URL)
        env, demo = seeded_env(tmp, URL)
        bulk_seed(URL, 1, SMALL, 0)
        ca, ca_key = make_ca()
        leaf, key = make_leaf(ca, ca_key)
        pki = Path(tmp) / "pki"
        pki.mkdir()
        (pki / "ca.pem").write_bytes(pem(ca))
        (pki / "chain.pem").write_bytes(pem(leaf, ca))
        (pki / "google_certs.json").write_text("{}")
        os.environ.update({**env, "BENCH_PKI_DIR": str(pki), "VERIFY_REQUESTS": "1"})
        from bench.voice_app import app

        client = app.test_client()
        database = Database(URL)
        with database.engine.begin() as conn:  # the ordinary path, not review flags
            conn.execute(text("UPDATE programs SET fraud_rules = '{\"velocity_code\": \"off\", "
                              "\"velocity_ip\": \"off\"}' WHERE active"))
        work = Workload(demo, key, demo["webhook_secret"])

        def codes_of(n: int) -> list[str]:
            with database.engine.connect() as conn:
                return list(conn.execute(text(
                    "SELECT code FROM referral_codes ORDER BY random() LIMIT :n"), {"n": n})
                    .scalars())

        measure(client, work, range(1, 21), codes_of(20), 10_000_000)  # warm
        small = measure(client, work, range(21, 21 + TURNS), codes_of(TURNS), 0)
        print(f"seeding {LARGE_CUSTOMERS:,} customers and {LARGE_CLICKS:,} clicks ...",
              flush=True)
        took = bulk_seed(URL, SMALL, LARGE_CUSTOMERS, LARGE_CLICKS)
        print(f"seeded in {took:.0f} s", flush=True)
        hi = LARGE_CUSTOMERS - 1
        large = measure(client, work, range(hi - TURNS, hi), codes_of(TURNS), 1_000_000)
        with database.engine.connect() as conn:
            sizes = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                     for t in ("customers", "voice_identities", "referral_codes", "clicks",
                               "messages", "shares", "shop_events", "referrals")}
        database.dispose()
        print(f"database: {URL}, load average {os.getloadavg()[0]:.1f}")
        print("rows at the large size: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
        ok = True
        for name in small:
            ratio = large[name] / small[name]
            ok &= ratio <= TARGET
            print(f"{name:<14} median {small[name]:6.2f} ms at {SMALL:,} customers, "
                  f"{large[name]:6.2f} ms at {LARGE_CUSTOMERS:,} / {LARGE_CLICKS:,} clicks: "
                  f"{ratio:.2f}x ({'meets' if ratio <= TARGET else 'MISSES'} {TARGET}x)")
        print("plans at the large size:")
        explain(URL)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
