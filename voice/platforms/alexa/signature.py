"""Alexa request verification, Amazon's rules (REFERENCE.md), with `cryptography`.

ask-sdk-webservice-support's own verifier cannot load here (its certvalidator -> oscrypto
chain fails on OpenSSL 3.0.19), and it would not tell us *why* a request failed. This one
checks, in order: the certificate URL, the chain (trusted root, validity, SAN
echo-api.amazon.com), the body signature, the timestamp and the skill id; the first failure
is the reason in the 400 answer.

The certificate URL comes from whoever sends the request, so it is an SSRF vector: Python's
`urlsplit` and `requests`/urllib3 disagree on `\\` and `@` in the authority, and S3 decodes
`%2e%2e`. So the URL is parsed once, by one strict grammar, and the only URL ever fetched is
rebuilt from the checked parts (`https://s3.amazonaws.com[:443]/echo.api/...`). Fetches
have a short deadline and a size cap, follow no redirects, and their errors go to the log,
never to the caller. Chains are cached by normalized URL in a small LRU (until the leaf
expires), failures in a short negative cache, and fetches of new URLs have a budget per
minute, so a flood of distinct URLs costs a bounded number of fetches and flat memory."""

from __future__ import annotations

import base64
import http.client
import logging
import posixpath
import re
import socket
import ssl
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import certifi
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

log = logging.getLogger(__name__)
ECHO_SAN = "echo-api.amazon.com"
CERT_HOST = "s3.amazonaws.com"
CERT_PATH_PREFIX = "/echo.api/"
TIMESTAMP_TOLERANCE = timedelta(seconds=150)
SKILL_EVENT_TOLERANCE = timedelta(seconds=3600)
CertFetcher = Callable[[str], bytes]

MAX_URL_LENGTH = 512
FETCH_CONNECT_TIMEOUT = 1.0  # seconds
FETCH_READ_TIMEOUT = 1.0  # seconds per read; connect + read <= 2 s
FETCH_DEADLINE = 2.0  # seconds for the whole fetch, however slowly the body trickles
MAX_CHAIN_BYTES = 64 * 1024  # Amazon's chain is about 5 KB
POSITIVE_CACHE_SIZE = 16  # Amazon serves one chain at a time; a rotation adds one
NEGATIVE_CACHE_SIZE = 1024
NEGATIVE_TTL = timedelta(seconds=60)
FETCH_BUDGET = 10  # fetches of URLs not in either cache, per FETCH_BUDGET_WINDOW
FETCH_BUDGET_WINDOW = timedelta(minutes=1)
NOT_RETRIEVED = "certificate could not be retrieved"

# scheme://authority path [?query] [#fragment], the authority ending at the first / ? #.
_URL = re.compile(r"(?P<scheme>[^:/?#]+)://(?P<authority>[^/?#]*)(?P<path>[^?#]*)"
                  r"(?P<query>\?[^#]*)?(?P<fragment>#.*)?", re.DOTALL)
_PATH_CHARS = re.compile(r"[A-Za-z0-9._~/-]*")  # unreserved characters and slashes only
_PORT = re.compile(r"[0-9]{1,5}")


class VerificationFailed(Exception):
    """The request is not provably from Alexa for this skill; the message says why."""


class FetchFailed(Exception):
    """The chain could not be fetched; the message is for the log, never for the caller."""


def fetch_over_https(url: str) -> bytes:
    """GET with a deadline for the whole exchange, a size cap, and no redirects (a redirect
    would lead somewhere the URL check never saw).

    The deadline holds however slowly the server answers: a watchdog shuts the socket down
    when FETCH_DEADLINE is up, so neither headers nor a body trickled a byte at a time
    (each read well inside FETCH_READ_TIMEOUT) can hold the request (15 s were seen with
    requests' reads, which wait for a whole chunk)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise FetchFailed("not an http(s) URL")
    deadline = time.monotonic() + FETCH_DEADLINE
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=FETCH_CONNECT_TIMEOUT, context=_tls())
    else:  # tests' local servers only: the URL check admits https alone
        conn = http.client.HTTPConnection(parts.hostname, parts.port,
                                          timeout=FETCH_CONNECT_TIMEOUT)
    watchdog = threading.Timer(FETCH_DEADLINE, _cut, args=(conn,))
    watchdog.daemon = True
    watchdog.start()
    try:
        conn.connect()
        conn.sock.settimeout(FETCH_READ_TIMEOUT)
        conn.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                     headers={"Accept-Encoding": "identity", "User-Agent": "referrals"})
        response = conn.getresponse()
        _before(deadline)  # the watchdog's shutdown reads as the end of the headers
        if response.status != 200:
            raise FetchFailed(f"HTTP {response.status}")
        declared = response.getheader("Content-Length", "") or ""
        if declared.isascii() and declared.isdigit() and int(declared) > MAX_CHAIN_BYTES:
            raise FetchFailed(f"declared {declared} bytes, more than {MAX_CHAIN_BYTES}")
        body = bytearray()
        while chunk := response.read1(4096):  # whatever has arrived, not a whole chunk
            body += chunk
            if len(body) > MAX_CHAIN_BYTES:
                raise FetchFailed(f"more than {MAX_CHAIN_BYTES} bytes")
            _before(deadline)
        _before(deadline)  # ... and as the end of the body
        if declared.isascii() and declared.isdigit() and len(body) != int(declared):
            raise FetchFailed(f"{len(body)} of {declared} bytes")
        return bytes(body)
    except (OSError, http.client.HTTPException) as exc:
        if time.monotonic() >= deadline:
            raise FetchFailed(f"would take longer than {FETCH_DEADLINE} s") from exc
        name = "Timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
        raise FetchFailed(f"{name}: {exc}") from exc
    finally:
        watchdog.cancel()
        conn.close()


def _before(deadline: float) -> None:
    if time.monotonic() >= deadline:
        raise FetchFailed(f"would take longer than {FETCH_DEADLINE} s")


def _cut(conn: http.client.HTTPConnection) -> None:
    """The deadline is up: any read in progress or to come fails at once."""
    sock = conn.sock
    if sock is not None:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """Certificate and host name checked against certifi's roots (as requests did)."""
    return ssl.create_default_context(cafile=certifi.where())


