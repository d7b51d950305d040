"""Store webhooks (POST /shopify/<shop>/webhooks) against a bare Flask hello and the signed
generic event carrying the same checkout, all on gunicorn (2 sync workers) under wrk:
distinct orders/paid deliveries whose discount code is Alex's referral code from buyers
never seen before (HMAC check, delivery dedupe row, customer created from the order, fraud
rules, referral, conversion, two ledger entries), the same through order.completed with
`codes`, and one delivery re-sent (answered from the dedupe row). No target in the issue
beyond "Shopify expects an answer within 5 s": the numbers are reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_events import THREADS
from bench.bench_links import seeded_env
from bench.harness import REPO, gunicorn, lua_quote, wrk
from core.db import Database
from core.models import Conversion, LedgerEntry, Program, Referral, StoreWebhook
from core.webhook_signing import sign_header
from tests.support.store_samples import shopify_delivery, shopify_order

EVENTS = int(os.environ.get("BENCH_EVENTS", "6000"))
APP_SECRET = "shpss_bench-app-secret"


def lua_script(path: Path, target: str, requests: list[tuple[dict[str, str], bytes]]) -> None:
    lines = ["local reqs = {}"]
    for headers, body in requests:
        lines.append(f"reqs[#reqs+1] = wrk.format('POST', '{target}', {{"
                     + ", ".join(f"[{json.dumps(k)}]={json.dumps(v)}" for k, v in headers.items())
                     + "}, " + lua_quote(body) + ")")
    lines += ["local n = 0",
              "function setup(thread) n = n + 1; thread:set('offset', n) end",
              "local i = nil",
              "request = function()",
              "  if i == nil then i = offset end",
              "  local r = reqs[(i - 1) % #reqs + 1]",
              f"  i = i + {THREADS}",
              "  return r",
              "end"]
    path.write_text("\n".join(lines))


def main() -> int:
    seconds = int(os.environ.get("BENCH_SECONDS", "8"))
    with tempfile.TemporaryDirectory() as tmp:
        env, demo = seeded_env(tmp)
        subprocess.run([sys.executable, "-m", "fulfillment", "stores", "connect", "--shop",
                        "demo", "--platform", "shopify", "--domain",
                        "demo-shop.myshopify.com", "--access-token", "shpat_bench",
                        "--webhook-secret", APP_SECRET], cwd=REPO,
                       env={**os.environ, **env}, check=True, capture_output=True)
        database = Database(env["DATABASE_URL"])
        with database.session() as session:  # measure the ordinary path, not review flags
            program = session.scalar(select(Program).where(Program.active.is_(True)))
            program.fraud_rules = {"velocity_code": "off", "velocity_ip": "off"}
        shopify = []
        for i in range(EVENTS):
            raw, headers = shopify_delivery(APP_SECRET, "orders/paid", shopify_order(
                10_000 + i, codes=[demo["code"]], customer_id=50_000 + i,
                email=f"buyer{i}@example.org"), webhook_id=f"wh-{i}")
            shopify.append((headers, raw))
        now = int(time.time())
        generic = []
        for i in range(EVENTS):
            body = json.dumps({"id": f"evt_{i}", "type": "order.completed", "shop": "demo",
                               "order_id": f"g-{i}", "customer_id": f"g-buyer-{i}",
                               "amount": 6000, "currency": "USD", "codes": [demo["code"]],
                               "customer": {"email": f"g{i}@example.org"}},
                              separators=(",", ":")).encode()
            generic.append(({"Content-Type": "application/json", "X-Referral-Signature":
                             sign_header([demo["webhook_secret"]], now, body)}, body))
        lua_script(Path(tmp) / "shopify.lua", "/shopify/demo/webhooks", shopify)
        lua_script(Path(tmp) / "generic.lua", "/api/v1/events", generic)
        lua_script(Path(tmp) / "replay.lua", "/shopify/demo/webhooks", shopify[:1])

        with gunicorn("bench.hello_app:app") as base:
            wrk("warm-up", base + "/hello", seconds=2)
            hello = wrk("bare Flask hello", base + "/hello", seconds=seconds)
        with gunicorn("fulfillment.wsgi:app", env) as base:
            store = wrk("orders/paid with the code (new buyers)",
                        base + "/shopify/demo/webhooks", seconds=seconds,
                        script=str(Path(tmp) / "shopify.lua"))
            event = wrk("order.completed with codes (signed)", base + "/api/v1/events",
                        seconds=seconds, script=str(Path(tmp) / "generic.lua"))
            replay = wrk("one Shopify delivery re-sent", base + "/shopify/demo/webhooks",
                         seconds=seconds, script=str(Path(tmp) / "replay.lua"))
        with database.session() as session:
            counts = {name: session.scalar(select(func.count(model.id))) for name, model in (
                ("deliveries", StoreWebhook), ("referrals", Referral),
                ("conversions", Conversion), ("ledger entries", LedgerEntry))}
        database.dispose()
    for row in (hello.row(), store.row(hello), event.row(hello), replay.row(hello)):
        print(row)
    print("rows written:", ", ".join(f"{k} {v}" for k, v in counts.items()))
    if counts["ledger entries"] != 2 * counts["conversions"] or store.errors or event.errors:
        print("every conversion should have two ledger entries, and no request fail")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
