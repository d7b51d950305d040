"""The MCP server's OAuth grants as use cases: register a client, keep an authorization code,
claim it once, issue, refresh, check and revoke tokens. The protocol (parsing, PKCE, error
codes) is authlib's, in fulfillment/mcp/oauth.py; here are the rules and the rows.

Tokens are bound to one shop and, for a customer's token, to the sign-in that proved an
address with a one-time code (core.pairing linked `assistant`/`subject` to the customer).
Only SHA-256 hashes of tokens and codes are stored."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.assistants import ATTRIBUTED, MCP_HOSTS
from core.hashing import token_hash
from core.models import (
    Customer,
    Message,
    OAuthClient,
    OAuthCode,
    OAuthToken,
    Shop,
    VoiceIdentity,
)
from core.services import Services

ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=30)
CODE_TTL = timedelta(minutes=5)
SCOPE = "referrals"
# Where each host sends the customer back: how a dynamically registered client is named
# in KPIs (an unknown one is "mcp"). Claude's is in REFERENCE.md; ChatGPT's from OpenAI's
# Apps SDK authentication page; Alexa+ clients are pre-registered per shop.
HOST_CALLBACKS = {"claude": ("https://claude.ai/api/mcp/auth_callback",
                             "https://claude.com/api/mcp/auth_callback"),
                  "chatgpt": ("https://chatgpt.com/connector_platform_oauth_redirect",)}
HOSTS = MCP_HOSTS
# The rows, by the names the HTTP side uses (it reads their fields; the queries stay here).
ClientRow = OAuthClient
CodeRow = OAuthCode
TokenRow = OAuthToken
ShopRow = Shop


class Refusal(StrEnum):
    MISSING = "missing"  # no bearer token
    UNKNOWN = "unknown"  # not a token we issued (tampered, made up)
    EXPIRED = "expired"
    REVOKED = "revoked"
    OTHER_SHOP = "other_shop"  # issued for another shop
    UNLINKED = "unlinked"  # the sign-in behind it was erased


@dataclass(frozen=True)
class Grant:
    """What a verified access token lets a request do."""

    shop_id: int
    client_id: str
    host: str
    assistant: str
    subject: str | None  # None: a service token (client credentials), no customer
    scope: str


@dataclass(frozen=True)
class AccessCheck:
    grant: Grant | None
    refusal: Refusal | None = None


def host_of(redirect_uris: list[str], client_name: str = "") -> str:
    """Whom a registered client's sign-ins are attributed to: a known host by its callback
    (or name), else the client's own name as a short slug ("mcp-inspector"), else "mcp".
    A name that would pass for a speaker or a known host is "mcp": a client cannot claim
    Alexa's or Claude's KPIs by calling itself so."""
    for host, callbacks in HOST_CALLBACKS.items():
        if any(uri in callbacks for uri in redirect_uris):
            return host
    slug = re.sub(r"[^a-z0-9]+", "-", client_name.lower()).strip("-")[:16].strip("-")
    if not slug or slug in ATTRIBUTED or any(h in slug for h in ("alexa", "claude", "chatgpt")):
        return "mcp"
    return slug


def redirect_uri_allowed(uri: str) -> bool:
    """OAuth 2.1 / RFC 8252: https anywhere, plain http only back to this machine's loopback
    (a native client's local listener), no fragment, no user info, a sane length."""
    if len(uri) > 500 or any(ch.isspace() for ch in uri):
        return False
    parts = urlsplit(uri)
    if parts.fragment or parts.username or parts.password or not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1")


def register_client(session: Session, *, name: str, redirect_uris: list[str],
                    grant_types: list[str], auth_method: str, host: str | None = None,
                    shop_id: int | None = None, metadata: dict[str, Any] | None = None,
                    ) -> tuple[OAuthClient, str | None]:
    """A new client; a confidential one gets a secret, returned once and stored hashed."""
    secret = secrets.token_urlsafe(32) if auth_method != "none" else None
    client = OAuthClient(
        client_id=("mcp_" + secrets.token_urlsafe(18)), name=name[:200],
        secret_hash=token_hash(secret) if secret else None, shop_id=shop_id,
        host=host or host_of(redirect_uris, name), redirect_uris=list(redirect_uris),
        grant_types=list(grant_types), auth_method=auth_method, metadata_json=metadata or {})
    session.add(client)
    session.flush()
    return client, secret


def find_client(session: Session, client_id: str) -> OAuthClient | None:
    return session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id[:64]))


