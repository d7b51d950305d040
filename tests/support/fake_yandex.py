"""A local server speaking the Yandex Dialogs image API: POST /api/v1/skills/<id>/images
(multipart `file`, `Authorization: OAuth`) and GET /api/v1/status, with scripted 429/5xx."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeDialogs:
    url: str = ""
    token: str = ""
    failures: list[int] = field(default_factory=list)
    uploads: list[int] = field(default_factory=list)  # sizes
    used: int = 0


@contextmanager
def fake_dialogs(token: str) -> Iterator[FakeDialogs]:
    state = FakeDialogs(token=token)

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorized(self) -> bool:
            if self.headers.get("Authorization") != f"OAuth {state.token}":
                self._reply(403, {"message": "Forbidden"})
                return False
            return True

        def do_GET(self) -> None:
            if self._authorized() and self.path == "/api/v1/status":
                self._reply(200, {"images": {"quota": {"total": 104857600,
                                                       "used": state.used}}})

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not self._authorized():
                return
            if not re.match(r"^/api/v1/skills/[\w-]+/images$", self.path):
                return self._reply(404, {"message": "not found"})
            if state.failures:
                return self._reply(state.failures.pop(0), {"message": "try later"})
            state.uploads.append(len(body))
            state.used += len(body)
            self._reply(201, {"image": {"id": f"1027858/img{len(state.uploads)}",
                                        "origUrl": None, "size": len(body),
                                        "createdAt": "2026-11-24T12:00:00.000Z"}})

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads, server.block_on_close = True, False
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
