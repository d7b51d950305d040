"""An MCP tool call against the verified Alexa share turn, in the same run (issue 28).

Three subjects on gunicorn (2 workers each), loaded by wrk in interleaved rounds
(bench.compare): the bare Flask hello (the floor), the verified Alexa share turn (signed
ShareProgram, bench_alexa's request) and `tools/call share_referral_program` on the same app
(the MCP server mounted into the WSGI app through a2wsgi, as `serve` and `make run` run it).
Then one call at a time against the mount and against the MCP ASGI app alone under uvicorn
workers (the other way to serve it; uvicorn refused wrk's scripted requests as invalid HTTP, so
it gets no wrk rounds). Every request is a different linked customer's first share of the day,
so each writes a Share row and an outbox message, as the Alexa turn does; each MCP request
carries its own customer's bearer token (checked against the database on every call). SQLite by
default, PostgreSQL with BENCH_DATABASE_URL; BENCH_SECONDS / BENCH_ROUNDS shorten it."""

from __future__ import annotations

import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_alexa import CustomerPool, add_customers, lua_script, share_rows, to_prepare
from bench.bench_links import seeded_env
from bench.compare import Subject, interleave, table
from bench.harness import PRELOAD, gunicorn
from core.db import Database
from core.hashing import token_hash
from core.models import OAuthClient, OAuthToken, Shop, VoiceIdentity
from fulfillment.simulator.sandbox_keys import make_ca, make_leaf, pem, sign_sha256
from tests.support.alexa import envelope

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "5000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
CONNECTIONS = 16
DATABASE = os.environ.get("BENCH_DATABASE_URL", "")
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SEQUENTIAL = int(os.environ.get("BENCH_SEQUENTIAL", "200"))
RATE_FLOOR = 500.0  # req/s a round is prepared for at least (fresh customers/tokens)
CALL = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "share_referral_program", "arguments": {}}}
MCP_HEADERS = {"Accept": "application/json, text/event-stream",
               "Content-Type": "application/json", "MCP-Protocol-Version": "2025-11-25"}


