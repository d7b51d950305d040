"""The share turn on Dialogflow ES (header secret), Dialogflow CX (service-agent ID token
verified with google-auth, certificates cached) and Alice (skill id), each against a bare
Flask hello on gunicorn under wrk, like bench_alexa.py. Every request is a linked customer
nobody has sent yet (as many as the run can take, from the warm-up's rate), so each writes
a Share row and an outbox message; the rows are counted against the responses.
Targets as bench_alexa.py."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import update

from bench.bench_alexa import (
    DATABASE,
    HEADROOM,
    TARGET_P99_MS,
    TARGET_RATIO,
    CustomerPool,
    lua_script,
    share_rows,
)
from bench.bench_links import seeded_env
from bench.compare import ROW_SLACK
from bench.harness import PRELOAD, gunicorn, wrk
from core.config import Settings
from core.db import Database
from core.models import VoiceIdentity
from core.services import bootstrap
from fulfillment.simulator.sandbox_keys import make_ca, make_leaf, pem
from tests.support.google_tokens import GoogleKeys
from voice.simulation.requests import Conversation, Utterance, build

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "15000"))
WARM_CUSTOMERS = 1000


def relink(url: str, assistant: str, users: list[str]) -> None:
    """These bench customers' voice ids, moved to another assistant."""
    db = Database(url)
    with db.session() as session:
        session.execute(update(VoiceIdentity).where(
            VoiceIdentity.assistant_user_id.in_(users)).values(assistant=assistant))
    db.dispose()


def main() -> int:
    seconds = int(os.environ.get("BENCH_SECONDS", "8"))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        env, demo = seeded_env(tmp, DATABASE)
        url = env["DATABASE_URL"]
        pool = CustomerPool(url, CUSTOMERS)
        services = bootstrap(Settings(database_url=url, secret_key=os.environ["SECRET_KEY"],
                                      hash_key=os.environ["HASH_KEY"]), db=Database(url),
                             background_clicks=False)
        with services.db.session() as session:
            from core.models import Shop

            shop = session.query(Shop).filter_by(slug="demo").one()
            settings = dict(shop.settings)
        services.clicks.close()
        keys = GoogleKeys()
        pki = Path(tmp) / "pki"
        pki.mkdir()
        ca, ca_key = make_ca()
        leaf, _ = make_leaf(ca, ca_key)
        (pki / "ca.pem").write_bytes(pem(ca))
        (pki / "chain.pem").write_bytes(pem(leaf, ca))
        (pki / "google_certs.json").write_text(json.dumps({keys.kid: pem(keys.cert).decode()}))
        now = datetime.now(UTC)
        token = keys.token(audience=settings["dialogflow_audience"],
                           email=settings["dialogflow_service_agent"])
        es_headers = {demo["dialogflow"]["es_header"]: demo["dialogflow"]["es_secret"]}
        cases = [("dialogflow-es", "google", es_headers, "/dialogflow/demo"),
                 ("dialogflow-cx", "google", {"Authorization": f"Bearer {token}"},
                  "/dialogflow/demo"),
                 ("alice", "alice", {}, "/alice/demo")]
        with gunicorn("bench.hello_app:app") as base:
            wrk("warm-up", base + "/hello", seconds=2)
            hello = wrk("bare Flask hello", base + "/hello", seconds=seconds)
        app_env = {**env, "BENCH_PKI_DIR": str(pki), "VERIFY_REQUESTS": "1"}
        counts = []
        for platform, assistant, headers, path in cases:
            def script(users: list[str], name: str, platform: str = platform,
                       assistant: str = assistant, headers: dict[str, str] = headers,
                       path: str = path) -> str:
                relink(url, assistant, users)
                bodies = []
                for user in users:
                    conv = Conversation(platform, "demo", "en-US" if platform != "alice"
                                        else "ru-RU", user, settings.get("alice_skill_id", ""))
                    said = Utterance("share the referral program" if platform != "alice"
                                     else "поделись реферальной программой", "ShareProgram")
                    bodies.append(json.dumps(build(conv, said, now), ensure_ascii=False)
                                  .encode())
                lua = Path(tmp) / f"{platform}-{name}.lua"
                lua_script(lua, bodies, [headers] * len(bodies), target=path)
                return str(lua)

            with gunicorn("bench.voice_app:app", app_env, options=PRELOAD) as base:
                warm = wrk("warm-up", base + path, seconds=1,
                           script=script(pool.take(WARM_CUSTOMERS), "warm"))
                prepared = int(HEADROOM * max(warm.rps, 50.0) * seconds) + 100
                measured = script(pool.take(prepared), "run")
                time.sleep(1.0)  # the warm-up's last requests land first
                before = share_rows(url)
                result = wrk(f"{platform} share turn", base + path, seconds=seconds,
                             script=measured, server=base)
                time.sleep(1.0)
                counts.append((result, share_rows(url) - before, prepared))
                results.append(result)
    print(f"database: {url.split('@')[-1].split('?')[0]}")
    print(hello.row())
    ok = True
    for result in results:
        print(result.row(hello))
        ratio = result.rps / hello.rps
        meets = ratio >= TARGET_RATIO and result.p99_ms <= TARGET_P99_MS and result.errors == 0
        ok &= meets
        print(f"  {result.label}: {ratio:.2f}x of hello, p99 {result.p99_ms:.2f} ms: "
              f"{'meets' if meets else 'MISSES'} the targets")
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