@lru_cache(maxsize=1)
def _certifi_roots() -> tuple[x509.Certificate, ...]:
    with warnings.catch_warnings():  # a few old roots have non-positive serials
        warnings.simplefilter("ignore")
        return tuple(x509.load_pem_x509_certificates(Path(certifi.where()).read_bytes()))


def default_roots() -> list[x509.Certificate]:
    return list(_certifi_roots())


def normalize_cert_url(url: str | None) -> str:
    """Amazon's URL rules, strictly: the URL to fetch, rebuilt from the checked parts, or
    VerificationFailed saying which rule failed. Refused outright, because the parsers
    disagree on them or S3 would reinterpret them: anything but printable ASCII,
    backslashes, percent-encoding, userinfo, a query or a fragment."""
    if not url:
        raise VerificationFailed("missing SignatureCertChainUrl header")
    if len(url) > MAX_URL_LENGTH:
        raise VerificationFailed("certificate URL is too long")
    if not (url.isascii() and url.isprintable()) or " " in url:
        raise VerificationFailed("certificate URL has characters outside printable ASCII")
    if "\\" in url:
        raise VerificationFailed("certificate URL must not contain a backslash")
    if "%" in url:
        raise VerificationFailed("certificate URL must not contain percent-encoding")
    parts = _URL.fullmatch(url)
    if parts is None:
        raise VerificationFailed("certificate URL is not an absolute URL")
    if parts["scheme"].lower() != "https":
        raise VerificationFailed("certificate URL scheme must be https")
    authority = parts["authority"]
    if "@" in authority:
        raise VerificationFailed("certificate URL must not contain userinfo")
    host, colon, port = authority.partition(":")
    if host.lower() != CERT_HOST:
        raise VerificationFailed(f"certificate URL host must be {CERT_HOST}")
    if colon and not (_PORT.fullmatch(port) and int(port) == 443):
        raise VerificationFailed("certificate URL port must be 443")
    if parts["query"] is not None or parts["fragment"] is not None:
        raise VerificationFailed("certificate URL must not have a query or fragment")
    path = parts["path"]
    if not path.startswith("/") or not _PATH_CHARS.fullmatch(path):
        raise VerificationFailed(f"certificate URL path must start with {CERT_PATH_PREFIX} "
                                 "and hold only letters, digits, . _ ~ - and /")
    normalized = posixpath.normpath(path)
    if not normalized.startswith(CERT_PATH_PREFIX):
        raise VerificationFailed(f"certificate URL path must start with {CERT_PATH_PREFIX}")
    return f"https://{CERT_HOST}{':443' if colon else ''}{normalized}"


def check_cert_url(url: str | None) -> None:
    normalize_cert_url(url)


@dataclass
class _Cached:
    leaf: x509.Certificate
    intermediates: list[x509.Certificate]
    verified_until: datetime


@dataclass
class _Failed:
    until: datetime
    reason: str  # safe to show the caller: never a fetch error's text


