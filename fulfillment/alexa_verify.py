"""Alexa request verification, Amazon's rules (REFERENCE.md), with `cryptography`.

ask-sdk-webservice-support's own verifier cannot load here (its certvalidator -> oscrypto
chain fails on OpenSSL 3.0.19), and it would not tell us *why* a request failed. This one
checks, in order: the certificate URL, the chain (trusted root, validity, SAN
echo-api.amazon.com), the body signature, the timestamp and the skill id; the first failure
is the reason in the 400 answer. Certificates are cached per URL until they expire."""

from __future__ import annotations

import base64
import posixpath
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import certifi
import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

ECHO_SAN = "echo-api.amazon.com"
CERT_HOST = "s3.amazonaws.com"
CERT_PATH_PREFIX = "/echo.api/"
TIMESTAMP_TOLERANCE = timedelta(seconds=150)
SKILL_EVENT_TOLERANCE = timedelta(seconds=3600)
CertFetcher = Callable[[str], bytes]


class VerificationFailed(Exception):
    """The request is not provably from Alexa for this skill; the message says why."""


def fetch_over_https(url: str) -> bytes:
    response = requests.get(url, timeout=5)
    response.raise_for_status()
    return response.content


@lru_cache(maxsize=1)
def _certifi_roots() -> tuple[x509.Certificate, ...]:
    with warnings.catch_warnings():  # a few old roots have non-positive serials
        warnings.simplefilter("ignore")
        return tuple(x509.load_pem_x509_certificates(Path(certifi.where()).read_bytes()))


def default_roots() -> list[x509.Certificate]:
    return list(_certifi_roots())


def check_cert_url(url: str | None) -> None:
    if not url:
        raise VerificationFailed("missing SignatureCertChainUrl header")
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise VerificationFailed("certificate URL scheme must be https")
    if (parts.hostname or "").lower() != CERT_HOST:
        raise VerificationFailed(f"certificate URL host must be {CERT_HOST}")
    try:
        port = parts.port
    except ValueError as exc:
        raise VerificationFailed("certificate URL port is invalid") from exc
    if port not in (None, 443):
        raise VerificationFailed("certificate URL port must be 443")
    if not posixpath.normpath(parts.path or "/").startswith(CERT_PATH_PREFIX):
        raise VerificationFailed(f"certificate URL path must start with {CERT_PATH_PREFIX}")


@dataclass
class _Cached:
    leaf: x509.Certificate
    intermediates: list[x509.Certificate]
    verified_until: datetime


@dataclass
class AlexaVerifier:
    """One per app. `fetch` is the seam tests (and the sandbox) use instead of S3."""

    roots: list[x509.Certificate] = field(default_factory=default_roots)
    fetch: CertFetcher = fetch_over_https
    _cache: dict[str, _Cached] = field(default_factory=dict, repr=False)
    _pinned: dict[str, bytes] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self._store = Store(self.roots)

    def trust(self, root: x509.Certificate) -> None:
        self.roots = [*self.roots, root]
        self._store = Store(self.roots)
        self._cache.clear()

    def pin(self, url: str, chain_pem: bytes) -> None:
        """A chain served from memory for this URL (the sandbox simulator's)."""
        self._pinned[url] = chain_pem

    def verify(self, headers: Any, body: bytes, envelope: dict[str, Any], *,
               skill_id: str | None, now: datetime) -> None:
        url = headers.get("SignatureCertChainUrl")
        check_cert_url(url)
        leaf = self._leaf_for(url, now)
        self._check_signature(leaf, headers, body)
        self._check_timestamp(envelope, now)
        self._check_skill_id(envelope, skill_id)

    def _leaf_for(self, url: str, now: datetime) -> x509.Certificate:
        cached = self._cache.get(url)
        if cached is not None and now <= cached.verified_until:
            if now < cached.leaf.not_valid_before_utc:
                raise VerificationFailed("signing certificate is not yet valid")
            return cached.leaf
        pem = self._pinned.get(url)
        if pem is None:
            try:
                pem = self.fetch(url)
            except Exception as exc:  # network, HTTP status: all mean "cannot verify"
                raise VerificationFailed(f"could not fetch the certificate chain: {exc}") from exc
        try:
            chain = x509.load_pem_x509_certificates(pem)
        except ValueError as exc:
            raise VerificationFailed("certificate chain is not valid PEM") from exc
        leaf, intermediates = chain[0], chain[1:]
        if not (leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc):
            raise VerificationFailed("signing certificate is expired or not yet valid")
        verifier = (PolicyBuilder().store(self._store).time(now)
                    .build_server_verifier(x509.DNSName(ECHO_SAN)))
        try:
            verifier.verify(leaf, intermediates)
        except VerificationError as exc:
            raise VerificationFailed(f"certificate chain rejected: {exc}") from exc
        with self._lock:
            self._cache[url] = _Cached(leaf, intermediates, leaf.not_valid_after_utc)
        return leaf

    @staticmethod
    def _check_signature(leaf: x509.Certificate, headers: Any, body: bytes) -> None:
        """Signature-256 (SHA-256) is the current header; the legacy SHA-1 `Signature` is the
        documented fallback, accepted only when Signature-256 is absent."""
        value, algorithm = headers.get("Signature-256"), hashes.SHA256()
        if not value:
            value, algorithm = headers.get("Signature"), hashes.SHA1()
        if not value:
            raise VerificationFailed("missing Signature-256 header")
        try:
            signature = base64.b64decode(value, validate=True)
        except ValueError as exc:
            raise VerificationFailed("signature is not base64") from exc
        key = leaf.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise VerificationFailed("signing certificate does not hold an RSA key")
        try:
            key.verify(signature, body, padding.PKCS1v15(), algorithm)
        except InvalidSignature as exc:
            raise VerificationFailed("signature does not match the body") from exc

    @staticmethod
    def _check_timestamp(envelope: dict[str, Any], now: datetime) -> None:
        request = envelope.get("request") or {}
        raw = request.get("timestamp")
        if not raw:
            raise VerificationFailed("request timestamp missing")
        try:
            stamp = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError as exc:
            raise VerificationFailed("request timestamp is not ISO 8601") from exc
        if stamp.tzinfo is None:
            raise VerificationFailed("request timestamp has no time zone")
        kind = str(request.get("type", ""))
        tolerance = (SKILL_EVENT_TOLERANCE if kind.startswith("AlexaSkillEvent.")
                     else TIMESTAMP_TOLERANCE)
        if abs(now - stamp) > tolerance:
            raise VerificationFailed("request timestamp is outside the allowed window")

    @staticmethod
    def _check_skill_id(envelope: dict[str, Any], skill_id: str | None) -> None:
        if not skill_id:
            raise VerificationFailed("this shop has no Alexa skill id configured")
        system = ((envelope.get("context") or {}).get("System") or {})
        found = ((system.get("application") or {}).get("applicationId")
                 or ((envelope.get("session") or {}).get("application") or {})
                 .get("applicationId"))
        if found != skill_id:
            raise VerificationFailed("request is for another skill")
