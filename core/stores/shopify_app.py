"""The deployment's Shopify app (SHOPIFY_API_KEY, SHOPIFY_API_SECRET, SHOPIFY_SCOPES).

Since 2026-01-01 a merchant cannot make a new legacy custom app in the Shopify admin: apps
come from the Dev Dashboard and get their tokens by OAuth. The authorization code grant:

1. Shopify opens our app URL (`GET /shopify/install?shop=…&timestamp=…&hmac=…`, hmac = hex
   HMAC-SHA256 of the other parameters sorted, with the app secret), or the merchant starts
   from their store page; we keep a one-use `state` and send them to
   `https://<shop>/admin/oauth/authorize?client_id=…&scope=…&redirect_uri=…&state=…`;
2. Shopify sends them back to `/shopify/callback?code=…&hmac=…&shop=…&state=…&timestamp=…`:
   HMAC, state (unused, fresh, issued for this very shop domain) and the domain are checked,
   the code exchanged at `POST https://<shop>/admin/oauth/access_token` for an offline token
   (expiring, with a refresh token, when SHOPIFY_EXPIRING_TOKENS=1), sealed, and our webhooks
   registered.

App-wide webhooks (`POST /shopify/webhooks`) are signed with the app secret; the compliance
topics and app/uninstalled are handled in core.stores.compliance."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests
from sqlalchemy import select

from core import shops
from core.clock import as_utc
from core.config import ShopifyAppSettings
from core.errors import DomainError, Forbidden, InvalidInput, NotFound, Unauthorized
from core.models import ShopifyInstall, StoreConnection
from core.services import Services
from core.stores import http, shopify
from core.stores.base import StoreError

INSTALL_TTL = timedelta(minutes=15)
FRESH_QUERY = timedelta(hours=1)  # how old Shopify's signed `timestamp` may be
REFRESH_AHEAD = timedelta(minutes=5)


class AppNotConfigured(DomainError):
    code = "shopify_app_not_configured"
    status = 404


def app_settings(services: Services) -> ShopifyAppSettings:
    app = services.settings.shopify_app
    if not app.configured:
        raise AppNotConfigured("This deployment has no Shopify app: set SHOPIFY_API_KEY and "
                               "SHOPIFY_API_SECRET (see docs/stores.md).")
    return app


def query_hmac_ok(secret: str, query: list[tuple[str, str]]) -> bool:
    """Shopify's signature of an install or callback URL: hex HMAC-SHA256 of every other
    parameter, sorted by name, as `name=value` joined by `&`, compared in constant time."""
    given = [value for name, value in query if name == "hmac"]
    if not secret or len(given) != 1:
        return False
    rest = sorted((name, value) for name, value in query if name not in ("hmac", "signature"))
    message = "&".join(f"{name}={value}" for name, value in rest)
    expected = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), given[0].encode("utf-8", "replace"))


def _origin(services: Services, domain: str) -> str:
    return services.adapters.store_origins.get(domain) or f"https://{domain}"


def _domain(value: str) -> str:
    domain = (value or "").strip().lower()
    if not shopify.valid_domain(domain):
        raise InvalidInput("shop must be the store's example.myshopify.com domain.",
                           code="bad_shop_domain", details={"fields": ["shop"]})
    return domain


def _checked_query(services: Services, query: list[tuple[str, str]]) -> dict[str, str]:
    app = app_settings(services)
    if not query_hmac_ok(app.api_secret, query):
        raise Unauthorized("The request's hmac does not match: it did not come from Shopify.",
                           code="bad_hmac")
    values = dict(query)
    try:
        stamp = datetime.fromtimestamp(int(values.get("timestamp", "")), tz=services.clock().tzinfo)
    except (ValueError, OverflowError, OSError) as exc:
        raise Unauthorized("The request has no valid timestamp.", code="bad_hmac") from exc
    if abs(services.clock() - stamp) > FRESH_QUERY:
        raise Unauthorized("The signed request is too old; open the app again from Shopify.",
                           code="stale_request")
    return values


# --- install ----------------------------------------------------------------------------

def begin_install(services: Services, domain: str, shop_id: int | None = None) -> str:
    """The authorization page's URL, with a one-use state kept for the callback."""
    app = app_settings(services)
    domain = _domain(domain)
    state = secrets.token_urlsafe(32)
    with services.db.session() as session:
        session.add(ShopifyInstall(state=state, shop_domain=domain, shop_id=shop_id,
                                   created_at=services.clock()))
    # The merchant's browser goes to the shop itself (a test stand-in only answers our
    # server's calls, through store_origins).
    return f"https://{domain}/admin/oauth/authorize?" + urlencode({
        "client_id": app.api_key, "scope": app.scopes,
        "redirect_uri": f"{services.base_url}/shopify/callback", "state": state})


