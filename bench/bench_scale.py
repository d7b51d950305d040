"""Does a turn stay as fast when the tables are big? On PostgreSQL: the median of the verified
Alexa share turn, the /r/<code> redirect and the signed order.completed event, on a database
of 1k customers and one of 1M customers and 10M clicks, half of the customers referred by the
other half with their conversions, ledger entries and events (INSERT ... SELECT generate_series;
BENCH_SCALE_CUSTOMERS / BENCH_SCALE_CLICKS to change), measured alternately in the same run
(ROUNDS rounds, small then large, then large then small ...), so load that comes and goes on
the machine falls on both. Requests go through the Flask test client one at a time, so the
medians are the database's doing, not the HTTP server's.

The large database is kept between runs (its seed takes minutes): a table bench_scale_seed
in it says what was seeded, with the keys its demo secrets are sealed with; a different size
asked for reseeds it. The small one is made anew each run. Every statement one request of
each kind sends is then EXPLAIN (ANALYZE, BUFFERS)ed at the large size, so a plan that grows
with a table shows (a sequential scan, or buffers far above an index lookup's handful).
Target (issue 12): large within 1.2x of small. BENCH_DATABASE_URL names the base: its
`_small` and `_large` databases are used."""

from __future__ import annotations

import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, text
from sqlalchemy.exc import SQLAlchemyError

from bench.bench_links import seeded_env
from bench.databases import ensure_postgres
from core.db import Database
from core.webhook_signing import sign_header
from fulfillment.simulator.sandbox_keys import make_ca, make_leaf, pem, sign_sha256
from tests.support.alexa import envelope

