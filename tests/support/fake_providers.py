"""Local HTTP servers that speak the provider APIs we call (Twilio Messages, Meta WhatsApp
Cloud, Telegram Bot), with scripted failures and a record of what arrived. Deliveries are
also counted per idempotency key, the way a provider that honours one would dedupe."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from tests.support.http_servers import JsonHandler, serve


@dataclass
class FakeProviders:
    url: str = ""
    # (status, body) answers to hand out before answering normally, per API.
    script: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    keys: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, api: str, *answers: tuple[int, dict[str, Any]]) -> None:
        self.script.setdefault(api, []).extend(answers)

    def of(self, api: str) -> list[dict[str, Any]]:
        return [r for r in self.received if r["api"] == api]


TWILIO = re.compile(r"^/2010-04-01/Accounts/(\w+)/Messages\.json$")
META = re.compile(r"^/v[\d.]+/(\w+)/messages$")
TELEGRAM = re.compile(r"^/bot([^/]+)/sendMessage$")


@contextmanager
def fake_providers() -> Iterator[FakeProviders]:
    state = FakeProviders()

    class Handler(JsonHandler):
        def do_POST(self) -> None:
            raw = self.body()
            if TWILIO.match(self.path):
                api, data = "twilio", {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            elif META.match(self.path):
                api, data = "whatsapp", json.loads(raw)
            elif TELEGRAM.match(self.path):
                api, data = "telegram", json.loads(raw)
            else:
                return self.reply(404, {"error": "unknown path"})
            with state.lock:
                scripted = state.script.get(api) or []
                if scripted:
                    return self.reply(*scripted.pop(0))
                n = len(state.received) + 1
                state.received.append({"api": api, "data": data, "headers": dict(self.headers)})
                key = self.headers.get("Idempotency-Key") or self.headers.get(
                    "I-Twilio-Idempotency-Token")
                if key:
                    state.keys[key] += 1
            if api == "twilio":
                self.reply(201, {"sid": f"SM{n:032d}", "status": "queued", "to": data.get("To"),
                                  "from": data.get("From"), "body": data.get("Body")})
            elif api == "whatsapp":
                self.reply(200, {"messaging_product": "whatsapp",
                                  "messages": [{"id": f"wamid.{n}"}]})
            else:
                self.reply(200, {"ok": True, "result": {"message_id": n}})

    with serve(Handler) as url:
        state.url = url
        yield state


def twilio_error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"code": code, "message": message, "status": status,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}"}
