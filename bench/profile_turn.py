"""Where the CPU time of one verified Alexa share turn goes, in-process: N genuinely signed
ShareProgram requests (one linked customer each) through the Flask test client, profiled
by a CPU-time sampler (setitimer(ITIMER_PROF): only time on a CPU is sampled, so other
processes' load does not enter it); each sample goes to the bucket of its innermost frame
from a known library or our code (a stdlib frame counts for whoever called it). SQL
statements per turn are exact. `python bench/profile_turn.py [N]` (SQLite; BENCH_DATABASE_URL for
PostgreSQL). `--raw` prints the top functions too; `--dump=FILE` writes the cProfile stats;
`--baseline` profiles the straightforward flask-ask-sdk skill (bench/straightforward)
instead, to see what ours pays that it does not."""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import signal
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event

from bench.bench_alexa import DATABASE, add_customers
from bench.bench_links import seeded_env
from fulfillment.simulator.sandbox_keys import make_ca, make_leaf, pem, sign_sha256
from tests.support.alexa import envelope

# (bucket, substrings of a code path); the first match wins, so order matters.
BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("test client (werkzeug.test; the hello pays it too)",
     ("/werkzeug/test.py", "/flask/testing.py")),
    ("verification (signature, chain, timestamp)",
     ("voice/platforms/alexa/signature", "/cryptography/", "/OpenSSL/",
      "/ask_sdk_webservice_support/verifier")),
    ("SDK (de)serialization (ask-sdk)",
     ("/ask_sdk", "voice/platforms/alexa/envelope", "voice/platforms/alexa/serializer",
      "/dateutil/", "/six.py", "/typing.py", "/enum.py", "/inspect.py")),
    ("database (SQLAlchemy, driver, models)",
     ("/sqlalchemy/", "sqlite3", "/psycopg", "core/db.py", "core/models/", "core/speakers.py",
      "{method 'execute'", "{method 'fetch", "{method 'commit'", "{method 'rollback'",
      "{method 'cursor'")),
    ("rendering (SSML, i18n, platform reply)",
     ("voice/speech", "voice/i18n", "/babel/", "voice/platforms/", "voice/turn.py",
      "voice/dialog/terms", "gettext")),
    ("dialog and use case (voice/dialog, core)", ("voice/", "core/")),
    ("HTTP (Werkzeug, Flask, JSON)",
     ("/werkzeug/", "/flask/", "fulfillment/", "/json/", "{built-in method _json",
      "/http/", "/urllib/", "/email/")),
]


STDLIB = os.path.dirname(os.__file__)


def bucket_of_stack(frame: object) -> str:
    while frame is not None:
        path = frame.f_code.co_filename  # type: ignore[attr-defined]
        if not path.startswith(STDLIB) or "site-packages" in path:
            found = bucket_of(path)
            if not found.startswith("other"):
                return found
        frame = frame.f_back  # type: ignore[attr-defined]
    return "other (stdlib, logging, GC)"


def sample(turns: list[tuple[bytes, dict[str, str]]], client: object,
           interval: float = 0.0005) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)

    def on_tick(_sig: int, frame: object) -> None:
        counts[bucket_of_stack(frame)] += 1

    signal.signal(signal.SIGPROF, on_tick)
    signal.setitimer(signal.ITIMER_PROF, interval, interval)
    try:
        for body, headers in turns:
            client.post("/alexa/demo", data=body, headers=headers)  # type: ignore[attr-defined]
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
    return counts