def install_from_shopify(services: Services, query: list[tuple[str, str]]) -> str:
    """Shopify opened the app URL: verified, then on to the authorization page when a
    connection names the domain (a reinstall, new scopes); a store we do not know yet is
    told to start from its store page (we cannot tell which of our shops it is)."""
    values = _checked_query(services, query)
    domain = _domain(values.get("shop", ""))
    with services.db.session() as session:
        conn = session.scalar(select(StoreConnection).where(
            StoreConnection.platform == "shopify", StoreConnection.store_url == domain))
        shop_id = conn.shop_id if conn is not None else None
    if shop_id is None:
        raise NotFound(f"No shop here is connected to {domain}: sign in to your merchant "
                       "console and install the app from your store page.",
                       code="no_shop_for_store")
    return begin_install(services, domain, shop_id)


@dataclass(frozen=True)
class Installed:
    slug: str
    shop_id: int
    webhooks: list[str]
    note: str = ""


def complete_install(services: Services, query: list[tuple[str, str]]) -> Installed:
    """The callback: HMAC, state, domain; the code exchanged for an offline token, sealed;
    webhooks registered (queued for the store job if Shopify is busy)."""
    from core.stores import connections, store_for

    app = app_settings(services)
    values = _checked_query(services, query)
    domain = _domain(values.get("shop", ""))
    now = services.clock()
    with services.db.session() as session:
        install = session.scalar(select(ShopifyInstall).where(
            ShopifyInstall.state == values.get("state", "")).with_for_update())
        if install is None or install.used_at is not None or \
                now - as_utc(install.created_at) > INSTALL_TTL:
            raise Forbidden("This install link is unknown, used or expired: start the install "
                            "again.", code="bad_state")
        if install.shop_domain != domain:
            raise Forbidden("The callback names another shop than the install began for.",
                            code="wrong_shop")
        install.used_at = now
        shop_id = install.shop_id
        if shop_id is None:
            conn = session.scalar(select(StoreConnection).where(
                StoreConnection.platform == "shopify", StoreConnection.store_url == domain))
            shop_id = conn.shop_id if conn is not None else None
    if shop_id is None:
        raise NotFound("No shop here is waiting for this Shopify store: sign in and start the "
                       "install from your store page.", code="no_shop_for_store")
    creds = _exchange(services, app, domain, values.get("code", ""))
    req = connections.ConnectRequest(platform="shopify", store_url=domain,
                                     access_token=creds["access_token"],
                                     webhook_secret=app.api_secret)
    with services.db.session() as session:
        shop = shops.get(session, shop_id)
        connections.connect(session, services, shop, req, tested=creds)
        slug = shop.slug
    with services.db.session() as session:
        conn = connections.connection_of(session, shop_id)
        assert conn is not None
        session.expunge(conn)
    try:
        topics = store_for(services, conn).register_webhooks(app_webhook_url(services))
    except (StoreError, DomainError) as exc:  # the queued job registers them later
        return Installed(slug, shop_id, [], note=f"webhooks queued: {exc}")
    with services.db.session() as session:
        conn = connections.connection_of(session, shop_id)
        if conn is not None:
            conn.webhooks_registered_at = services.clock()
    return Installed(slug, shop_id, topics)


def _exchange(services: Services, app: ShopifyAppSettings, domain: str,
              code: str) -> dict[str, str]:
    if not code or len(code) > 512:
        raise InvalidInput("The callback carries no code.", code="no_code")
    body: dict[str, Any] = {"client_id": app.api_key, "client_secret": app.api_secret,
                            "code": code}
    if app.expiring_tokens:
        body["expiring"] = 1
    return _token_call(services, domain, body, "the code")


def _token_call(services: Services, domain: str, body: dict[str, Any],
                what: str) -> dict[str, str]:
    try:
        response = http.send(requests.Session(), "POST",
                             f"{_origin(services, domain)}/admin/oauth/access_token", json=body,
                             timeout=services.adapters.store_timeout or http.TIMEOUT)
        data = http.json_of(response)
    except StoreError as exc:
        raise InvalidInput(f"Shopify did not exchange {what}: {exc}",
                           code="token_exchange") from exc
    if response.status_code >= 400 or not isinstance(data, dict) or \
            not isinstance(data.get("access_token"), str):
        raise InvalidInput(f"Shopify did not exchange {what} ({response.status_code}).",
                           code="token_exchange")
    now = services.clock()
    creds = {"access_token": data["access_token"], "scope": str(data.get("scope", "")),
             "oauth": "app"}
    if data.get("refresh_token"):
        creds["refresh_token"] = str(data["refresh_token"])
    for name, key in (("expires_in", "expires_at"),
                      ("refresh_token_expires_in", "refresh_expires_at")):
        if isinstance(data.get(name), int):
            creds[key] = (now + timedelta(seconds=data[name])).isoformat()
    return creds


