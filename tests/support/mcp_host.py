"""A served instance of the product on a loopback port and the official `mcp` SDK's client
signing in to it the way a host (ChatGPT, Claude, Alexa+) does: discovery from the 401,
dynamic registration, authorization code with PKCE, the customer's one-time code typed
into the real sign-in page (read from the outbox, as the customer reads their phone).

Sources: the MCP authorization spec (2025-11-25, 2025-06-18) and the SDK's own client
(`mcp.client.auth.OAuthClientProvider`, `mcp.client.streamable_http`)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import requests
from mcp.client.auth import OAuthClientProvider
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)
from werkzeug.serving import make_server

from core.config import Settings
from core.db import Database
from core.models import Message
from core.services import Services, bootstrap
from fulfillment.app import create_app
from tests.support.http_servers import free_port
from tests.support.keys import HASH_KEY, SECRET_KEY

REDIRECT = "https://claude.ai/api/mcp/auth_callback"


@dataclass
class Served:
    base: str
    services: Services
    app: Any


@contextmanager
def served(database: Database, clock: Any, **settings: Any) -> Iterator[Served]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    services = bootstrap(Settings(database_url=database.url, base_url=base,
                                  secret_key=SECRET_KEY, hash_key=HASH_KEY,
                                  verify_requests=True, embedded_worker=False, sandbox=True,
                                  **settings), db=database, clock=clock,
                         background_clicks=False)
    app = create_app(services=services)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(base, services, app)
    finally:
        server.shutdown()
        server.server_close()
        bridge = app.extensions["referrals.mcp"].get("bridge")
        if bridge is not None:
            bridge.close()
        services.clicks.close()


def last_pin(services: Services, address: str) -> str:
    with services.db.session() as uow:
        rows = [m for m in uow.query(Message).filter(Message.kind == "pairing_code")
                .order_by(Message.id)]
        mine = [m for m in rows if m.recipient == address]
        return str(mine[-1].context["pairing_code"])


@dataclass
class Memory:
    """TokenStorage the SDK asks for: kept in memory for one test."""

    tokens: OAuthToken | None = None
    client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


@dataclass
class Customer:
    """The person at the sign-in page: types their address, then the code they got."""

    services: Services
    address: str
    browser: requests.Session = field(default_factory=requests.Session)
    pages: list[str] = field(default_factory=list)
    result: AuthorizationCodeResult | None = None

    def sign_in(self, url: str) -> AuthorizationCodeResult:
        page = self.browser.get(url, timeout=10)
        page.raise_for_status()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        sent = self.browser.post(url, data={"csrf_token": csrf, "step": "contact",
                                            "contact": self.address}, timeout=10)
        self.pages.append(sent.text)
        sent.raise_for_status()
        pin = last_pin(self.services, self.address)
        done = self.browser.post(url, data={"csrf_token": csrf, "step": "code", "code": pin},
                                 allow_redirects=False, timeout=10)
        assert done.status_code == 302, done.text
        query = parse_qs(urlsplit(done.headers["Location"]).query)
        self.result = AuthorizationCodeResult(code=query["code"][0],
                                              state=query.get("state", [None])[0],
                                              iss=query.get("iss", [None])[0])
        return self.result


@asynccontextmanager
async def mcp_session(url: str, customer: Customer, storage: Memory | None = None,
                      ) -> Any:
    """The SDK's client session over Streamable HTTP, signed in as `customer`."""
    store = storage or Memory()
    pending: dict[str, str] = {}

    async def redirect(auth_url: str) -> None:
        pending["url"] = auth_url

    async def callback() -> AuthorizationCodeResult:
        import anyio

        return await anyio.to_thread.run_sync(customer.sign_in, pending["url"])

    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(client_name="Claude", redirect_uris=[REDIRECT],
                                            grant_types=["authorization_code",
                                                         "refresh_token"],
                                            response_types=["code"],
                                            token_endpoint_auth_method="none"),
        storage=store, redirect_handler=redirect, callback_handler=callback)
    async with httpx2.AsyncClient(auth=provider, timeout=20) as http, \
            streamable_http_client(url, http_client=http) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            await session.initialize()
            yield session
