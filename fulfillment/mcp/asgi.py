"""How the MCP server is served: the SDK's Streamable HTTP app (stateless, JSON responses),
behind a bearer check, mounted into the WSGI app at /mcp/<shop> through a2wsgi.

Why in-process: one port and one URL for hosts to paste (the OAuth endpoints and the MCP
endpoint share an origin, as RFC 9728 discovery expects), the same `serve`/`make run`, the
same database pool and Services. Stateless JSON mode keeps every tools/call one HTTP
request with no session to pin to a worker, so gunicorn's workers share the load. The
ASGI side runs on one event loop per app in a thread (started on the first MCP request);
blocking core calls run in worker threads (anyio.to_thread). bench/bench_mcp.py measures
this against the same app under uvicorn.

A request with an Origin header from a page that is not ours nor a known host's web app is a
403 before anything else (the transport spec's DNS-rebinding rule). The bearer check answers
what the MCP authorization spec and Amazon's Alexa+ checklist ask of an unauthenticated
call: 401 with `WWW-Authenticate: Bearer resource_metadata="<RFC 9728
document for this shop>"` (plus `error="invalid_token"` when a token was sent and refused)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import anyio
from a2wsgi import ASGIMiddleware
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings

from core import assistant_status, oauth_grants
from core.oauth_grants import AccessCheck, Refusal
from core.services import Services
from fulfillment.mcp import tools

log = logging.getLogger(__name__)
PATH = re.compile(r"^/mcp/([A-Za-z0-9_-]{1,64})/?$")
MAX_BODY = 1024 * 1024
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
REASONS = {Refusal.MISSING: "No access token: sign in through the authorization server.",
           Refusal.UNKNOWN: "The access token is not valid.",
           Refusal.EXPIRED: "The access token has expired.",
           Refusal.REVOKED: "The access token was revoked.",
           Refusal.OTHER_SHOP: "The access token was issued for another shop.",
           Refusal.UNLINKED: "The sign-in behind this token no longer exists."}


# Hosts whose web apps may call from a browser; any other page's Origin is refused (the MCP
# transport spec: validate Origin against DNS rebinding, 403 when present and invalid).
HOST_ORIGINS = ("https://claude.ai", "https://claude.com", "https://chatgpt.com")


def _origin(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"origin":
            return bytes(value).decode("latin-1")
    return None


def _bearer(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if kind.lower() == "bearer" and token.strip() else None
    return None


async def _send_json(send: Send, status: int, body: dict[str, Any],
                     headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()),
                            (b"cache-control", b"no-store"), *headers]})
    await send({"type": "http.response.body", "body": payload})


class McpApp:
    """The ASGI app for /mcp/<shop>: check the token, then the SDK answers."""

    def __init__(self, services: Services) -> None:
        self.services = services
        # one INFO line per stateless request ("Terminating session: None"): noise
        logging.getLogger("mcp.server.streamable_http").setLevel(logging.WARNING)
        self.server: MCPServer = tools.build(services)
        self.inner = self.server.streamable_http_app(
            streamable_http_path="/mcp", json_response=True, stateless_http=True,
            max_request_body_size=MAX_BODY,
            # Every call carries a bearer token (never a cookie), so a rebinding page has
            # nothing to ride on; hosts call from their own servers with any Host.
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))

    @property
    def own_origin(self) -> str:
        parts = urlsplit(self.services.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    def metadata_url(self, slug: str) -> str:
        return f"{self.services.base_url}/.well-known/oauth-protected-resource/mcp/{slug}"

    def _check(self, slug: str, token: str | None) -> AccessCheck | None:
        svc = self.services
        check = oauth_grants.check(svc, slug, token)
        if check is None:
            return None
        status = assistant_status.recorder(svc)
        if check.grant is not None:
            status.note_accepted(slug, "mcp", svc.clock(), check.grant.host, "")
        elif check.refusal is not Refusal.MISSING:
            status.note_refused(slug, "mcp", svc.clock(),
                                REASONS[check.refusal or Refusal.UNKNOWN])
        return check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        match = PATH.match(scope.get("path", ""))
        if match is None:
            await _send_json(send, 404, {"error": "not_found"})
            return
        slug = match.group(1)
        origin = _origin(scope)
        if origin is not None and origin not in (*HOST_ORIGINS, self.own_origin):
            await _send_json(send, 403, {"error": "forbidden_origin",
                                         "error_description": "This Origin may not call."})
            return
        token = _bearer(scope)
        check = await anyio.to_thread.run_sync(self._check, slug, token)
        if check is None:
            await _send_json(send, 404, {"error": "unknown_shop"})
            return
        if check.grant is None or check.refusal is not None:
            reason = REASONS[check.refusal or Refusal.UNKNOWN]
            challenge = (f'Bearer resource_metadata="{self.metadata_url(slug)}", '
                         f'scope="{oauth_grants.SCOPE}"')
            if check.refusal is not Refusal.MISSING:
                challenge += f', error="invalid_token", error_description="{reason}"'
            await _send_json(send, 401, {"error": "invalid_token" if token else "unauthorized",
                                         "error_description": reason},
                             [(b"www-authenticate", challenge.encode())])
            return
        inner_scope = {**scope, "path": "/mcp", "raw_path": b"/mcp", "root_path": "",
                       tools.GRANT_KEY: check.grant, tools.SHOP_KEY: slug}
        await self.inner(inner_scope, receive, send)  # type: ignore[arg-type]


class Bridge:
    """The ASGI app on its own event loop thread, as a WSGI app (a2wsgi). The SDK's session
    manager runs for the bridge's life; `close()` stops both."""

    def __init__(self, services: Services) -> None:
        self.app = McpApp(services)
        self.loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="mcp-loop", daemon=True)
        self._thread.start()
        self._started.wait(10)
        self.wsgi = ASGIMiddleware(self.app, loop=self.loop)  # type: ignore[arg-type]

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with self.app.server.session_manager.run():
            self._started.set()
            await self._stop.wait()

    def close(self) -> None:
        if self._stop is not None and self.loop.is_running():
            self.loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(5)
