"""OAuth 2.1 clients, authorization codes and tokens for the MCP server (fulfillment/mcp).

Only hashes of codes, secrets and tokens are stored: a database read leaks nothing usable.
A token is bound to one shop and, unless it is a service token (client credentials), to one
sign-in: the voice identity the one-time code linked (`assistant`, `subject`), so erasing the
customer's identities ends every token at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, CreatedMixin, IdMixin


class OAuthClient(IdMixin, CreatedMixin, Base):
    """A registered client: pre-registered for one shop (Alexa+), or registered dynamically
    (RFC 7591: ChatGPT, Claude, any MCP client) for any shop its sign-ins name."""

    __tablename__ = "oauth_clients"

    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str | None] = mapped_column(String(64))  # None: a public client
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200), default="")
    host: Mapped[str] = mapped_column(String(16))  # alexa-plus | chatgpt | claude | mcp
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    grant_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    auth_method: Mapped[str] = mapped_column(String(32), default="none")
    metadata_json: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OAuthCode(IdMixin, CreatedMixin, Base):
    """One authorization code: whose sign-in, for which shop, and the PKCE challenge."""

    __tablename__ = "oauth_codes"

    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    assistant: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scope: Mapped[str] = mapped_column(String(200), default="")
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class OAuthToken(IdMixin, CreatedMixin, Base):
    """An access token (short-lived) with its refresh token; `subject` None for a service
    token. `code_id` ties tokens to their code, so a replayed code revokes them."""

    __tablename__ = "oauth_tokens"
    __table_args__ = (Index("ix_oauth_tokens_subject", "shop_id", "assistant", "subject"),)

    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    assistant: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(128))
    code_id: Mapped[int | None] = mapped_column(ForeignKey("oauth_codes.id",
                                                           ondelete="SET NULL"))
    scope: Mapped[str] = mapped_column(String(200), default="")
    expires_at: Mapped[datetime]
    refresh_expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