BASE = os.environ.get("BENCH_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/bench_scale"
SMALL_URL, LARGE_URL = BASE + "_small", BASE + "_large"
LARGE_CUSTOMERS = int(os.environ.get("BENCH_SCALE_CUSTOMERS", "1000000"))
LARGE_CLICKS = int(os.environ.get("BENCH_SCALE_CLICKS", "10000000"))
SMALL = 1000
TURNS = int(os.environ.get("BENCH_SCALE_TURNS", "300"))
ROUNDS = int(os.environ.get("BENCH_SCALE_ROUNDS", "6"))
TARGET = 1.2
Request = tuple[str, dict[str, str], bytes | None]


def bulk_seed(url: str, first: int, customers: int, clicks: int, history: bool = False) -> float:
    """Customers `first`.. `customers` - 1 (each linked to an Alexa user, with a code) and
    `clicks` clicks spread over all codes, in a few set-based statements; with `history`,
    the first half referred by the second half, each converted (a conversion, two ledger
    entries, a signup and an order event), so the referral tables are large too."""
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
        if history:
            half = {"shop": shop, "n": (customers - first) // 2}
            for sql in HISTORY:
                conn.execute(text(sql), half)
    vacuum(url)
    database.dispose()
    return time.monotonic() - started


HISTORY = (
    "INSERT INTO referrals (shop_id, program_id, code_id, referrer_id, friend_id, status, "
    "reasons, created_at) SELECT f.shop_id, p.id, rc.id, r.id, f.id, 'converted', '[]', "
    "now() - (i % 1000) * interval '1 hour' FROM generate_series(1, CAST(:n AS int)) i "
    "JOIN customers f ON f.shop_id = :shop AND f.external_id = 'bench-' || i "
    "JOIN customers r ON r.shop_id = :shop AND r.external_id = 'bench-' || (i + :n) "
    "JOIN referral_codes rc ON rc.customer_id = r.id AND rc.active "
    "JOIN programs p ON p.shop_id = :shop AND p.active",
    "INSERT INTO shop_events (shop_id, event_id, type, order_id, payload, result, "
    "received_at) SELECT :shop, 'evt_h' || k || i, CASE k WHEN 's' THEN 'customer.signup' "
    "ELSE 'order.completed' END, CASE k WHEN 's' THEN NULL ELSE 'hist-order-' || i END, "
    "'{}', '{}', now() FROM generate_series(1, CAST(:n AS int)) i, (VALUES ('s'), ('o')) v(k)",
    "INSERT INTO conversions (shop_id, referral_id, order_id, amount, currency, "
    "refunded_amount, created_at) SELECT :shop, r.id, 'hist-order-' || r.id, 6000, 'USD', 0, "
    "r.created_at FROM referrals r WHERE r.shop_id = :shop",
    "INSERT INTO ledger_entries (shop_id, customer_id, referral_id, conversion_id, side, "
    "kind, amount, currency, status, entry_type, note, created_at) SELECT :shop, CASE s.side "
    "WHEN 'friend' THEN r.friend_id ELSE r.referrer_id END, r.id, c.id, s.side, "
    "'fixed_discount', 1000, 'USD', 'approved', 'reward', '', c.created_at FROM conversions "
    "c JOIN referrals r ON r.id = c.referral_id, (VALUES ('friend'), ('referrer')) s(side)",
)
SEED_VERSION = 2  # 2: with the referral history


def vacuum(url: str) -> None:
    database = Database(url)
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    database.dispose()


def seeded_before(url: str) -> dict[str, Any] | None:
    """What bench_scale_seed in `url` says was seeded (None: nothing, or not this size)."""
    database = Database(url)
    try:
        with database.engine.connect() as conn:
            row = conn.execute(text("SELECT customers, clicks, version, secret_key, hash_key "
                                    "FROM bench_scale_seed")).mappings().first()
    except SQLAlchemyError:
        row = None
    finally:
        database.dispose()
    if row is None or (row["customers"], row["clicks"], row["version"]) != (
            LARGE_CUSTOMERS, LARGE_CLICKS, SEED_VERSION):
        return None
    return dict(row)


def note_seed(url: str) -> None:
    database = Database(url)
    with database.engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_scale_seed (customers int, clicks bigint, "
                          "version int, secret_key text, hash_key text)"))
        conn.execute(text("INSERT INTO bench_scale_seed VALUES (:c, :k, :v, :s, :h)"),
                     {"c": LARGE_CUSTOMERS, "k": LARGE_CLICKS, "v": SEED_VERSION,
                      "s": os.environ["SECRET_KEY"], "h": os.environ["HASH_KEY"]})
    database.dispose()


class Workload:
    """Fresh requests for each measurement: new customers share, random codes are followed,
    new friends sign up (untimed) and order (timed). Event and friend ids carry this run's
    token, so a kept database sees none of them twice."""

    def __init__(self, demo: dict[str, Any], key: object, customers: list[int],
                 codes: list[str]) -> None:
        self.demo, self.key = demo, key
        self.customers, self.codes = customers, codes
        self.token = secrets.token_hex(4)
        self.event = 0

    def take(self, n: int) -> tuple[list[int], list[str]]:
        customers, self.customers = self.customers[:n], self.customers[n:]
        codes, self.codes = self.codes[:n], self.codes[n:]
        return customers, codes

    def shares(self, customers: list[int]) -> list[Request]:
        now = datetime.now(UTC)
        out: list[Request] = []
        for i in customers:
            body = json.dumps(envelope(skill_id=self.demo["skill_ids"]["alexa"],
                                       user_id=f"amzn1.ask.account.BENCH-{i}",
                                       intent="ShareProgram", now=now)).encode()
            out.append(("/alexa/demo", {
                "SignatureCertChainUrl": "https://s3.amazonaws.com/echo.api/bench.pem",
                "Signature-256": sign_sha256(self.key, body),  # type: ignore[arg-type]
                "Content-Type": "application/json"}, body))
        return out

    def redirects(self, codes: list[str]) -> list[Request]:
        return [(f"/r/{code}?c=qr", {"User-Agent": "Mozilla/5.0 bench"}, None)
                for code in codes]

    def events(self, n: int) -> tuple[list[Request], list[Request]]:
        """n friends' signups and then their orders."""
        signups: list[Request] = []
        orders: list[Request] = []
        for _ in range(n):
            self.event += 1
            i = f"{self.token}-{self.event}"
            for kind, out in (("signup", signups), ("order", orders)):
                event = ({"id": f"evt_s{i}", "type": "customer.signup", "shop": "demo",
                          "customer": {"id": f"friend-{i}", "email": f"friend{i}@example.org"},
                          "ref": self.demo["code"]} if kind == "signup" else
                         {"id": f"evt_o{i}", "type": "order.completed", "shop": "demo",
                          "customer_id": f"friend-{i}", "order_id": f"order-{i}",
                          "amount": 6000, "currency": "USD"})
                body = json.dumps(event, separators=(",", ":")).encode()
                out.append(("/api/v1/events", {
                    "Content-Type": "application/json",
                    "X-Referral-Signature": sign_header([self.demo["webhook_secret"]],
                                                        int(time.time()), body)}, body))
        return signups, orders


def timed(client: Any, requests: list[Request]) -> list[float]:
    times = []
    for path, headers, body in requests:
        start = time.perf_counter()
        if body is None:
            response = client.get(path, headers=headers)
        else:
            response = client.post(path, data=body, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code >= 400:
            raise SystemExit(f"{path}: {response.status_code} {response.data[:300]!r}")
    return times


def measure(client: Any, work: Workload, n: int, into: dict[str, list[float]]) -> None:
    customers, codes = work.take(n)
    signups, orders = work.events(n)
    timed(client, signups)  # untimed: the friends who will order
    into.setdefault("share turn", []).extend(timed(client, work.shares(customers)))
    into.setdefault("redirect", []).extend(timed(client, work.redirects(codes)))
    into.setdefault("signed order", []).extend(timed(client, orders))


def random_codes(url: str, n: int) -> list[str]:
    database = Database(url)
    with database.engine.connect() as conn:
        codes = list(conn.execute(text(
            "SELECT code FROM referral_codes WHERE active ORDER BY random() LIMIT :n"),
            {"n": n}).scalars())
    database.dispose()
    return codes


def capture(app: Any) -> tuple[list[tuple[str, Any]], Any]:
    """Record every statement (and its parameters) the app's engine sends while on."""
    seen: list[tuple[str, Any]] = []
    engine = app.extensions["referrals.services"].db.engine
    state = {"on": False}

    def listener(_conn: Any, _cursor: Any, statement: str, params: Any, *_a: Any) -> None:
        if state["on"]:
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", listener)
    return seen, state


def explain_statements(url: str, statements: list[tuple[str, Any]]) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of each SELECT / UPDATE / DELETE, in a transaction rolled
    back: one line per statement (its top node, the scans below it, buffers, time)."""
    database = Database(url)
    raw = database.engine.raw_connection()
    lines: list[str] = []
    try:
        cursor = raw.cursor()
        for statement, params in statements:
            head = statement.lstrip().split(None, 1)[0].upper()
            if head not in ("SELECT", "UPDATE", "DELETE"):
                continue
            try:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) "
                               + statement, params)
                plan = [r[0] for r in cursor.fetchall()]
            except Exception as exc:  # a line of output, not a failure
                raw.rollback()
                lines.append(f"  {' '.join(statement.split())[:110]}\n    error: {exc}")
                continue
            raw.rollback()
            scans = [p.strip() for p in plan if "Scan" in p or "Index Cond" in p]
            top_buffers = next((p.strip() for p in plan if "Buffers" in p), "Buffers: none")
            took = next((p.strip() for p in plan if p.startswith("Execution Time")), "")
            seq = " SEQUENTIAL" if any("Seq Scan" in s for s in scans) else ""
            lines.append(f"  {' '.join(statement.split())[:110]}\n    "
                         + "\n    ".join(scans[:4]) + f"\n    {top_buffers}; {took}{seq}")
    finally:
        raw.close()
        database.dispose()
    return lines


def main() -> int:
    for url in (SMALL_URL, LARGE_URL):
        ensure_postgres(url)
    kept = seeded_before(LARGE_URL)
    if kept is not None:
        os.environ["SECRET_KEY"], os.environ["HASH_KEY"] = kept["secret_key"], kept["hash_key"]
    with tempfile.TemporaryDirectory() as tmp:
        small_env, small_demo = seeded_env(tmp, SMALL_URL)
        bulk_seed(SMALL_URL, 1, SMALL, 0)
        if kept is None:
            print(f"seeding {LARGE_CUSTOMERS:,} customers and {LARGE_CLICKS:,} clicks ...",
                  flush=True)
            large_env, large_demo = seeded_env(tmp, LARGE_URL)
            took = bulk_seed(LARGE_URL, 1, LARGE_CUSTOMERS, LARGE_CLICKS, history=True)
            note_seed(LARGE_URL)
            print(f"seeded in {took:.0f} s", flush=True)
        else:
            print(f"the large database was seeded before ({LARGE_CUSTOMERS:,} customers, "
                  f"{LARGE_CLICKS:,} clicks, their referrals): kept, migrated", flush=True)
            large_env, large_demo = seeded_env(tmp, LARGE_URL, fresh=False)
            vacuum(LARGE_URL)
        ca, ca_key = make_ca()
        leaf, key = make_leaf(ca, ca_key)
        pki = Path(tmp) / "pki"
        pki.mkdir()
        (pki / "ca.pem").write_bytes(pem(ca))
        (pki / "chain.pem").write_bytes(pem(leaf, ca))
        (pki / "google_certs.json").write_text("{}")
        os.environ.update({**small_env, "BENCH_PKI_DIR": str(pki), "VERIFY_REQUESTS": "1"})
        from bench.voice_app import app as small_app
        from bench.voice_app import make_app

        large_app = make_app({**os.environ, **large_env})
        for url in (SMALL_URL, LARGE_URL):
            database = Database(url)
            with database.engine.begin() as conn:  # the ordinary path, not review flags
                conn.execute(text("UPDATE programs SET fraud_rules = '{\"velocity_code\": "
                                  "\"off\", \"velocity_ip\": \"off\"}' WHERE active"))
            database.dispose()
        need = TURNS + 21  # warm-up 20, one request of each kind for the plans
        sides = {
            "small": (small_app.test_client(), Workload(
                small_demo, key, random.sample(range(1, SMALL), need),
                random_codes(SMALL_URL, need))),
            "large": (large_app.test_client(), Workload(
                large_demo, key, random.sample(range(SMALL, LARGE_CUSTOMERS), need),
                random_codes(LARGE_URL, need))),
        }
        times: dict[str, dict[str, list[float]]] = {"small": {}, "large": {}}
        for client, work in sides.values():
            measure(client, work, 20, {})  # warm: caches, code paths, connections
        per_round = TURNS // ROUNDS
        for r in range(ROUNDS):
            for name in (("small", "large") if r % 2 == 0 else ("large", "small")):
                client, work = sides[name]
                measure(client, work, per_round, times[name])
        seen, state = capture(large_app)
        client, work = sides["large"]
        plans: dict[str, list[str]] = {}
        customers, codes = work.take(1)
        signups, orders = work.events(1)
        for label, requests in (("signup (untimed)", signups),
                                ("share turn", work.shares(customers)),
                                ("redirect", work.redirects(codes)), ("signed order", orders)):
            seen.clear()
            state["on"] = True
            timed(client, requests)
            state["on"] = False
            plans[label] = explain_statements(LARGE_URL, list(seen))
        with Database(LARGE_URL).engine.connect() as conn:
            sizes = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                     for t in ("customers", "voice_identities", "referral_codes", "clicks",
                               "messages", "shares", "shop_events", "referrals",
                               "conversions", "ledger_entries")}
    print(f"databases: {SMALL_URL} and {LARGE_URL}, measured alternately in {ROUNDS} rounds; "
          f"load average {os.getloadavg()[0]:.1f}")
    print("rows at the large size: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    ok = True
    for kind in times["small"]:
        small, large = (statistics.median(times[s][kind]) for s in ("small", "large"))
        ratio = large / small
        ok &= ratio <= TARGET
        print(f"{kind:<14} median {small:6.2f} ms at {SMALL:,} customers, {large:6.2f} ms at "
              f"{LARGE_CUSTOMERS:,} / {LARGE_CLICKS:,} clicks: {ratio:.2f}x "
              f"({'meets' if ratio <= TARGET else 'MISSES'} {TARGET}x; "
              f"n={len(times['small'][kind])} each)")
    print("plans at the large size, each statement one request sends (EXPLAIN ANALYZE, "
          "BUFFERS):")
    for label, lines in plans.items():
        print(f" {label}:")
        print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
