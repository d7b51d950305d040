"""The verified Alexa share turn against a bare Flask hello, both on gunicorn (2 sync
workers) under wrk. Each request is a genuinely signed ShareProgram from a different linked
customer, so every one verifies the signature (certificate cached), writes a Share row and an
outbox message. Targets: >= 0.45x the hello's req/s and p99 <= 15 ms."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_links import seeded_env
from bench.harness import gunicorn, wrk
from core import codes
from core.db import Database
from core.models import Customer, Message, ReferralCode, Share, Shop, VoiceIdentity
from fulfillment.sandbox_keys import make_ca, make_leaf, pem, sign_sha256
from tests.support.alexa import envelope

TARGET_RATIO, TARGET_P99_MS = 0.45, 15.0
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "12000"))
# SQLite (the embedded default) or PostgreSQL (what several gunicorn workers should use).
DATABASE = os.environ.get("BENCH_DATABASE_URL", "")


def add_customers(url: str, n: int) -> list[str]:
    """n linked customers with confirmed phones and their codes (a code is made once, at a
    customer's first share; the turn measured here is every share after that)."""
    database = Database(url)
    users = []
    with database.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        now = datetime.now(UTC)
        for i in range(n):
            customer = Customer(shop_id=shop.id, external_id=f"bench-{i}", name=f"Bench{i}",
                                phone=f"+1555555{i % 10000:04d}", phone_confirmed_at=now,
                                consent_sms=True)
            session.add(customer)
            session.flush()
            session.add(ReferralCode(code=codes.generate(None, extra_digits=4),
                                     shop_id=shop.id, customer_id=customer.id,
                                     spoken_name=customer.name))
            user = f"amzn1.ask.account.BENCH-{i}"
            session.add(VoiceIdentity(shop_id=shop.id, assistant="alexa",
                                      assistant_user_id=user, customer_id=customer.id,
                                      linked_at=now))
            users.append(user)
    database.dispose()
    return users


def lua_quote(data: bytes) -> str:
    """A Lua string literal for any bytes (LuaJIT has no \\u escapes): decimal escapes."""
    return '"' + "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03d}"
                         for b in data) + '"'


def lua_script(path: Path, bodies: list[bytes], headers: list[dict[str, str]],
               target: str = "/alexa/demo") -> None:
    """wrk walks the pre-signed requests in order, one customer per request."""
    lines = ["local reqs = {}"]
    for body, head in zip(bodies, headers, strict=True):
        hdrs = {**head, "Content-Type": "application/json"}
        lines.append(f"reqs[#reqs+1] = wrk.format('POST', '{target}', {{"
                     + ", ".join(f"[{json.dumps(k)}]={json.dumps(v)}" for k, v in hdrs.items())
                     + "}, " + lua_quote(body) + ")")
    lines += ["local i = 0", "request = function()", "  i = i % #reqs + 1",
              "  return reqs[i]", "end"]
    path.write_text("\n".join(lines))


def main() -> int:
    seconds = int(os.environ.get("BENCH_SECONDS", "8"))
    with tempfile.TemporaryDirectory() as tmp:
        env, demo = seeded_env(tmp, DATABASE)
        url = env["DATABASE_URL"]
        users = add_customers(url, CUSTOMERS)
        ca, ca_key = make_ca()
        leaf, key = make_leaf(ca, ca_key)
        pki = Path(tmp) / "pki"
        pki.mkdir()
        (pki / "ca.pem").write_bytes(pem(ca))
        (pki / "chain.pem").write_bytes(pem(leaf, ca))
        (pki / "google_certs.json").write_text("{}")
        now = datetime.now(UTC)
        bodies = [json.dumps(envelope(skill_id=demo["skill_ids"]["alexa"], user_id=u,
                                      intent="ShareProgram", now=now)).encode() for u in users]
        headers = [{"SignatureCertChainUrl": "https://s3.amazonaws.com/echo.api/bench.pem",
                    "Signature-256": sign_sha256(key, b)} for b in bodies]
        split = len(bodies) // 8  # the warm-up uses its own customers
        lua_script(Path(tmp) / "warm.lua", bodies[:split], headers[:split])
        lua_script(Path(tmp) / "share.lua", bodies[split:], headers[split:])
        with gunicorn("bench.hello_app:app") as base:
            wrk("warm-up", base + "/hello", seconds=2)
            hello = wrk("bare Flask hello", base + "/hello", seconds=seconds)
        app_env = {**env, "BENCH_PKI_DIR": str(pki), "VERIFY_REQUESTS": "1"}
        with gunicorn("bench.voice_app:app", app_env) as base:
            wrk("warm-up", base + "/alexa/demo", seconds=2, script=str(Path(tmp) / "warm.lua"))
            share = wrk("verified Alexa share turn", base + "/alexa/demo", seconds=seconds,
                        script=str(Path(tmp) / "share.lua"))
        database = Database(url)
        with database.session() as session:
            shares = session.scalar(select(func.count(Share.id)))
            messages = session.scalar(select(func.count(Message.id)))
        database.dispose()
    print(f"database: {url.split('@')[-1].split('?')[0]}")
    print(hello.row())
    print(share.row(hello))
    print(f"rows written: {shares} shares, {messages} outbox messages")
    ratio = share.rps / hello.rps
    ok = ratio >= TARGET_RATIO and share.p99_ms <= TARGET_P99_MS and share.errors == 0
    print(f"alexa share: {ratio:.2f}x of hello (target {TARGET_RATIO}x), p99 "
          f"{share.p99_ms:.2f} ms (target {TARGET_P99_MS} ms): {'meets' if ok else 'MISSES'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
