"""The MCP server alone as an ASGI app (fulfillment.mcp.asgi.McpApp) for uvicorn: the other
way to serve it, measured against the WSGI mount in bench/bench_mcp.py."""

from __future__ import annotations

import atexit
from typing import Any

from core.config import Settings
from core.services import bootstrap
from fulfillment.mcp.asgi import McpApp

services = bootstrap(Settings.from_env())
atexit.register(services.close)
mcp_app = McpApp(services)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """McpApp plus the lifespan that runs the SDK's session manager."""
    if scope["type"] == "lifespan":
        async with mcp_app.server.session_manager.run():
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
    await mcp_app(scope, receive, send)
