"""The share turn on Sber Salute (secret path token + projectId, our NLU on original_text,
the dialog state kept on our side) against the same turn on Alice (skill id, Alice's
request shape), in the same run, on gunicorn under wrk like bench_google_alice.py. Every
request is a linked customer nobody has sent yet, so each writes a Share row and an outbox
message; the rows are counted against the responses.

Reports Salute's throughput as a ratio of Alice's, and Salute's p99 against its budget:
Salute waits 7 s for the whole round trip (developers.sber.ru/docs/ru/va/api/overview);
the target is p99 far below it (TARGET_P99_MS, as for the other assistants).

    BENCH_SECONDS=3 BENCH_CUSTOMERS=6000 .venv/bin/python bench/bench_salute.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_alexa import (
    DATABASE,
    HEADROOM,
    CustomerPool,
    lua_script,
    share_rows,
)
from bench.bench_google_alice import relink
from bench.bench_links import seeded_env
from bench.compare import ROW_SLACK
from bench.harness import PRELOAD, WrkResult, gunicorn, wrk
from core import assistant_setup
from core.config import Settings
from core.db import Database
from core.services import bootstrap
from fulfillment.simulator.sandbox_keys import make_ca, make_leaf, pem
from voice.simulation.requests import Conversation, Utterance, build

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "8000"))
WARM_CUSTOMERS = 500
SALUTE_BUDGET_MS = 7000.0
TARGET_P99_SALUTE_MS = 350.0  # 5% of Salute's 7 s (the rest: network, TLS, Sber's side)
TARGET_SALUTE_VS_ALICE = 0.8  # vs Alice without grammars: the same work plus a state store
MIN_RATE = 400.0  # customers prepared as if at least this rate (a slow warm-up repeats none)


def main() -> int:
    seconds = int(os.environ.get("BENCH_SECONDS", "5"))
    with tempfile.TemporaryDirectory() as tmp:
        env, _ = seeded_env(tmp, DATABASE)
        url = env["DATABASE_URL"]
        pool = CustomerPool(url, CUSTOMERS)
        services = bootstrap(Settings(database_url=url, secret_key=os.environ["SECRET_KEY"],
                                      hash_key=os.environ["HASH_KEY"]), db=Database(url),
                             background_clicks=False)
        with services.db.session() as session:
            from core.models import Shop

            settings = dict(session.query(Shop).filter_by(slug="demo").one().settings)
        token = assistant_setup.path_token(settings, services.box, "salute") or ""
        services.clicks.close()
        now = datetime.now(UTC)
        # Alice twice: as the skill's grammars match (Yandex sends our intent) and before
        # they do (`command` only: our NLU runs, as it always does for Salute).
        cases = [("alice", settings["alice_skill_id"], "/alice/demo"),
                 ("salute", settings["salute_project_id"], f"/salute/demo/{token}"),
                 ("alice-nlu", settings["alice_skill_id"], "/alice/demo")]
        pki = Path(tmp) / "pki"  # bench.voice_app verifies Alexa and Google too: test PKI
        pki.mkdir()
        ca, ca_key = make_ca()
        leaf, _ = make_leaf(ca, ca_key)
        (pki / "ca.pem").write_bytes(pem(ca))
        (pki / "chain.pem").write_bytes(pem(leaf, ca))
        (pki / "google_certs.json").write_text("{}")
        app_env = {**env, "VERIFY_REQUESTS": "1", "BENCH_PKI_DIR": str(pki)}
        results: dict[str, list[WrkResult]] = {}
        counts = []
        # twice, the second time in reverse order: a later run on the same database is
        # not favoured (the means are compared)
        for platform, skill, path in [*cases, *reversed(cases)]:
            def script(users: list[str], name: str, platform: str = platform,
                       skill: str = skill, path: str = path) -> str:
                assistant = platform.split("-")[0]
                relink(url, assistant, users)
                bodies = []
                for user in users:
                    conv = Conversation(assistant, "demo", "ru-RU", user, skill)
                    said = Utterance("поделись реферальной программой", "ShareProgram")
                    body = build(conv, said, now)
                    if platform == "alice-nlu":
                        body["request"]["nlu"]["intents"] = {}
                    bodies.append(json.dumps(body, ensure_ascii=False).encode())
                lua = Path(tmp) / f"{platform}-{name}.lua"
                lua_script(lua, bodies, [{}] * len(bodies), target=path)
                return str(lua)

            with gunicorn("bench.voice_app:app", app_env, options=PRELOAD) as base:
                warm = wrk("warm-up", base + path, seconds=1,
                           script=script(pool.take(WARM_CUSTOMERS), "warm"))
                prepared = int(HEADROOM * max(warm.rps, MIN_RATE) * seconds) + 100
                measured = script(pool.take(prepared), "run")
                time.sleep(1.0)
                before = share_rows(url)
                result = wrk(f"{platform} share turn", base + path, seconds=seconds,
                             script=measured, server=base)
                time.sleep(1.0)
                counts.append((result, share_rows(url) - before, prepared))
                results.setdefault(platform, []).append(result)
    print(f"database: {url.split('@')[-1].split('?')[0]}")
    for runs in results.values():
        for result in runs:
            print(result.row(results["alice"][0]))

    def rate(name: str) -> float:
        return sum(r.rps for r in results[name]) / len(results[name])

    p99 = max(r.p99_ms for r in results["salute"])
    ratio, vs_plain = rate("salute") / rate("alice"), rate("salute") / rate("alice-nlu")
    ok = (vs_plain >= TARGET_SALUTE_VS_ALICE and p99 <= TARGET_P99_SALUTE_MS
          and all(r.errors == 0 for runs in results.values() for r in runs))
    print(f"  salute vs alice (mean of 2 runs each): {ratio:.2f}x the turns per second "
          f"({vs_plain:.2f}x of Alice without grammars, target {TARGET_SALUTE_VS_ALICE}); "
          f"salute p99 {p99:.1f} ms = {100 * p99 / SALUTE_BUDGET_MS:.1f}% of Salute's 7 s "
          f"(target {TARGET_P99_SALUTE_MS:.0f} ms): {'meets' if ok else 'MISSES'} the targets")
    for result, rows, prepared in counts:
        matched = (2 * result.requests <= rows <= 2 * (result.requests + ROW_SLACK)
                   and result.requests <= prepared)
        ok &= matched
        print(f"  {result.label}: {rows} rows (share + outbox) for {result.requests} "
              f"responses, {prepared} distinct customers prepared: "
              f"{'ok' if matched else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
