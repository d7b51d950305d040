"""A local server speaking the Yandex Dialogs image API: POST /api/v1/skills/<id>/images
(multipart `file`, `Authorization: OAuth`) and GET /api/v1/status, with scripted 429/5xx."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP

from tests.support.http_servers import JsonHandler, serve


@dataclass
class FakeDialogs:
    url: str = ""
    token: str = ""
    failures: list[int] = field(default_factory=list)
    uploads: list[int] = field(default_factory=list)  # sizes
    images: list[bytes] = field(default_factory=list)  # the `file` parts, as sent
    used: int = 0


def file_part(content_type: str, body: bytes) -> bytes | None:
    """The multipart/form-data part named `file`, as Yandex reads it, or None."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    for part in message.iter_parts() if message.is_multipart() else ():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else None
    return None


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
            image = file_part(self.headers.get("Content-Type", ""), body)
            if image is None:
                return self.reply(400, {"message": "multipart field 'file' is required"})
            state.uploads.append(len(image))
            state.images.append(image)
            state.used += len(image)
            self.reply(201, {"image": {"id": f"1027858/img{len(state.uploads)}",
                                        "origUrl": None, "size": len(image),
                                        "createdAt": "2026-11-24T12:00:00.000Z"}})

    with serve(Handler) as url:
        state.url = url
        yield state
