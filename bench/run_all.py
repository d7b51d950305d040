"""Run every benchmark in bench/ and print their ratio tables (`make bench`). Each bench
creates the databases it needs (bench/databases.py); all share one run's random secrets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHES = ["bench_links.py", "bench_alexa.py", "bench_google_alice.py", "bench_events.py",
           "bench_worker.py", "bench_console_login.py", "bench_nlu.py",
           "bench_store_webhooks.py"]


def main() -> int:
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here.parent))
    from bench.databases import ensure_secrets

    ensure_secrets()
    failed = []
    for name in BENCHES:
        print(f"\n== {name}", flush=True)
        if subprocess.run([sys.executable, str(here / name)], cwd=here.parent).returncode:
            failed.append(name)
    print(f"\n{len(BENCHES) - len(failed)} benchmarks met their targets; missed: "
          f"{', '.join(failed) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