class CertificateCache:
    """Chains by normalized URL (LRU, until the leaf expires), failures for NEGATIVE_TTL,
    and a budget of fetches per window for URLs in neither. All bounded."""

    def __init__(self, size: int = POSITIVE_CACHE_SIZE,
                 negative_size: int = NEGATIVE_CACHE_SIZE) -> None:
        self.size, self.negative_size = size, negative_size
        self.good: OrderedDict[str, _Cached] = OrderedDict()
        self.bad: OrderedDict[str, _Failed] = OrderedDict()
        self.window_start: datetime | None = None
        self.window_fetches = 0

    def hit(self, url: str, now: datetime) -> _Cached | _Failed | None:
        good = self.good.get(url)
        if good is not None:
            if now <= good.verified_until:
                self.good.move_to_end(url)
                return good
            del self.good[url]
        bad = self.bad.get(url)
        if bad is not None:
            if now < bad.until:
                return bad
            del self.bad[url]
        return None

    def remember(self, url: str, entry: _Cached | _Failed) -> None:
        table: OrderedDict[str, Any] = self.good if isinstance(entry, _Cached) else self.bad
        table[url] = entry
        table.move_to_end(url)
        while len(table) > (self.size if table is self.good else self.negative_size):
            table.popitem(last=False)

    def take_fetch(self, now: datetime) -> bool:
        if self.window_start is None or now - self.window_start >= FETCH_BUDGET_WINDOW \
                or now < self.window_start:
            self.window_start, self.window_fetches = now, 0
        if self.window_fetches >= FETCH_BUDGET:
            if self.window_fetches == FETCH_BUDGET:  # once per window, not once per request
                log.warning("Alexa certificate fetch budget spent (%s new URLs in %s)",
                            FETCH_BUDGET, FETCH_BUDGET_WINDOW)
                self.window_fetches += 1
            return False
        self.window_fetches += 1
        return True

    def clear(self) -> None:
        self.good.clear()
        self.bad.clear()

    def __len__(self) -> int:
        return len(self.good) + len(self.bad)


@dataclass
class AlexaVerifier:
    """One per app. `fetch` is the seam tests (and the sandbox) use instead of S3."""

    roots: list[x509.Certificate] = field(default_factory=default_roots)
    fetch: CertFetcher = fetch_over_https
    cache: CertificateCache = field(default_factory=CertificateCache, repr=False)
    _pinned: dict[str, bytes] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _inflight: dict[str, threading.Lock] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._store = Store(self.roots)

    def trust(self, root: x509.Certificate) -> None:
        self.roots = [*self.roots, root]
        self._store = Store(self.roots)
        with self._lock:
            self.cache.clear()

    def pin(self, url: str, chain_pem: bytes) -> None:
        """A chain served from memory for this URL (the sandbox simulator's)."""
        self._pinned[normalize_cert_url(url)] = chain_pem

    def verify(self, headers: Any, body: bytes, envelope: dict[str, Any], *,
               skill_id: str | None, now: datetime) -> None:
        url = normalize_cert_url(headers.get("SignatureCertChainUrl"))
        leaf = self._leaf_for(url, now)
        self._check_signature(leaf, headers, body)
        self._check_timestamp(envelope, now)
        self._check_skill_id(envelope, skill_id)

    def _leaf_for(self, url: str, now: datetime) -> x509.Certificate:
        """At most one fetch per URL at a time (others wait for its result), and none for
        a URL either cache answers."""
        entry = self._cached(url, now)
        if entry is None:
            with self._lock:
                flight = self._inflight.setdefault(url, threading.Lock())
            try:
                with flight:
                    entry = self._cached(url, now) or self._load(url, now)
            finally:
                with self._lock:
                    if self._inflight.get(url) is flight and not flight.locked():
                        del self._inflight[url]
        if isinstance(entry, _Failed):
            raise VerificationFailed(entry.reason)
        if now < entry.leaf.not_valid_before_utc:
            raise VerificationFailed("signing certificate is not yet valid")
        return entry.leaf

    def _cached(self, url: str, now: datetime) -> _Cached | _Failed | None:
        with self._lock:
            return self.cache.hit(url, now)

    def _load(self, url: str, now: datetime) -> _Cached | _Failed:
        pem = self._pinned.get(url)
        if pem is None:
            with self._lock:
                allowed = self.cache.take_fetch(now)
            if not allowed:  # not remembered: the URL may be fetched in the next window
                return _Failed(now, NOT_RETRIEVED)
            try:
                pem = self.fetch(url)
            except Exception as exc:  # network, HTTP status, size, deadline: the log's business
                log.warning("could not fetch the Alexa certificate chain %s: %s", url, exc)
                return self._remember(url, _Failed(now + NEGATIVE_TTL, NOT_RETRIEVED))
        try:
            entry: _Cached | _Failed = self._validate(pem, now)
        except VerificationFailed as exc:
            entry = _Failed(now + NEGATIVE_TTL, str(exc))
        return self._remember(url, entry)

    def _remember(self, url: str, entry: _Cached | _Failed) -> _Cached | _Failed:
        with self._lock:
            self.cache.remember(url, entry)
        return entry

    def _validate(self, pem: bytes, now: datetime) -> _Cached:
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
        return _Cached(leaf, intermediates, leaf.not_valid_after_utc)

    @staticmethod
    def _check_signature(leaf: x509.Certificate, headers: Any, body: bytes) -> None:
        """Signature-256 (SHA-256) is the current header; the legacy SHA-1 `Signature` is the
        documented fallback, accepted only when Signature-256 is absent."""
        value = headers.get("Signature-256")
        algorithm: hashes.HashAlgorithm = hashes.SHA256()
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
