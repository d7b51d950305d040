"""Run every benchmark in bench/ and print their tables (`make bench`). Each bench creates
the databases it needs (bench/databases.py); all share one run's random secrets. The benches
that compare ours with a straightforward implementation (bench/straightforward) run once on
SQLite and again on PostgreSQL (BENCH_PG_URL, default the local server; skipped, with a
line, when it cannot be reached)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCHES = ["bench_links.py", "bench_alexa.py", "bench_google_alice.py", "bench_events.py",
           "bench_worker.py", "bench_console_login.py", "bench_nlu.py",
           "bench_store_webhooks.py"]
ON_POSTGRES = ["bench_links.py", "bench_alexa.py", "bench_events.py"]
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/referrals_bench")


def main() -> int:
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here.parent))
    from bench.databases import ensure_postgres, where

    ensure_secrets_in_env()
    runs: list[tuple[str, dict[str, str]]] = [(name, {}) for name in BENCHES]
    if not os.environ.get("BENCH_DATABASE_URL", "").startswith("postgresql"):
        try:
            ensure_postgres(PG_URL)
            runs += [(name, {"BENCH_DATABASE_URL": PG_URL}) for name in ON_POSTGRES]
        except Exception as exc:  # any reason: said, and SQLite only
            print(f"PostgreSQL at {where(PG_URL)} unreachable ({exc.__class__.__name__}): "
                  "the comparisons run on SQLite only")
    failed = []
    for name, extra in runs:
        label = name + (" (PostgreSQL)" if extra else "")
        print(f"\n== {label}", flush=True)
        if subprocess.run([sys.executable, str(here / name)], cwd=here.parent,
                          env={**os.environ, **extra}).returncode:
            failed.append(label)
    print(f"\n{len(runs) - len(failed)} benchmarks met their targets; missed: "
          f"{', '.join(failed) or 'none'}")
    return 1 if failed else 0


def ensure_secrets_in_env() -> None:
    from bench.databases import ensure_secrets

    ensure_secrets()


if __name__ == "__main__":
    raise SystemExit(main())
