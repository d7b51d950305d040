"""The share turn on Dialogflow ES (header secret), Dialogflow CX (service-agent ID token
verified with google-auth, certificates cached) and Alice (skill id), each against a bare
Flask hello on gunicorn under wrk, like bench_alexa.py. Every request is a different linked
customer, so each writes a Share row and an outbox message.
Targets as bench_alexa.py."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_alexa import DATABASE, TARGET_P99_MS, TARGET_RATIO, add_customers, lua_script
from bench.bench_links import seeded_env
from bench.harness import gunicorn, wrk
from core.config import Settings
from core.db import Database
from core.models import VoiceIdentity
from core.services import bootstrap
from fulfillment.simulator.sandbox_keys import make_ca, make_leaf, pem
from tests.support.google_tokens import GoogleKeys
from voice.simulation.requests import Conversation, Utterance, build

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "15000"))


def relink(url: str, assistant: str) -> None:
    """The bench customers' voice ids, moved to another assistant."""
    db = Database(url)
    with db.session() as session:
        for identity in session.query(VoiceIdentity).filter(
                VoiceIdentity.assistant_user_id.like("amzn1.ask.account.BENCH-%")):
            identity.assistant = assistant
    db.dispose()


def main() -> int:
    seconds = int(os.environ.get("BENCH_SECONDS", "8"))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        env, demo = seeded_env(tmp, DATABASE)
        url = env["DATABASE_URL"]
        users = add_customers(url, CUSTOMERS)
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
        for n, (platform, assistant, headers, path) in enumerate(cases):
            relink(url, assistant)
            part = users[n * len(users) // 3:(n + 1) * len(users) // 3]
            bodies = []
            for user in part:
                conv = Conversation(platform, "demo", "en-US" if platform != "alice"
                                    else "ru-RU", user, settings.get("alice_skill_id", ""))
                said = Utterance("share the referral program" if platform != "alice"
                                 else "поделись реферальной программой", "ShareProgram")
                bodies.append(json.dumps(build(conv, said, now), ensure_ascii=False).encode())
            warm, script = Path(tmp) / f"{platform}-warm.lua", Path(tmp) / f"{platform}.lua"
            split = len(bodies) // 8  # the warm-up uses its own customers
            lua_script(warm, bodies[:split], [headers] * split, target=path)
            lua_script(script, bodies[split:], [headers] * (len(bodies) - split), target=path)
            with gunicorn("bench.voice_app:app", app_env) as base:
                wrk("warm-up", base + path, seconds=1, script=str(warm))
                results.append(wrk(f"{platform} share turn", base + path, seconds=seconds,
                                   script=str(script)))
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
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