def _lapsing(services: Services, creds: dict[str, str]) -> bool:
    expires = creds.get("expires_at")
    return bool(expires and creds.get("refresh_token")) and \
        datetime.fromisoformat(str(expires)) - services.clock() <= REFRESH_AHEAD


def refresh_now(services: Services, conn: StoreConnection) -> bool:
    """Refresh an app install's token now, whatever its expiry says (Shopify refused it).
    False when there is nothing to refresh with (a legacy token, a non-expiring one)."""
    from core.stores.connections import open_credentials

    if conn.platform != "shopify" or conn.id is None or \
            not services.settings.shopify_app.configured:
        return False
    try:
        creds = open_credentials(services, conn)[0]
    except DomainError:
        return False
    if not creds.get("refresh_token"):
        return False
    try:
        fresh = fresh_credentials(services, conn, creds, force=True)
    except DomainError:
        return False
    conn.credentials_sealed = services.box.seal(json.dumps(fresh))  # the caller's copy
    return True


def fresh_credentials(services: Services, conn: StoreConnection,
                      creds: dict[str, str], *, force: bool = False) -> dict[str, str]:
    """An expiring offline token is refreshed a few minutes before it lapses (grant_type
    refresh_token) and the new pair sealed in place of the old. The row is locked while
    it is refreshed: a refresh token works once, so two callers must not both spend it
    (the second reads the first's new token)."""
    if not (force or _lapsing(services, creds)) or conn.id is None:
        return creds
    app = app_settings(services)
    with services.db.session() as session:
        row = session.get(StoreConnection, conn.id, with_for_update=True)
        if row is None:
            return creds
        current = json.loads(services.box.open(row.credentials_sealed or "") or "{}")
        if current.get("access_token") != creds.get("access_token"):
            return dict(current)  # another caller refreshed it meanwhile
        if not force and not _lapsing(services, current):
            return dict(current)
        if not current.get("refresh_token"):
            return dict(current)
        fresh = _token_call(services, row.store_url, {
            "client_id": app.api_key, "client_secret": app.api_secret,
            "grant_type": "refresh_token", "refresh_token": current["refresh_token"]},
            "the refresh token")
        row.credentials_sealed = services.box.seal(json.dumps(fresh))
        row.hint = fresh["access_token"][-4:]
        return fresh


def app_webhook_url(services: Services) -> str:
    return f"{services.base_url}/shopify/webhooks"


# --- the app's configuration file ---------------------------------------------------------

def app_toml(services: Services, *, name: str = "Voice referrals") -> str:
    """shopify.app.toml for this deployment (`shopify app deploy` reads it): our URLs from
    BASE_URL, the scopes, the API version, app/uninstalled and the three compliance topics
    (Shopify requires them of every App Store app; they can only be declared here). Order,
    refund and customer topics are registered per shop at install."""
    app = services.settings.shopify_app
    base = services.base_url
    scopes = ",".join(s.strip() for s in app.scopes.split(",") if s.strip())
    return "\n".join([
        f"# Generated for {base} by `python -m fulfillment stores shopify-app-toml`.",
        "# Re-generate after changing BASE_URL or SHOPIFY_SCOPES; see docs/stores.md.",
        f'client_id = "{app.api_key or "SET-SHOPIFY_API_KEY"}"',
        f'name = "{name}"',
        f'application_url = "{base}/shopify/install"',
        "embedded = false",
        "",
        "[access_scopes]",
        f'scopes = "{scopes}"',
        "",
        "[auth]",
        f'redirect_urls = [ "{base}/shopify/callback" ]',
        "",
        "[webhooks]",
        f'api_version = "{shopify.API_VERSION}"',
        "",
        "  [[webhooks.subscriptions]]",
        '  topics = [ "app/uninstalled" ]',
        f'  uri = "{base}/shopify/webhooks"',
        "",
        "  [[webhooks.subscriptions]]",
        '  compliance_topics = [ "customers/data_request", "customers/redact", "shop/redact" ]',
        f'  uri = "{base}/shopify/webhooks"',
        "",
    ])
