"""Where the CPU time of one signed shop event goes, in-process, and how many SQL statements
it sends: N customer.signup events, then N order.completed events for the same friends
(conversion and two ledger entries each), then those orders again (replays), through the
Flask test client, as bench_events sends them; each kind in blocks alternating with bare
Flask hellos, whose CPU is the yardstick (the ratio, not the milliseconds, is what a busy
machine leaves comparable). Buckets as in bench/profile_turn.py (a
CPU-time sampler: other processes' load does not enter it). `python bench/profile_events.py
[N]` (SQLite; BENCH_DATABASE_URL for PostgreSQL). `--sql` prints each kind's statements (of
its last event), `--raw` the top functions."""

from __future__ import annotations

import cProfile
import os
import pstats
import secrets
import signal
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, select

from bench.bench_events import DATABASE, signed_requests
from bench.bench_links import seeded_env
from bench.profile_turn import bucket_of_stack
from core.db import Database
from core.models import Program

RUN = secrets.token_hex(4)  # a kept PostgreSQL database has the last run's events


def events_of(kind: str, first: int, n: int, code: str) -> list[dict[str, Any]]:
    if kind == "signup":
        return [{"id": f"evt_s{RUN}-{i}", "type": "customer.signup", "shop": "demo",
                 "customer": {"id": f"friend-{RUN}-{i}",
                              "email": f"friend{RUN}-{i}@example.org",
                              "name": f"Friend {i}"}, "ref": code}
                for i in range(first, first + n)]
    return [{"id": f"evt_o{RUN}-{i}", "type": "order.completed", "shop": "demo",
             "customer_id": f"friend-{RUN}-{i}", "order_id": f"order-{RUN}-{i}",
             "amount": 6000,
             "currency": "USD"} for i in range(first, first + n)]


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 300
    with tempfile.TemporaryDirectory() as tmp:
        env, demo = seeded_env(tmp, DATABASE)
        database = Database(env["DATABASE_URL"])
        with database.session() as session:  # the ordinary path, as bench_events
            program = session.scalar(select(Program).where(Program.active.is_(True)))
            assert program is not None
            program.fraud_rules = {"velocity_code": "off", "velocity_ip": "off"}
        database.dispose()
        os.environ.update(env)
        from fulfillment.app import create_app

        app = create_app()
        client = app.test_client()
        engine = app.extensions["referrals.services"].db.engine
        statements: list[str] = []
        event.listen(engine, "before_cursor_execute",
                     lambda _c, _cur, sql, *_a: statements.append(sql))
        secret, code = demo["webhook_secret"], demo["code"]

        def run(kind: str, first: int) -> list[tuple[dict[str, str], bytes]]:
            return signed_requests(events_of(kind, first, n, code), secret)

        def post(requests: list[tuple[dict[str, str], bytes]]) -> None:
            for headers, body in requests:
                response = client.post("/api/v1/events", data=body, headers=headers)
                assert response.status_code == 200, response.data

        for kind in ("signup", "order"):  # warm: caches, code paths
            post(signed_requests(events_of(kind, 10_000_000, 20, code), secret))
        report: dict[str, tuple[float, float, float, list[str]]] = {}
        samples: dict[str, dict[str, int]] = {}
        profiles: dict[str, cProfile.Profile] = {}
        for kind in ("signup", "order", "replay"):
            timed = run(kind, 0) if kind != "replay" else run("order", 0)
            statements.clear()
            cpu_ms, hello_ms, last = interleaved(timed, client, statements)
            report[kind] = (cpu_ms, hello_ms, len(statements) / n, last)
        for kind in ("signup", "order"):
            samples[kind] = sample(run(kind, n), client)
        for kind in ("signup", "order"):
            requests = run(kind, 2 * n)
            profiler = cProfile.Profile(time.thread_time_ns, 1e-9)  # CPU, not wall
            profiler.enable()
            post(requests)
            profiler.disable()
            profiles[kind] = profiler
        app.extensions["referrals.services"].close()
    where = env["DATABASE_URL"].split(":")[0]
    cpu_ms, hello_ms, per_event, _ = report["replay"]
    print(f"{n} re-delivered orders (the stored answer): CPU per event {cpu_ms:.2f} ms "
          f"({cpu_ms / hello_ms:.1f} hellos), SQL statements per event {per_event:.1f}")
    for kind in ("signup", "order"):
        cpu_ms, hello_ms, per_event, last = report[kind]
        print(f"\n{n} signed {kind} events in-process (Flask test client), {where}")
        print(f"CPU per event without the profiler: {cpu_ms:.2f} ms, {cpu_ms / hello_ms:.1f} "
              f"times a bare Flask hello's {hello_ms:.2f} ms measured in between; SQL "
              f"statements per event: {per_event:.1f}")
        whole = sum(samples[kind].values()) or 1
        print(f"\n| where (sampled, {whole} samples) | share of CPU | ms per event |")
        print("|---|---:|---:|")
        for name, k in sorted(samples[kind].items(), key=lambda kv: -kv[1]):
            print(f"| {name} | {100 * k / whole:4.1f} % | {cpu_ms * k / whole:.2f} |")
        if "--sql" in sys.argv:
            print(f"\nstatements of the last {kind}:")
            for sql in last:
                print("  " + " ".join(sql.split())[:160])
        if "--raw" in sys.argv:
            stats = pstats.Stats(profiles[kind])
            rows = sorted(((tt, nc, f"{p}:{ln}({fn})") for (p, ln, fn), (_c, nc, tt, _t, _)
                           in stats.stats.items()), reverse=True)  # type: ignore[attr-defined]
            print()
            for tt, nc, name in rows[:40]:
                print(f"{1000 * tt / n:7.3f} ms/event {nc / n:7.1f} calls/event  "
                      f"{name[-110:]}")
    return 0


def interleaved(requests: list[tuple[dict[str, str], bytes]], client: Any,
                statements: list[str], blocks: int = 10) -> tuple[float, float, list[str]]:
    """CPU ms per event and per bare Flask hello (bench/hello_app.py, the wrk bench's
    baseline) in alternating blocks, so both see the same machine: on a shared machine
    their ratio is steadier than either. Also the statements of the last event."""
    from bench.hello_app import app as hello_app

    hello = hello_app.test_client()
    for _ in range(50):
        hello.get("/hello")
    event_cpu = hello_cpu = 0.0
    last: list[str] = []
    step = max(1, len(requests) // blocks)
    for start in range(0, len(requests), step):
        cpu0 = time.process_time()
        for headers, body in requests[start:start + step]:
            mark = len(statements)
            client.post("/api/v1/events", data=body, headers=headers)
        cpu1 = time.process_time()
        last = statements[mark:]
        for _ in range(3 * step):
            hello.get("/hello")
        event_cpu += cpu1 - cpu0
        hello_cpu += time.process_time() - cpu1
    return event_cpu * 1000 / len(requests), hello_cpu * 1000 / (3 * len(requests)), last


def sample(requests: list[tuple[dict[str, str], bytes]], client: Any,
           interval: float = 0.0005) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)

    def on_tick(_sig: int, frame: object) -> None:
        counts[bucket_of_stack(frame)] += 1

    signal.signal(signal.SIGPROF, on_tick)
    signal.setitimer(signal.ITIMER_PROF, interval, interval)
    try:
        for headers, body in requests:
            client.post("/api/v1/events", data=body, headers=headers)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
    return counts


if __name__ == "__main__":
    raise SystemExit(main())