class TokenPool:
    """Bearer tokens of signed-in customers nobody has shared for yet, handed out once each
    and seeded in batches as the rounds need them: customers linked as bench_alexa links
    them, each with an MCP sign-in (assistant "claude", as a Claude connector's would) and
    a token valid for the run."""

    def __init__(self, url: str, first: int = 10_000_000) -> None:
        self.url, self.next, self.tokens = url, first, []
        database = Database(url)
        with database.session() as session:
            self.shop_id = session.scalar(select(Shop.id).where(Shop.slug == "demo"))
            client = OAuthClient(client_id="mcp_bench", name="Claude", host="claude",
                                 redirect_uris=["https://claude.ai/api/mcp/auth_callback"],
                                 grant_types=["authorization_code"], auth_method="none",
                                 metadata_json={}, created_at=datetime.now(UTC))
            session.add(client)
            session.flush()
            self.client_pk = client.id
        database.dispose()

    def _seed(self, n: int) -> None:
        users = add_customers(self.url, n, first=self.next)
        self.next += n
        database = Database(self.url)
        now = datetime.now(UTC)
        with database.session() as session:
            linked = dict(session.execute(select(VoiceIdentity.assistant_user_id,
                                                 VoiceIdentity.customer_id).where(
                VoiceIdentity.assistant_user_id.in_(users))).all())
            rows = [(linked[u], f"oauth:{u}", secrets.token_urlsafe(32)) for u in users]
            session.execute(insert(VoiceIdentity), [
                {"shop_id": self.shop_id, "assistant": "claude", "assistant_user_id": subject,
                 "customer_id": customer, "linked_at": now, "created_at": now}
                for customer, subject, _ in rows])
            session.execute(insert(OAuthToken), [
                {"access_hash": token_hash(token), "client_pk": self.client_pk,
                 "shop_id": self.shop_id, "assistant": "claude", "subject": subject,
                 "scope": "referrals", "expires_at": now + timedelta(hours=2),
                 "created_at": now} for _, subject, token in rows])
        database.dispose()
        self.tokens += [token for _, _, token in rows]

    def take(self, n: int) -> list[str]:
        if n > len(self.tokens):
            self._seed(max(n - len(self.tokens), 5000))
        taken, self.tokens = self.tokens[:n], self.tokens[n:]
        return taken


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env, demo = seeded_env(tmp, DATABASE)
        url = env["DATABASE_URL"]
        alexa_pool = CustomerPool(url, CUSTOMERS)
        tokens = TokenPool(url)
        ca, ca_key = make_ca()
        leaf, key = make_leaf(ca, ca_key)
        pki = Path(tmp) / "pki"
        pki.mkdir()
        (pki / "ca.pem").write_bytes(pem(ca))
        (pki / "chain.pem").write_bytes(pem(leaf, ca))
        (pki / "google_certs.json").write_text("{}")
        skill_id = demo["skill_ids"]["alexa"]

        def alexa_round(label: str):  # type: ignore[no-untyped-def]
            def script(n: int, rate: float) -> str:
                now = datetime.now(UTC)
                users = alexa_pool.take(to_prepare(max(rate, RATE_FLOOR),
                                                   2 if n < 0 else SECONDS))
                bodies = [json.dumps(envelope(skill_id=skill_id, user_id=u,
                                              intent="ShareProgram", now=now)).encode()
                          for u in users]
                headers = [{"SignatureCertChainUrl":
                            "https://s3.amazonaws.com/echo.api/bench.pem",
                            "Signature-256": sign_sha256(key, b)} for b in bodies]
                path = Path(tmp) / f"{label}-{n}.lua"
                lua_script(path, bodies, headers)
                return str(path)
            return script

        def mcp_round(label: str):  # type: ignore[no-untyped-def]
            def script(n: int, rate: float) -> str:
                # the warm-up is slow (a worker's first MCP request loads the SDK): a round
                # sized from it alone ran out of fresh tokens and repeated them
                taken = tokens.take(to_prepare(max(rate, RATE_FLOOR),
                                               2 if n < 0 else SECONDS))
                body = json.dumps(CALL).encode()
                path = Path(tmp) / f"{label}-{n}.lua"
                lua_script(path, [body] * len(taken),
                           [{**MCP_HEADERS, "Authorization": f"Bearer {t}"} for t in taken],
                           target="/mcp/demo")
                return str(path)
            return script

        app_env = {**env, "BENCH_PKI_DIR": str(pki), "VERIFY_REQUESTS": "1"}
        uvicorn = ("-k", "uvicorn.workers.UvicornWorker")
        with gunicorn("bench.hello_app:app") as hello_url, \
                gunicorn("bench.voice_app:app", app_env, workers=WORKERS,
                         options=PRELOAD) as ours_url:
            rows = lambda: share_rows(url)  # noqa: E731
            hello = Subject("bare Flask hello", hello_url, "/hello")
            alexa = Subject("verified Alexa share turn", ours_url, "/alexa/demo",
                            alexa_round("alexa"), rows, 2)
            mounted = Subject("MCP tools/call share_referral_program", ours_url,
                              "/mcp/demo", mcp_round("mounted"), rows, 2)
            interleave([hello, alexa, mounted], rounds=ROUNDS, seconds=SECONDS,
                       connections=CONNECTIONS, first_rate=300)
            mounted_ms = sequential(ours_url, tokens)
        with gunicorn("bench.mcp_asgi_app:app", app_env, workers=WORKERS,
                      options=uvicorn, probe="/mcp/demo") as asgi_url:
            alone_ms = sequential(asgi_url, tokens)
    where = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"database: {where}, {WORKERS} gunicorn workers each, load average "
          f"{os.getloadavg()[0]:.1f} (shared machine: rounds interleaved)")
    table(f"MCP tool call vs verified Alexa share turn, {where}", hello, [(alexa, mounted)])
    ratio = statistics.median(m.rps / a.rps for m, a in zip(mounted.results, alexa.results,
                                                             strict=True))
    print(f"MCP tool call / Alexa share turn, req/s: {ratio:.2f}x; p50 "
          f"{statistics.median(r.p50_ms for r in mounted.results):.1f} ms vs "
          f"{statistics.median(r.p50_ms for r in alexa.results):.1f} ms")
    for label, found in (("WSGI mount (a2wsgi, gunicorn sync)", mounted_ms),
                         ("ASGI alone (uvicorn workers)", alone_ms)):
        print(f"one client, one call at a time, {label}: " + ", ".join(
            f"{tool} p50 {statistics.median(ms):.1f} ms" for tool, ms in found.items()))
    return 0


def sequential(base: str, tokens: TokenPool, n: int = SEQUENTIAL) -> dict[str, list[float]]:
    """Latency of one call at a time (a new connection each, as a host's call comes): a
    customer's first share, and explain_program (read only), `n` each."""
    import requests

    found: dict[str, list[float]] = {"share": [], "explain": []}
    explain = {**CALL, "params": {"name": "explain_program", "arguments": {}}}
    for tool, body in (("share", CALL), ("explain", explain)):
        for token in tokens.take(n):
            started = time.perf_counter()
            answer = requests.post(base + "/mcp/demo", data=json.dumps(body), timeout=10,
                                   headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"})
            found[tool].append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200 and not answer.json()["result"]["isError"]
    return found


if __name__ == "__main__":
    raise SystemExit(main())