def clients_of(session: Session, shop_id: int) -> list[OAuthClient]:
    """The shop's own clients (pre-registered Alexa+ ones), newest first."""
    return list(session.scalars(select(OAuthClient).where(OAuthClient.shop_id == shop_id)
                                .order_by(OAuthClient.id.desc())))


def client_of(session: Session, token: OAuthToken) -> OAuthClient | None:
    return session.get(OAuthClient, token.client_pk)


def shop_named(session: Session, slug: str) -> Shop | None:
    return session.scalar(select(Shop).where(Shop.slug == slug[:64]))


def shop_of(session: Session, shop_id: int) -> Shop | None:
    return session.get(Shop, shop_id)


def shop_for_sign_in(session: Session, *, base_url: str, resource: str,
                     client: OAuthClient) -> Shop | None:
    """The shop a sign-in is for: the RFC 8707 `resource` (our /mcp/<slug> URL), else the
    client's own shop. None when neither names one, or they disagree (a client registered
    for one shop never signs anyone in to another)."""
    resource = resource.rstrip("/")
    prefix = f"{base_url}/mcp/"
    shop: Shop | None = None
    if resource:
        if not resource.startswith(prefix):
            return None
        shop = shop_named(session, resource[len(prefix):])
    elif client.shop_id is not None:
        shop = session.get(Shop, client.shop_id)
    if shop is None or (client.shop_id is not None and client.shop_id != shop.id):
        return None
    return shop


def secret_matches(client: OAuthClient, secret: str) -> bool:
    import hmac

    return bool(client.secret_hash) and hmac.compare_digest(
        client.secret_hash or "", token_hash(secret))


def save_code(session: Session, now: datetime, *, client: OAuthClient, code: str,
              shop_id: int, assistant: str, subject: str, redirect_uri: str, scope: str,
              challenge: str, method: str) -> OAuthCode:
    row = OAuthCode(code_hash=token_hash(code), client_pk=client.id, shop_id=shop_id,
                    assistant=assistant, subject=subject, redirect_uri=redirect_uri,
                    scope=scope, code_challenge=challenge, code_challenge_method=method,
                    expires_at=now + CODE_TTL)
    session.add(row)
    session.flush()
    return row


def claim_code(session: Session, now: datetime, *, code: str,
               client: OAuthClient) -> OAuthCode | None:
    """The code's row, marked used in the same statement, or None: unknown, expired, another
    client's, or used before. A second use also revokes what the first one got (RFC 6749
    4.1.2: the code may have leaked)."""
    row = session.scalar(select(OAuthCode).where(OAuthCode.code_hash == token_hash(code))
                         .with_for_update())
    if row is None or row.client_pk != client.id:
        return None
    if row.used_at is not None:
        session.execute(update(OAuthToken).where(OAuthToken.code_id == row.id,
                                                 OAuthToken.revoked_at.is_(None))
                        .values(revoked_at=now))
        return None
    claimed = session.execute(update(OAuthCode).where(OAuthCode.id == row.id,
                                                      OAuthCode.used_at.is_(None))
                              .values(used_at=now))
    if getattr(claimed, "rowcount", 1) != 1 or row.expires_at <= now:
        return None
    return row


def save_tokens(session: Session, now: datetime, *, client: OAuthClient, access: str,
                refresh: str | None, shop_id: int, assistant: str, subject: str | None,
                scope: str, code_id: int | None) -> OAuthToken:
    row = OAuthToken(access_hash=token_hash(access),
                     refresh_hash=token_hash(refresh) if refresh else None,
                     client_pk=client.id, shop_id=shop_id, assistant=assistant,
                     subject=subject, code_id=code_id, scope=scope,
                     expires_at=now + ACCESS_TTL,
                     refresh_expires_at=now + REFRESH_TTL if refresh else None)
    session.add(row)
    session.flush()
    return row


