"""A local server speaking the Yandex Dialogs image API: POST /api/v1/skills/<id>/images
(multipart `file`, `Authorization: OAuth`) and GET /api/v1/status, with scripted 429/5xx."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.support.http_servers import JsonHandler, serve


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

    class Handler(JsonHandler):
        def _authorized(self) -> bool:
            if self.headers.get("Authorization") != f"OAuth {state.token}":
                self.reply(403, {"message": "Forbidden"})
                return False
            return True

        def do_GET(self) -> None:
            if self._authorized() and self.path == "/api/v1/status":
                self.reply(200, {"images": {"quota": {"total": 104857600,
                                                       "used": state.used}}})

        def do_POST(self) -> None:
            body = self.body()
            if not self._authorized():
                return
            if not re.match(r"^/api/v1/skills/[\w-]+/images$", self.path):
                return self.reply(404, {"message": "not found"})
            if state.failures:
                return self.reply(state.failures.pop(0), {"message": "try later"})
            state.uploads.append(len(body))
            state.used += len(body)
            self.reply(201, {"image": {"id": f"1027858/img{len(state.uploads)}",
                                        "origUrl": None, "size": len(body),
                                        "createdAt": "2026-11-24T12:00:00.000Z"}})

    with serve(Handler) as url:
        state.url = url
        yield state
