"""/r/<code> (redirect + click recorded) and warm /qr/<code>.png against a bare Flask hello,
both on gunicorn with 2 sync workers. Targets: redirect >= 0.60x, warm QR >= 0.70x."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.databases import database_or_sqlite, ensure_secrets, reset_postgres
from bench.harness import REPO, gunicorn, wrk

TARGETS = {"redirect": 0.60, "qr": 0.70}


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


def main() -> int:
    seconds = int(os.environ.get("BENCH_SECONDS", "8"))
    with tempfile.TemporaryDirectory() as tmp:
        env, demo = seeded_env(tmp)
        code = demo["code"].replace("-", "")
        with gunicorn("bench.hello_app:app") as base:
            wrk("warm-up", base + "/hello", seconds=2)
            hello = wrk("bare Flask hello", base + "/hello", seconds=seconds)
        with gunicorn("fulfillment.wsgi:app", env) as base:
            wrk("warm-up", f"{base}/r/{code}?c=qr", seconds=2)
            redirect = wrk("/r/<code> (302 + click recorded)", f"{base}/r/{code}?c=qr",
                           seconds=seconds)
            wrk("warm-up", f"{base}/qr/{code}.png", seconds=2)
            qr = wrk("/qr/<code>.png (warm)", f"{base}/qr/{code}.png", seconds=seconds)
        import sqlite3

        conn = sqlite3.connect(f"{tmp}/bench.db")
        clicks = conn.execute("select count(*) from clicks").fetchone()[0]
    print(hello.row())
    print(redirect.row(hello))
    print(qr.row(hello))
    print(f"clicks written: {clicks} (requests served to /r during the run and warm-up)")
    ok = True
    for label, result in (("redirect", redirect), ("qr", qr)):
        ratio = result.rps / hello.rps
        verdict = "meets" if ratio >= TARGETS[label] else "MISSES"
        ok &= ratio >= TARGETS[label]
        print(f"{label}: {ratio:.2f}x of hello, {verdict} the {TARGETS[label]:.2f}x target")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