def by_refresh(session: Session, now: datetime, refresh: str) -> OAuthToken | None:
    """A live refresh token's row (not revoked, not expired)."""
    row = session.scalar(select(OAuthToken).where(
        OAuthToken.refresh_hash == token_hash(refresh)).with_for_update())
    if row is None or row.revoked_at is not None or row.refresh_expires_at is None \
            or row.refresh_expires_at <= now:
        return None
    return row


def by_token(session: Session, token: str) -> OAuthToken | None:
    """An access or refresh token's row, whichever it is (revocation takes both)."""
    digest = token_hash(token)
    return session.scalar(select(OAuthToken).where(
        (OAuthToken.access_hash == digest) | (OAuthToken.refresh_hash == digest)))


def revoke(row: OAuthToken, now: datetime) -> None:
    if row.revoked_at is None:
        row.revoked_at = now


def check(services: Services, slug: str, token: str | None) -> AccessCheck | None:
    """The MCP endpoint's question in its own unit of work: None for an unknown shop."""
    with services.db.session() as session:
        shop = shop_named(session, slug)
        if shop is None:
            return None
        return check_access(session, services.clock(), token=token, shop=shop)


def check_access(session: Session, now: datetime, *, token: str | None,
                 shop: Shop) -> AccessCheck:
    """Is this bearer token good for this shop now? One indexed read (two for a customer's
    token: their sign-in must still be linked)."""
    if not token:
        return AccessCheck(None, Refusal.MISSING)
    row = session.scalar(select(OAuthToken).where(OAuthToken.access_hash == token_hash(token)))
    if row is None:
        return AccessCheck(None, Refusal.UNKNOWN)
    if row.revoked_at is not None:
        return AccessCheck(None, Refusal.REVOKED)
    if row.expires_at <= now:
        return AccessCheck(None, Refusal.EXPIRED)
    if row.shop_id != shop.id:
        return AccessCheck(None, Refusal.OTHER_SHOP)
    client = session.get(OAuthClient, row.client_pk)
    if client is None:
        return AccessCheck(None, Refusal.UNKNOWN)
    if row.subject is not None and session.scalar(select(VoiceIdentity.id).where(
            VoiceIdentity.shop_id == shop.id, VoiceIdentity.assistant == row.assistant,
            VoiceIdentity.assistant_user_id == row.subject)) is None:
        return AccessCheck(None, Refusal.UNLINKED)
    return AccessCheck(Grant(shop.id, client.client_id, client.host, row.assistant,
                             row.subject, row.scope))


ALEXA_GRANTS = ["authorization_code", "refresh_token", "client_credentials"]
TRY_IT_CLIENT = "Connect page: try it"
INTERNAL_CLIENTS = (TRY_IT_CLIENT, "Support console")


@dataclass(frozen=True)
class ClientLine:
    """One client as the connect page lists it."""

    client_id: str
    name: str
    host: str
    redirect_uris: list[str]
    created_at: datetime
    last_token_at: datetime | None


def register_alexa_client(session: Session, *, shop_id: int,
                          redirect_uris: list[str]) -> tuple[OAuthClient, str]:
    """A pre-registered Alexa+ client for one shop: client credentials for Alexa+'s service
    calls (initialize, tools/list), authorization code + PKCE for the customer. The secret
    is returned once."""
    client, secret = register_client(
        session, name="Alexa+", redirect_uris=redirect_uris, grant_types=ALEXA_GRANTS,
        auth_method="client_secret_basic", host="alexa-plus", shop_id=shop_id)
    assert secret is not None
    return client, secret


