"""Calling a store's API with plain `requests`: one place that turns transport failures
and statuses into StoreError (retryable or not, with Retry-After).

Why not the ShopifyAPI package: its session is process-global (`ShopifyResource.
activate_session`), which two shops served by one worker cannot share, and its GraphQL
client is a thin POST anyway. Why not the `woocommerce` package: over plain http it signs
with OAuth 1.0a query parameters, over https it does what `requests` auth does; we only
ever talk https in production and want one error mapping for both stores."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from core.stores.base import StoreError
from core.wording import N_

TIMEOUT = (5.0, 15.0)  # connect, read


def retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, min(float(value), 3600.0))
    except ValueError:
        return None


def send(http: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
    """The response of a 2xx-4xx call; StoreError for what cannot be read as an answer."""
    kwargs.setdefault("timeout", TIMEOUT)
    try:
        response = http.request(method, url, allow_redirects=False, **kwargs)
    except requests.Timeout as exc:
        raise StoreError(N_("the store did not answer in time (%(error)s)",
                            error=type(exc).__name__),
                         retryable=True) from exc
    except requests.RequestException as exc:
        raise StoreError(N_("the store is unreachable (%(error)s)", error=type(exc).__name__),
                         retryable=True) from exc
    if response.status_code == 429:
        raise StoreError(N_("the store is rate-limiting us (429)"), retryable=True,
                         retry_after=retry_after(response), code="throttled")
    if response.status_code >= 500:
        raise StoreError(N_("the store answered %(status)s", status=response.status_code),
                         retryable=True,
                         retry_after=retry_after(response))
    if response.status_code in (401, 403):
        raise StoreError(N_("the store refused our credentials (%(status)s)",
                            status=response.status_code),
                         retryable=False, code="store_auth")
    if 300 <= response.status_code < 400:
        raise StoreError(N_("the store redirected us (%(status)s)", status=response.status_code),
                         retryable=False)
    return response


def json_of(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise StoreError(N_("the store answered %(status)s with no JSON",
                            status=response.status_code),
                         retryable=response.status_code >= 500) from exc


class PinnedAddress(HTTPAdapter):
    """Connects to one address resolved beforehand, whatever the URL's host resolves to
    now; the host still names the server (Host header, TLS SNI and certificate check)."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(max_retries=0)
        self.host, self.address = host, address

    def send(self, request: requests.PreparedRequest, *args: Any,
             **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        if parts.hostname != self.host:
            raise requests.ConnectionError(f"only {self.host} may be called here")
        request.headers["Host"] = parts.netloc.rpartition("@")[2]
        return super().send(request, *args, **kwargs)

    def build_connection_pool_key_attributes(  # type: ignore[override]
            self, request: requests.PreparedRequest, verify: bool | str,
            cert: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        built = super().build_connection_pool_key_attributes(request, verify, cert)
        host_params: dict[str, Any] = dict(built[0])
        pool_kwargs: dict[str, Any] = dict(built[1])
        host_params["host"] = self.address
        if host_params.get("scheme") == "https":
            pool_kwargs["server_hostname"] = self.host
            pool_kwargs["assert_hostname"] = self.host
        return host_params, pool_kwargs


def pinned_session(url: str, address: str) -> requests.Session:
    """A session whose calls to `url`'s host go to `address` (resolved once, checked)."""
    session = requests.Session()
    host = urlsplit(url).hostname or ""
    adapter = PinnedAddress(host, address)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
