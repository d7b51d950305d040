"""Connecting a shop's store: validated, credentials sealed at rest, and the first work
queued (register our webhooks, create the friend's discount for every code already made)."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import shops
from core.errors import InvalidInput, NotFound
from core.models import ReferralCode, Shop, StoreConnection
from core.models.stores import STORE_PLATFORMS
from core.services import Services
from core.stores import jobs, shopify
from core.wording import N_

VERSION = re.compile(r"^\d{4}-(01|04|07|10)$")
SHOPIFY_API_VERSION = shopify.API_VERSION


@dataclass(frozen=True)
class ConnectRequest:
    platform: str
    store_url: str  # Shopify: shop domain; WooCommerce: https site URL
    webhook_secret: str = ""  # Shopify: the app's secret; WooCommerce: made if empty
    access_token: str = ""  # Shopify Admin API token (custom app)
    consumer_key: str = ""  # WooCommerce REST keys
    consumer_secret: str = ""
    api_version: str = shopify.API_VERSION
    gift_card_rewards: bool = False


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, code="schema", details={"fields": [field]})


def _credentials(req: ConnectRequest) -> tuple[str, dict[str, str], str]:
    """(normalized store URL, credentials to seal, webhook secret)."""
    if req.platform not in STORE_PLATFORMS:
        raise _invalid("platform", f"platform must be one of {list(STORE_PLATFORMS)}.")
    if req.platform == "shopify":
        domain = req.store_url.strip().lower().removeprefix("https://").rstrip("/")
        if not shopify.valid_domain(domain):
            raise _invalid("shop_domain", "shop_domain must look like example.myshopify.com.")
        if not req.access_token.strip():
            raise _invalid("access_token", "access_token (Admin API token) is required.")
        if not req.webhook_secret.strip():
            raise _invalid("webhook_secret", "webhook_secret (the app's API secret, which "
                           "signs Shopify webhooks) is required.")
        if not VERSION.match(req.api_version):
            raise _invalid("api_version", "api_version looks like 2026-07.")
        return domain, {"access_token": req.access_token.strip()}, req.webhook_secret.strip()
    url = req.store_url.strip().rstrip("/")
    if not re.match(r"^https?://[^\s/?#@]+(/[^\s?#]*)?$", url):
        raise _invalid("store_url", "store_url must be the shop's https URL.")
    if not req.consumer_key.strip() or not req.consumer_secret.strip():
        raise _invalid("consumer_key", "consumer_key and consumer_secret are required.")
    secret = req.webhook_secret.strip() or secrets.token_urlsafe(32)
    return url, {"consumer_key": req.consumer_key.strip(),
                 "consumer_secret": req.consumer_secret.strip()}, secret


@dataclass(frozen=True)
class StoreStatus:
    """What the shop may see: never a credential (the token's last 4 characters at most);
    the webhook secret only when we made it, once, at connection."""

    platform: str
    store_url: str
    api_version: str
    token_hint: str
    gift_card_rewards: bool
    webhook_url: str
    webhooks_registered_at: datetime | None
    last_webhook_at: datetime | None
    last_error: str | None
    webhook_secret: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {k: (v.isoformat() if isinstance(v, datetime) else v)
               for k, v in self.__dict__.items() if k != "webhook_secret"}
        if self.webhook_secret is not None:
            out["webhook_secret"] = self.webhook_secret
        return out


def test_call(services: Services, req: ConnectRequest) -> dict[str, str]:
    """The connect test, before anything is saved: a real call to the store with these
    credentials (https only outside tests). Returns the credentials to keep (WooCommerce:
    with the authentication that worked), or InvalidInput naming the field and the store's
    answer, for the form."""
    from core.stores import store_for
    from core.stores.base import StoreError

    url, creds, webhook_secret = _credentials(req)
    trial = StoreConnection(platform=req.platform, store_url=url,
                            api_version=req.api_version if req.platform == "shopify" else "",
                            credentials_sealed=services.box.seal(json.dumps(creds)),
                            webhook_secret_sealed=services.box.seal(webhook_secret))
    field = "access_token" if req.platform == "shopify" else "consumer_key"
    try:
        store = store_for(services, trial)
        answer = store.probe()
    except StoreError as exc:
        where = "store_url" if exc.code == "bad_store_url" else field
        raise InvalidInput(N_("The store did not accept the test call: %(why)s",
                              why=exc.message), code=exc.code,
                           details={"fields": [where]}) from exc
    if req.platform == "woocommerce":
        creds["auth"] = answer
    return creds


def connect(session: Session, services: Services, shop: Shop, req: ConnectRequest,
            tested: dict[str, str] | None = None) -> StoreStatus:
    """Create or replace the shop's store connection, then queue registering webhooks and
    the friend's discount for each active code (the store may be new to our codes).
    `tested`: the credentials test_call returned (the connect pages test first)."""
    url, creds, webhook_secret = _credentials(req)
    creds = tested or creds
    conn = session.scalar(select(StoreConnection).where(StoreConnection.shop_id == shop.id))
    if conn is None:
        conn = StoreConnection(shop_id=shop.id)
        session.add(conn)
    token = creds.get("access_token") or creds.get("consumer_key") or ""
    conn.platform, conn.store_url = req.platform, url
    conn.api_version = req.api_version if req.platform == "shopify" else "wc/v3"
    conn.credentials_sealed = services.box.seal(json.dumps(creds))
    conn.webhook_secret_sealed = services.box.seal(webhook_secret)
    conn.hint = token[-4:]
    conn.gift_card_rewards = req.gift_card_rewards
    conn.webhooks_registered_at, conn.last_error, conn.disconnected_at = None, None, None
    session.flush()
    jobs.enqueue_register(session, conn, services.clock())
    for code in session.scalars(select(ReferralCode).where(
            ReferralCode.shop_id == shop.id, ReferralCode.active.is_(True))):
        jobs.enqueue_friend_discount(session, code, services.clock())
    made = webhook_secret if req.platform == "woocommerce" and not req.webhook_secret.strip() \
        else None
    return _status(conn, services, shop.slug, made)


def status(session: Session, services: Services, shop: Shop) -> StoreStatus:
    conn = connection_of(session, shop.id)
    if conn is None:
        raise NotFound("No store is connected.", code="no_store")
    return _status(conn, services, shop.slug)


def open_credentials(services: Services, conn: StoreConnection) -> tuple[dict[str, str], str]:
    creds = services.box.open(conn.credentials_sealed or "")
    secret = services.box.open(conn.webhook_secret_sealed or "")
    if creds is None or secret is None:
        raise NotFound("The store's credentials cannot be opened (SECRET_KEY changed?); "
                       "connect the store again.", code="store_credentials")
    return json.loads(creds), secret


def is_app_install(services: Services, conn: StoreConnection) -> bool:
    """Installed through the deployment's Shopify app (OAuth), not a legacy custom app."""
    if conn.platform != "shopify" or conn.disconnected_at is not None:
        return False
    try:
        return open_credentials(services, conn)[0].get("oauth") == "app"
    except (NotFound, ValueError):
        return False


def connection_of(session: Session, shop_id: int) -> StoreConnection | None:
    return session.scalar(select(StoreConnection).where(StoreConnection.shop_id == shop_id))


def _status(conn: StoreConnection, services: Services, slug: str,
            webhook_secret: str | None = None) -> StoreStatus:
    where = f"{services.base_url}/shopify/webhooks" if is_app_install(services, conn) \
        else webhook_url(services, conn.platform, slug)
    return StoreStatus(conn.platform, conn.store_url, conn.api_version, conn.hint,
                       conn.gift_card_rewards, where,
                       conn.webhooks_registered_at, conn.last_webhook_at, conn.last_error,
                       webhook_secret)


def webhook_url(services: Services, platform: str, slug: str) -> str:
    return f"{services.base_url}/{platform}/{slug}/webhooks"


# --- use cases: one call each, scoped to the shop -------------------------------------

def connect_store(services: Services, shop_id: int, req: ConnectRequest, *,
                  test: bool = False) -> StoreStatus:
    """connect in a unit of work of its own; with `test`, after a real call to the store
    with these credentials succeeded (outside any transaction)."""
    tested = test_call(services, req) if test else None
    with services.db.session() as uow:
        return connect(uow, services, shops.get(uow, shop_id), req, tested)


def store_status(services: Services, shop_id: int) -> StoreStatus:
    """The connected store's status; NotFound(no_store) when none is."""
    with services.db.session() as uow:
        return status(uow, services, shops.get(uow, shop_id))


def disconnect_store(services: Services, shop_id: int) -> None:
    """The shop disconnects its store: credentials dropped, nothing calls the store again
    (the store's own webhooks and discounts stay there until the merchant removes them)."""
    from core.stores import compliance

    with services.db.session() as uow:
        if connection_of(uow, shop_id) is None:
            raise NotFound("No store is connected.", code="no_store")
        compliance.uninstalled(uow, services, shop_id)
        conn = connection_of(uow, shop_id)
        if conn is not None:
            conn.last_error = "Disconnected by the shop."


@dataclass(frozen=True)
class StorePage:
    """What the store page shows: the connection (None: never connected), whether it came
    from the Shopify app, its last refused delivery and the dead-letter rows."""

    status: StoreStatus | None
    app_install: bool
    disconnected: bool
    last_refusal: tuple[datetime, str] | None


def store_page(services: Services, shop_id: int) -> StorePage:
    from core.models import InboxStatus, StoreWebhook

    with services.db.session() as uow:
        shop = shops.get(uow, shop_id)
        conn = connection_of(uow, shop_id)
        refused = uow.scalar(select(StoreWebhook).where(
            StoreWebhook.shop_id == shop_id, StoreWebhook.status == InboxStatus.REFUSED)
            .order_by(StoreWebhook.id.desc()).limit(1))
        last = (refused.received_at, refused.last_error or "") if refused else None
        if conn is None:
            return StorePage(None, False, False, last)
        return StorePage(_status(conn, services, shop.slug), is_app_install(services, conn),
                         conn.disconnected_at is not None, last)