def clients_for(session: Session, shop_id: int) -> list[ClientLine]:
    """The shop's own clients and every client that got a token for this shop."""
    last = (select(OAuthToken.client_pk, func.max(OAuthToken.created_at).label("at"))
            .where(OAuthToken.shop_id == shop_id).group_by(OAuthToken.client_pk).subquery())
    rows = session.execute(
        select(OAuthClient, last.c.at).outerjoin(last, last.c.client_pk == OAuthClient.id)
        .where((OAuthClient.shop_id == shop_id) | (last.c.at.is_not(None)))
        .where(OAuthClient.name.not_in(INTERNAL_CLIENTS))
        .order_by(OAuthClient.id.desc()).limit(100))
    lines = []
    for row in rows:
        client: OAuthClient = row[0]
        at: datetime | None = row[1]
        lines.append(ClientLine(client.client_id, client.name, client.host,
                                list(client.redirect_uris or []), client.created_at, at))
    return lines


def try_it_token(session: Session, now: datetime, *, shop_id: int) -> str:
    """A service token (no customer) for the connect page's "try it", from the shop's own
    internal client; it lives as long as any access token."""
    client = session.scalar(select(OAuthClient).where(OAuthClient.shop_id == shop_id,
                                                      OAuthClient.name == TRY_IT_CLIENT))
    if client is None:
        client, _ = register_client(session, name=TRY_IT_CLIENT, redirect_uris=[],
                                    grant_types=["client_credentials"],
                                    auth_method="client_secret_basic", host="mcp",
                                    shop_id=shop_id)
    access = secrets.token_urlsafe(32)
    save_tokens(session, now, client=client, access=access, refresh=None, shop_id=shop_id,
                assistant="mcp", subject=None, scope=SCOPE, code_id=None)
    return access


@dataclass(frozen=True)
class SandboxCode:
    recipient: str
    code: str
    created_at: datetime


def sandbox_codes(services: Services, limit: int = 20) -> list[SandboxCode]:
    """The one-time codes the sandbox kept instead of sending (newest first), so a sign-in
    can be finished on `make run`. Empty outside the sandbox."""
    if not services.settings.sandbox:
        return []
    with services.db.session() as session:
        rows = session.scalars(select(Message).where(Message.kind == "pairing_code")
                               .order_by(Message.id.desc()).limit(limit))
        return [SandboxCode(m.recipient, str((m.context or {}).get("pairing_code", "")),
                            m.created_at) for m in rows]


CONSOLE_CLIENT = "Support console"


def console_token(session: Session, now: datetime, *, shop_id: int,
                  external_id: str | None) -> str:
    """A token for the support console's MCP conversations: as the shop's customer
    `external_id` (linked under assistant "mcp" like a sign-in, without the one-time code:
    staff already see this customer in the console), or a service token when None or
    unknown. Shop-bound, short-lived, like any access token."""
    client = session.scalar(select(OAuthClient).where(OAuthClient.shop_id == shop_id,
                                                      OAuthClient.name == CONSOLE_CLIENT))
    if client is None:
        client, _ = register_client(session, name=CONSOLE_CLIENT, redirect_uris=[],
                                    grant_types=["client_credentials"],
                                    auth_method="client_secret_basic", host="mcp",
                                    shop_id=shop_id)
    subject = None
    customer_id = session.scalar(select(Customer.id).where(
        Customer.shop_id == shop_id, Customer.external_id == external_id)) \
        if external_id else None
    if customer_id is not None:
        subject = f"console:{external_id}"
        identity = session.scalar(select(VoiceIdentity).where(
            VoiceIdentity.shop_id == shop_id, VoiceIdentity.assistant == "mcp",
            VoiceIdentity.assistant_user_id == subject))
        if identity is None:
            session.add(VoiceIdentity(shop_id=shop_id, assistant="mcp",
                                      assistant_user_id=subject, customer_id=customer_id,
                                      linked_at=now))
    access = secrets.token_urlsafe(32)
    save_tokens(session, now, client=client, access=access, refresh=None, shop_id=shop_id,
                assistant="mcp", subject=subject, scope=SCOPE, code_id=None)
    return access
