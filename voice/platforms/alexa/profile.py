"""Alexa Customer Profile API: the account's mobile number or email, once the customer
granted the permission in the Alexa app. Used only to skip asking for an address during
pairing; the one-time code still goes there, so nothing is linked on Amazon's word alone."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

log = logging.getLogger(__name__)
MOBILE = "/v2/accounts/~current/settings/Profile.mobileNumber"
EMAIL = "/v2/accounts/~current/settings/Profile.email"
# What the permissions card asks for when the profile gives nothing.
PERMISSIONS = ("alexa::profile:mobile_number:read", "alexa::profile:email:read")
AMAZON_API_SUFFIX = ".amazonalexa.com"


@dataclass
class ProfileClient:
    """`allowed_hosts` lets tests point apiEndpoint at a local server; in production the
    endpoint must be Amazon's (it comes from the signed request, but be strict anyway)."""

    timeout: float = 2.0
    allowed_hosts: tuple[str, ...] = ()
    session: requests.Session = field(default_factory=requests.Session)

    def _allowed(self, endpoint: str) -> bool:
        parts = urlsplit(endpoint)
        host = parts.hostname or ""
        if f"{host}:{parts.port}" in self.allowed_hosts or host in self.allowed_hosts:
            return True
        return parts.scheme == "https" and host.endswith(AMAZON_API_SUFFIX)

    def _get(self, endpoint: str, token: str, path: str) -> object | None:
        try:
            response = self.session.get(endpoint.rstrip("/") + path, timeout=self.timeout,
                                        headers={"Authorization": f"Bearer {token}",
                                                 "Accept": "application/json"})
        except requests.RequestException as exc:
            log.info("profile API unreachable: %s", exc)
            return None
        if response.status_code != 200:  # 403: no consent yet; 204: nothing on file
            return None
        try:
            found: object = response.json()
            return found
        except ValueError:
            return None

    def lookup(self, endpoint: str, token: str) -> dict[str, str] | None:
        if not self._allowed(endpoint):
            log.warning("refusing profile lookup at %s", endpoint)
            return None
        found: dict[str, str] = {}
        mobile = self._get(endpoint, token, MOBILE)
        if isinstance(mobile, dict) and mobile.get("phoneNumber"):
            code = str(mobile.get("countryCode") or "").lstrip("+")
            found["phone"] = (f"+{code}" if code else "") + str(mobile["phoneNumber"])
        email = self._get(endpoint, token, EMAIL)
        if isinstance(email, str) and "@" in email:
            found["email"] = email
        return found or None

    def lookup_for(self, endpoint: str, token: str) -> Callable[[], dict[str, str] | None]:
        return lambda: self.lookup(endpoint, token)
