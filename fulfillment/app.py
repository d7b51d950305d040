"""The Flask app factory: HTTP only. Everything the routes need comes from `Services`."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from core.config import Settings
from core.services import Services, bootstrap
from fulfillment.edge import input_limits, security_headers
from fulfillment.errors import register_error_handlers
from fulfillment.web import i18n, nav

log = logging.getLogger(__name__)


def _blueprints() -> list[Any]:
    """Each surface is one blueprint; imported here so nothing is built at import time."""
    from fulfillment import health
    from fulfillment.api import digest, privacy, shop
    from fulfillment.mcp import connect as mcp_connect
    from fulfillment.mcp import routes as mcp_oauth
    from fulfillment.web import (
        accounts,
        backoffice,
        connect,
        console,
        dashboard,
        home,
        invite_links,
        program,
    )
    from fulfillment.web import settings as web_settings
    from fulfillment.web import stores as store_pages
    from fulfillment.webhooks import assistants, delivery_reports, stores

    return [health.bp, invite_links.bp, assistants.bp, shop.bp,
            delivery_reports.bp, console.bp, dashboard.bp, privacy.bp, digest.bp, stores.bp,
            accounts.bp, web_settings.bp, connect.bp, program.bp, mcp_oauth.bp, home.bp,
            mcp_connect.bp, backoffice.bp, store_pages.bp]


def _trust_proxies(app: Flask, hops: int) -> None:
    """Behind TLS-terminating proxies (TRUSTED_PROXIES=N), take the client address, scheme
    and host from the last N X-Forwarded-* values; with 0 such headers are ignored, so a
    client cannot forge its IP (velocity rules, throttles) or claim https."""
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops,  # type: ignore[method-assign]
                                x_host=hops, x_port=hops)


def _mount_mcp(app: Flask, services: Services) -> None:
    """The MCP server (/mcp/<shop>) and its OAuth 2.1 server (fulfillment/mcp)."""
    from fulfillment.mcp import mount, oauth

    app.extensions["referrals.oauth"] = oauth.build_server(app, services)
    mount.mount(app, services)  # the MCP SDK loads with the first MCP request


def create_app(config: dict[str, Any] | None = None, services: Services | None = None) -> Flask:
    """`config` overrides Settings fields (tests pass `database_url`, `base_url`, ...)."""
    if services is None:
        settings = Settings.from_env().with_(**(config or {}))
        services = bootstrap(settings)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = services.settings.secret_key
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"  # the console's cookie; CSRF tokens too
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["referrals.services"] = services
    if services.settings.sandbox:  # before the webhooks build their verifiers
        from fulfillment.simulator import sandbox_keys

        sandbox_keys.trust(services)
    for bp in _blueprints():
        app.register_blueprint(bp)
    register_error_handlers(app)
    nav.install(app)
    i18n.install(app)
    _mount_mcp(app, services)
    security_headers.install(app, services.settings.public_base_url)
    _trust_proxies(app, services.settings.trusted_proxies)
    input_limits.install(app)  # size, depth, NUL: before any route reads the body
    if not services.settings.verify_requests:
        log.warning(
            "!!! VERIFY_REQUESTS=0: assistant request verification is OFF. "
            "Anyone can call the voice webhooks. Local development only. !!!"
        )
    return app
