"""The OAuth 2.1 authorization server behind the MCP server, on authlib (no crypto here).

authorization code + PKCE S256 only (no plain, no implicit, no password), refresh tokens,
client credentials for pre-registered clients (Alexa+ service calls), RFC 7591 dynamic
registration (ChatGPT, Claude, any MCP client), RFC 7009 revocation, RFC 8414 metadata. The
rows and rules are core.oauth_grants; each request runs in one unit of work (flask.g.uow)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from authlib.consts import default_json_headers
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint
from authlib.oauth2.rfc7591.errors import InvalidClientMetadataError, InvalidRedirectURIError
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, g

from core import oauth_grants
from core.db import UnitOfWork
from core.oauth_grants import ClientRow as OAuthClient
from core.oauth_grants import CodeRow as OAuthCode
from core.oauth_grants import TokenRow as OAuthToken
from core.services import Services

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post")
MAX_REDIRECT_URIS = 10


def uow() -> UnitOfWork:
    session: UnitOfWork = g.oauth_uow
    return session


def now() -> datetime:
    svc: Services = g.oauth_services
    return svc.clock()


@dataclass(frozen=True)
class SignIn:
    """The resource owner of a grant: a customer's sign-in at a shop, or (subject None) the
    client itself at its shop."""

    shop_id: int
    assistant: str
    subject: str | None
    code_id: int | None = None

    def get_user_id(self) -> str | None:
        return self.subject


class Client(ClientMixin):  # type: ignore[misc]
    """authlib's view of an OAuthClient row."""

    def __init__(self, row: OAuthClient) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.row.redirect_uris or []
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        return oauth_grants.SCOPE

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in (self.row.redirect_uris or [])

    def check_client_secret(self, client_secret: str) -> bool:
        return oauth_grants.secret_matches(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if endpoint == "token":
            return method == self.row.auth_method
        return method == self.row.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.row.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == "client_credentials":  # a service token names its shop
            return grant_type in self.row.grant_types and self.row.shop_id is not None
        return grant_type in self.row.grant_types


class Code:
    """authlib's view of a claimed OAuthCode row."""

    def __init__(self, row: OAuthCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> None:
        return None

    def get_auth_time(self) -> None:
        return None


class Token:
    """authlib's view of an OAuthToken row (refresh and revocation)."""

    def __init__(self, row: OAuthToken, client_id: str) -> None:
        self.row = row
        self.client_id = client_id

    def check_client(self, client: Client) -> bool:
        return bool(client.get_client_id() == self.client_id)

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return int(oauth_grants.ACCESS_TTL.total_seconds())

    def is_expired(self) -> bool:
        return bool(self.row.expires_at <= now())

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None


class S256Only(CodeChallenge):  # type: ignore[misc]
    """PKCE required on every authorization request, S256 only (OAuth 2.1, MCP spec)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ("S256",)

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge (S256).")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def save_authorization_code(self, code: str, request: Any) -> None:
        user: SignIn = request.user
        data = request.payload.data
        row = oauth_grants.save_code(
            uow(), now(), client=request.client.row, code=code, shop_id=user.shop_id,
            assistant=user.assistant, subject=user.subject or "",
            redirect_uri=request.payload.redirect_uri or "", scope=oauth_grants.SCOPE,
            challenge=data.get("code_challenge", ""), method=data.get("code_challenge_method",
                                                                      ""))
        g.oauth_code_id = row.id

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        row = oauth_grants.claim_code(uow(), now(), code=code, client=client.row)
        return Code(row) if row is not None else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        return None  # claimed (marked used) when it was read

    def authenticate_user(self, authorization_code: Code) -> SignIn:
        row = authorization_code.row
        return SignIn(row.shop_id, row.assistant, row.subject, row.id)


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotate: a refresh token works once

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        row = oauth_grants.by_refresh(uow(), now(), refresh_token)
        if row is None:
            return None
        client = oauth_grants.client_of(uow(), row)
        return Token(row, client.client_id if client else "")

    def authenticate_user(self, refresh_token: Token) -> SignIn:
        row = refresh_token.row
        return SignIn(row.shop_id, row.assistant, row.subject, row.code_id)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        oauth_grants.revoke(refresh_token.row, now())


class ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        row = oauth_grants.by_token(uow(), token_string)
        if row is None:
            return None
        client = oauth_grants.client_of(uow(), row)
        return Token(row, client.client_id if client else "")

    def revoke_token(self, token: Token, request: Any) -> None:
        oauth_grants.revoke(token.row, now())


class Registration(ClientRegistrationEndpoint):  # type: ignore[misc]
    """Open registration (RFC 7591), as MCP hosts expect: a public client with PKCE, or a
    confidential one; either is bound to a shop only by the sign-in, never by itself."""

    def __init__(self, server: Any, metadata: dict[str, Any]) -> None:
        super().__init__(server)
        self._metadata = metadata

    def authenticate_token(self, request: Any) -> bool:
        return True

    def get_server_metadata(self) -> dict[str, Any]:
        return self._metadata

    def create_registration_response(self, request: Any) -> tuple[int, dict[str, Any], Any]:
        """authlib's, except that the id and secret come from core.oauth_grants (made when
        the row is saved) and a public client gets no secret."""
        request.credential = True
        client_metadata = self.extract_client_metadata(request)  # RFC 7591 claims checked
        client_info: dict[str, Any] = {}
        self.save_client(client_info, client_metadata, request)
        return 201, {**client_metadata, **client_info}, default_json_headers

    def save_client(self, client_info: dict[str, Any], client_metadata: dict[str, Any],
                    request: Any) -> Client:
        method = client_metadata.get("token_endpoint_auth_method") or "client_secret_basic"
        if method not in AUTH_METHODS:
            raise InvalidClientMetadataError("token_endpoint_auth_method is not supported.")
        wanted = client_metadata.get("grant_types") or ["authorization_code"]
        kept = [t for t in wanted if t in ("authorization_code", "refresh_token")]
        if "authorization_code" not in kept:
            raise InvalidClientMetadataError("grant_types must include authorization_code.")
        uris = [str(u) for u in client_metadata.get("redirect_uris") or []]
        if not uris or len(uris) > MAX_REDIRECT_URIS:
            raise InvalidRedirectURIError(f"Give 1 to {MAX_REDIRECT_URIS} redirect_uris.")
        refused = [u for u in uris if not oauth_grants.redirect_uri_allowed(u)]
        if refused:
            raise InvalidRedirectURIError(f"redirect_uri not allowed: {refused[0][:200]} "
                                          "(https, or http on a loopback address, no fragment)")
        row, secret = oauth_grants.register_client(
            uow(), name=str(client_metadata.get("client_name") or ""), redirect_uris=uris,
            grant_types=kept, auth_method=method, metadata=client_metadata)
        client_info.update(client_id=row.client_id, client_id_issued_at=int(now().timestamp()))
        if secret:
            client_info.update(client_secret=secret, client_secret_expires_at=0)
        client_metadata.update(grant_types=kept, token_endpoint_auth_method=method)
        return Client(row)


def metadata(base: str) -> dict[str, Any]:
    """RFC 8414 authorization server metadata (Alexa+ asks for client_credentials here)."""
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "registration_endpoint": f"{base}/oauth/register",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "response_types_supported": ["code"],
        "grant_types_supported": list(GRANT_TYPES),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "scopes_supported": [oauth_grants.SCOPE],
        "service_documentation": f"{base}/docs/mcp",
    }


def _save_token(token: dict[str, Any], request: Any) -> None:
    client: Client = request.client
    user: SignIn | None = request.user
    if user is None:  # client credentials: the client's own shop, no customer
        shop_id = client.row.shop_id
        assert shop_id is not None  # check_grant_type refuses a client without one
        user = SignIn(shop_id, client.row.host, None)
        token.pop("refresh_token", None)
    oauth_grants.save_tokens(
        uow(), now(), client=client.row, access=token["access_token"],
        refresh=token.get("refresh_token"), shop_id=user.shop_id, assistant=user.assistant,
        subject=user.subject, scope=oauth_grants.SCOPE, code_id=user.code_id)


def _query_client(client_id: str) -> Client | None:
    row = oauth_grants.find_client(uow(), client_id)
    return Client(row) if row is not None else None


def build_server(app: Flask, services: Services) -> AuthorizationServer:
    """One authorization server per app (kept in app.extensions, no global)."""
    app.config.setdefault("OAUTH2_REFRESH_TOKEN_GENERATOR", True)
    app.config.setdefault("OAUTH2_TOKEN_EXPIRES_IN", {
        grant: int(oauth_grants.ACCESS_TTL.total_seconds()) for grant in GRANT_TYPES})
    server = AuthorizationServer(app, query_client=_query_client, save_token=_save_token)
    server.register_grant(AuthorizationCodeGrant, [S256Only(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_grant(ClientCredentialsGrant)
    server.register_endpoint(Revocation)
    server.register_endpoint(Registration(server, metadata(services.base_url)))
    return server
