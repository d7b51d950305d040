"""Dialogflow request authentication.

CX (and ES behind a service account) send the Dialogflow service agent's Google ID token as
`Authorization: Bearer`. google-auth verifies signature, expiry and issuer; we pass an
explicit audience (google-auth silently skips the audience check for None, so a shop without
one is refused) and check the email is the configured, verified service agent. Google's
certificates come through a caching transport, not a fetch per request.

ES agents without a token send a configured header secret (or basic auth), compared by
hash in constant time."""

from __future__ import annotations

import base64
import hmac
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from google.auth import exceptions as google_exceptions
from google.auth import transport
from google.oauth2 import id_token

from core.hashing import token_hash

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
CertsFetcher = Callable[[str], tuple[int, dict[str, str], bytes]]


class AuthFailed(Exception):
    pass


def fetch_over_https(url: str) -> tuple[int, dict[str, str], bytes]:
    response = requests.get(url, timeout=5)
    return response.status_code, dict(response.headers), response.content


@dataclass
class _Response(transport.Response):
    _status: int
    _headers: dict[str, str]
    _data: bytes

    @property
    def status(self) -> int:
        return self._status

    @property
    def headers(self) -> dict[str, str]:
        return self._headers

    @property
    def data(self) -> bytes:
        return self._data


class CachingCertsRequest(transport.Request):
    """A google.auth transport that serves Google's certificates from memory until their
    Cache-Control max-age runs out, and adds extra trusted keys (the sandbox's)."""

    def __init__(self, fetch: CertsFetcher = fetch_over_https,
                 extra_certs: dict[str, str] | None = None, default_ttl: float = 3600) -> None:
        self.fetch, self.extra = fetch, extra_certs if extra_certs is not None else {}
        self.default_ttl = default_ttl
        self._cache: dict[str, tuple[float, bytes]] = {}
        self._lock = threading.Lock()
        self.fetches = 0

    def __call__(self, url: str, method: str = "GET", body: Any = None,
                 headers: Any = None, timeout: Any = None, **kwargs: Any) -> _Response:
        now = time.monotonic()
        hit = self._cache.get(url)
        if hit is None or hit[0] <= now:
            try:
                status, response_headers, data = self.fetch(url)
            except Exception as exc:  # offline, DNS, timeout: unverifiable, never a 500
                status, response_headers, data = 503, {}, str(exc).encode()
            self.fetches += 1
            if status != 200:
                if self.extra:  # the sandbox's own key still verifies offline
                    return _Response(200, {}, json.dumps(self.extra).encode())
                return _Response(status, response_headers, data)
            match = re.search(r"max-age=(\d+)", response_headers.get("Cache-Control", "")
                              or response_headers.get("cache-control", ""))
            ttl = float(match.group(1)) if match else self.default_ttl
            with self._lock:
                self._cache[url] = (now + ttl, data)
            hit = self._cache[url]
        data = hit[1]
        if self.extra:
            merged = {**json.loads(data), **self.extra}
            data = json.dumps(merged).encode()
        return _Response(200, {}, data)


def verify_service_agent(token: str, request: CachingCertsRequest, *, audience: str | None,
                         service_agent: str | None) -> dict[str, Any]:
    if not audience:
        raise AuthFailed("this shop has no Dialogflow audience configured")
    if not service_agent:
        raise AuthFailed("this shop has no Dialogflow service agent configured")
    try:
        claims: dict[str, Any] = id_token.verify_oauth2_token(token, request, audience=audience,
                                              clock_skew_in_seconds=10)
    except (ValueError, google_exceptions.GoogleAuthError) as exc:
        raise AuthFailed(f"ID token rejected: {exc}") from exc
    if claims.get("email") != service_agent or claims.get("email_verified") is not True:
        raise AuthFailed("ID token is not from this shop's Dialogflow service agent")
    return claims


def check_es_secret(headers: Any, settings: dict[str, Any]) -> bool:
    header = settings.get("dialogflow_es_header")
    expected = settings.get("dialogflow_es_secret_hash")
    if header and expected and headers.get(header):
        return hmac.compare_digest(token_hash(headers[header]), expected)
    basic = headers.get("Authorization", "")
    user, want = settings.get("dialogflow_basic_user"), settings.get(
        "dialogflow_basic_password_hash")
    if basic.startswith("Basic ") and user and want:
        try:
            name, _, password = base64.b64decode(basic[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        # bytes: compare_digest refuses a str with non-ASCII characters (a TypeError, a 500)
        return hmac.compare_digest(name.encode(), str(user).encode()) & hmac.compare_digest(
            token_hash(password).encode(), str(want).encode())
    return False