def interleaved(turns: list[tuple[bytes, dict[str, str]]], client: object,
                blocks: int = 10) -> tuple[float, float, float]:
    """CPU ms per turn and per bare Flask hello (bench/hello_app.py, the wrk bench's
    baseline), measured in alternating blocks so both see the same machine (on a shared
    machine their ratio is steadier than either), and wall ms per turn."""
    from bench.hello_app import app as hello_app

    hello = hello_app.test_client()
    for _ in range(50):
        hello.get("/hello")
    turn_cpu = hello_cpu = turn_wall = 0.0
    hellos = 0
    step = max(1, len(turns) // blocks)
    for start in range(0, len(turns), step):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for body, headers in turns[start:start + step]:
            client.post("/alexa/demo", data=body, headers=headers)  # type: ignore[attr-defined]
        cpu1 = time.process_time()
        turn_wall += time.perf_counter() - wall0
        for _ in range(5 * step):
            hello.get("/hello")
        turn_cpu += cpu1 - cpu0
        hello_cpu += time.process_time() - cpu1
        hellos += 5 * step
    return (turn_cpu * 1000 / len(turns), hello_cpu * 1000 / hellos,
            turn_wall * 1000 / len(turns))


def bucket_of(path: str) -> str:
    for name, needles in BUCKETS:
        if any(n in path for n in needles):
            return name
    return "other (stdlib, logging, GC)"


def prepare(tmp: str, n: int) -> tuple[object, list[tuple[bytes, dict[str, str]]]]:
    env, demo = seeded_env(tmp, DATABASE)
    users = add_customers(env["DATABASE_URL"], 3 * n + 20)
    ca, ca_key = make_ca()
    leaf, key = make_leaf(ca, ca_key)
    pki = Path(tmp) / "pki"
    pki.mkdir()
    (pki / "ca.pem").write_bytes(pem(ca))
    (pki / "chain.pem").write_bytes(pem(leaf, ca))
    (pki / "google_certs.json").write_text("{}")
    os.environ.update({**env, "BENCH_PKI_DIR": str(pki), "VERIFY_REQUESTS": "1",
                       "BASELINE_SKILL_ID": demo["skill_ids"]["alexa"]})
    if "--baseline" in sys.argv:
        from bench.straightforward.alexa_skill import app
    else:
        from bench.voice_app import app  # reads the environment set just above

    def signed(batch: list[str]) -> list[tuple[bytes, dict[str, str]]]:
        now = datetime.now(UTC)  # signed just before use: Alexa's 150 s window
        out = []
        for user in batch:
            body = json.dumps(envelope(skill_id=demo["skill_ids"]["alexa"], user_id=user,
                                       intent="ShareProgram", now=now)).encode()
            out.append((body, {
                "SignatureCertChainUrl": "https://s3.amazonaws.com/echo.api/bench.pem",
                "Signature-256": sign_sha256(key, body), "Content-Type": "application/json"}))
        return out

    requests = LazyRequests(users, signed)
    return app, requests


class LazyRequests:
    """Slices of the customers' requests, each slice signed when it is taken."""

    def __init__(self, users: list[str], sign: object) -> None:
        self.users, self.sign = users, sign

    def __getitem__(self, part: slice) -> list[tuple[bytes, dict[str, str]]]:
        return self.sign(self.users[part])  # type: ignore[operator,no-any-return]


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 300
    with tempfile.TemporaryDirectory() as tmp:
        app, requests = prepare(tmp, n)
        client = app.test_client()  # type: ignore[attr-defined]
        statements = [0]
        if "--baseline" in sys.argv:
            from bench.straightforward.alexa_skill import Session

            engine = Session.kw["bind"]
        else:
            engine = app.extensions["referrals.services"].db.engine  # type: ignore[attr-defined]
        event.listen(engine, "before_cursor_execute",
                     lambda *a, **k: statements.__setitem__(0, statements[0] + 1))
        for body, headers in requests[:20]:  # warm: caches, certificate, code paths
            assert client.post("/alexa/demo", data=body, headers=headers).status_code == 200
        statements[0] = 0
        timed = requests[20:20 + n]
        cpu_ms, hello_ms, wall_ms = interleaved(timed, client)
        per_turn_sql = statements[0] / n
        samples = sample(requests[20 + n:20 + 2 * n], client)  # fresh customers each time
        last = requests[20 + 2 * n:]  # signed before the profiler starts
        profiler = cProfile.Profile(time.thread_time_ns, 1e-9)  # CPU, not wall
        profiler.enable()
        for body, headers in last:
            response = client.post("/alexa/demo", data=body, headers=headers)
        profiler.disable()
        assert response.status_code == 200, response.data
    stats = pstats.Stats(profiler)
    for arg in sys.argv[1:]:
        if arg.startswith("--dump="):  # for pstats / snakeviz: callers, cumulative times
            stats.dump_stats(arg.removeprefix("--dump="))
    buckets: dict[str, float] = defaultdict(float)
    total = 0.0
    rows = []
    for (path, line, func), (_cc, nc, tt, _ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{path}:{line}({func})" if path != "~" else func
        total += tt
        rows.append((tt, nc, where))
        if path != "~" or not callers:
            buckets[bucket_of(where)] += tt
            continue
        # A builtin (isinstance, dict.get, a C method) counts where it was called from.
        weights = {caller: max(c[2], 1e-12) for caller, c in callers.items()}
        whole = sum(weights.values())
        for (cpath, cline, cfunc), w in weights.items():
            buckets[bucket_of(f"{cpath}:{cline}({cfunc})" if cpath != "~" else cfunc)] += (
                tt * w / whole)
    which = "straightforward skill" if "--baseline" in sys.argv else "ours"
    print(f"{which}: {n} verified Alexa share turns in-process (Flask test client), "
          f"{os.environ['DATABASE_URL'].split(':')[0]}")
    print(f"CPU per turn without the profiler: {cpu_ms:.2f} ms; SQL statements per turn: "
          f"{per_turn_sql:.1f}")
    print(f"CPU per bare Flask hello, interleaved with the turns: {hello_ms:.3f} ms; "
          f"turn / hello: {cpu_ms / hello_ms:.1f} (a 0.20x bench ratio needs about 5)")
    print(f"wall time per turn (the database's own work and waits included): {wall_ms:.2f} ms")
    whole = sum(samples.values())
    print(f"\n| where (sampled, {whole} samples) | share of CPU | ms per turn |")
    print("|---|---:|---:|")
    for name, k in sorted(samples.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {100 * k / whole:4.1f} % | {cpu_ms * k / whole:.2f} |")
    print("\n| where (cProfile own time, builtins to their callers) | share of CPU |")
    print("|---|---:|")
    for name, tt in sorted(buckets.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {100 * tt / total:4.1f} % |")
    if "--raw" in sys.argv:
        print()
        for tt, nc, where in sorted(rows, reverse=True)[:45]:
            print(f"{1000 * tt / n:7.3f} ms/turn {nc / n:7.1f} calls/turn  {where[-110:]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
