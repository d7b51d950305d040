"""/r/<code> (redirect + click recorded): ours against the straightforward redirect
(bench/straightforward/redirect.py: read the code with the ORM, insert the click, commit)
and a bare Flask hello, side by side on gunicorn (2 sync workers), wrk in interleaved rounds
(bench.compare), clicks written counted against responses; then warm /qr/<code>.png (ours).
Targets: redirect >= 0.60x the hello, warm QR >= 0.70x. SQLite, or BENCH_DATABASE_URL."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bench.compare import Subject, interleave, table
from bench.databases import database_or_sqlite, ensure_secrets, reset_postgres
from bench.harness import PRELOAD, REPO, gunicorn, wrk

TARGETS = {"redirect": 0.60, "qr": 0.70}
DATABASE = os.environ.get("BENCH_DATABASE_URL", "")
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def seeded_env(tmp: str, database_url: str = "", *,
               fresh: bool = True) -> tuple[dict[str, str], dict]:
    """A migrated database with the demo shop: `database_url` (PostgreSQL created if
    missing, emptied first unless `fresh` is False) or SQLite in `tmp`."""
    ensure_secrets()
    url = database_or_sqlite(database_url, f"{tmp}/bench.db")
    if fresh and url.startswith("postgresql"):
        reset_postgres(url)
    env = {"DATABASE_URL": url, "EMBEDDED_WORKER": "0", "BASE_URL": "http://127.0.0.1:1"}
    full = {**os.environ, **env}
    subprocess.run([sys.executable, "-m", "fulfillment", "db", "upgrade"], cwd=REPO, env=full,
                   check=True, capture_output=True)
    demo = json.loads(subprocess.run([sys.executable, "-m", "fulfillment", "demo", "--json"],
                                     cwd=REPO, env=full, check=True, capture_output=True,
                                     text=True).stdout)
    return env, demo


def click_rows(url: str) -> int:
    from core.db import Database
    from core.models import Click

    database = Database(url)
    try:
        with database.session() as session:
            return int(session.scalar(select(func.count(Click.id))) or 0)
    finally:
        database.dispose()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env, demo = seeded_env(tmp, DATABASE)
        url = env["DATABASE_URL"]
        code = demo["code"].replace("-", "")
        path = f"/r/{code}?c=qr"
        with gunicorn("bench.hello_app:app") as hello_url, \
                gunicorn("bench.straightforward.redirect:app", env, probe="/hello") as base_url, \
                gunicorn("fulfillment.wsgi:app", env, options=PRELOAD) as ours_url:
            rows = lambda: click_rows(url)  # noqa: E731
            hello = Subject("bare Flask hello", hello_url, "/hello")
            base = Subject("straightforward redirect + click", base_url, path, rows=rows)
            ours = Subject("/r/<code> (302 + click recorded)", ours_url, path, rows=rows)
            interleave([hello, base, ours], rounds=ROUNDS, seconds=SECONDS)
            wrk("warm-up", f"{ours_url}/qr/{code}.png", seconds=2)
            qr = wrk("/qr/<code>.png (warm)", f"{ours_url}/qr/{code}.png", seconds=SECONDS,
                     server=ours_url)
    where = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"database: {where}, load average {os.getloadavg()[0]:.1f} (a shared machine: "
          "figures are noisy; the rounds are interleaved so the noise falls on all alike)")
    ok = table(f"/r/<code> redirect + click, {where}", hello, [(base, ours)],
               postgres=where == "PostgreSQL")
    floor = statistics.median(r.rps for r in hello.results)
    print(f"{qr.label:<38} {qr.rps:9.0f} req/s  p99 {qr.p99_ms:6.2f} ms  "
          f"{qr.rps / floor:.2f}x of the hello's median, errors {qr.errors}")
    redirect = statistics.median(r.rps / h.rps for r, h in zip(ours.results, hello.results,
                                                                 strict=True))
    for label, ratio in (("redirect", redirect), ("qr", qr.rps / floor)):
        verdict = "meets" if ratio >= TARGETS[label] else "MISSES"
        ok &= ratio >= TARGETS[label]
        print(f"{label}: {ratio:.2f}x of hello, {verdict} the {TARGETS[label]:.2f}x target")
    return 0 if ok and qr.errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
