"""A shop's online store. One module per platform (shopify, woocommerce) behind the
interface in core.stores.base; `PLATFORMS` is the only place that names them, so a new
platform (InSales, 1C-Bitrix) is one module and one line here."""

from __future__ import annotations

from collections.abc import Callable

from core.models import StoreConnection
from core.services import Services
from core.stores.base import Delivery, StorePlatform

# (services, connection, credentials, webhook secret, whether it will call the store)
Builder = Callable[[Services, StoreConnection, dict[str, str], str, bool], StorePlatform]


def _shopify(services: Services, conn: StoreConnection, creds: dict[str, str],
             webhook_secret: str, calls: bool) -> StorePlatform:
    from core.stores.shopify import ShopifyStore

    if calls and creds.get("expires_at"):  # an expiring offline token (the Shopify app)
        from core.stores.shopify_app import fresh_credentials

        creds = fresh_credentials(services, conn, creds)

    # Tests point a shop domain at a local stand-in; nothing in the environment can.
    origins = services.adapters.store_origins
    return ShopifyStore(conn.store_url, creds["access_token"], webhook_secret,
                        conn.api_version or "2026-07", now=services.clock(),
                        origin=origins.get(conn.store_url, ""), timeout=_timeout(services))


def _woocommerce(services: Services, conn: StoreConnection, creds: dict[str, str],
                 webhook_secret: str, calls: bool) -> StorePlatform:
    from core.stores.base import check_public_url
    from core.stores.http import pinned_session
    from core.stores.woocommerce import WooCommerceStore

    private = allow_private_urls(services)
    store = WooCommerceStore(conn.store_url, creds["consumer_key"], creds["consumer_secret"],
                             webhook_secret, timeout=_timeout(services),
                             auth=creds.get("auth") or "basic", plain_query_ok=private)
    if calls:  # resolved and checked once; every call of this client goes to that address
        address = check_public_url(conn.store_url, allow_private=private)
        store.http_session = pinned_session(conn.store_url, address)
    return store


def _timeout(services: Services) -> tuple[float, float]:
    from core.stores.http import TIMEOUT

    return services.adapters.store_timeout or TIMEOUT


PLATFORMS: dict[str, Builder] = {"shopify": _shopify, "woocommerce": _woocommerce}


def map_body(platform: str, delivery_id: str, topic: str, body: bytes) -> Delivery:
    """A stored, verified delivery in neutral terms (no credentials needed: the inbox
    processes it long after its signature was checked)."""
    if platform == "shopify":
        from core.stores import shopify

        return shopify.map_body(delivery_id, topic, body)
    from core.stores import woocommerce

    return woocommerce.map_body(delivery_id, topic, body)


def store_for(services: Services, conn: StoreConnection, *,
              calls: bool = True) -> StorePlatform:
    """The platform client for a connection, credentials opened from their seal. `calls`:
    it will call the store (its URL is checked and resolved now); False to verify a
    webhook only."""
    from core.stores.connections import open_credentials

    creds, secret = open_credentials(services, conn)
    return PLATFORMS[conn.platform](services, conn, creds, secret, calls)


def allow_private_urls(services: Services) -> bool:
    """Only tests set this (their stores listen on loopback); nothing in the environment
    can."""
    return services.adapters.allow_private_store_urls


__all__ = ["PLATFORMS", "allow_private_urls", "map_body", "store_for"]
