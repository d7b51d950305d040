"""Where /mcp/<shop> meets the WSGI app, without loading the MCP SDK: the SDK and what it
brings (pydantic, starlette, anyio, a2wsgi: about 29 MB and 300 modules, measured with
tracemalloc and /proc/self/status) load with a process's first MCP request, so a worker
that serves only voice turns, links and events never carries them (docs/benchmarks.md)."""

from __future__ import annotations

import threading
from typing import Any

from core.services import Services


def mount(app: Any, services: Services) -> None:
    """Send /mcp/... to the MCP bridge (made on first use), everything else to Flask."""
    flask_wsgi = app.wsgi_app
    lock = threading.Lock()
    holder: dict[str, Any] = {}

    def bridge() -> Any:
        with lock:
            if "bridge" not in holder:
                from fulfillment.mcp.asgi import Bridge

                holder["bridge"] = Bridge(services)
            return holder["bridge"]

    def dispatch(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO", "").startswith("/mcp/"):
            return bridge().wsgi(environ, start_response)
        return flask_wsgi(environ, start_response)

    app.wsgi_app = dispatch
    app.extensions["referrals.mcp"] = holder
