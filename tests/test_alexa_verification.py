"""Only Amazon, signing for this shop's skill, within 150 seconds, gets an answer: every
forgery a certification reviewer tries is refused with a 400 that says why."""

from __future__ import annotations

import json
import logging
import select as io_select
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select

from core.clock import FrozenClock
from core.models import Shop
from core.services import Services
from fulfillment.app import create_app
from fulfillment.simulator.sandbox_keys import make_ca, make_leaf, pem, sign_sha256
from tests.conftest import PROTOCOL_SAMPLES
from tests.support.alexa import envelope
from voice.platforms.alexa.signature import (
    FETCH_BUDGET,
    NEGATIVE_CACHE_SIZE,
    NEGATIVE_TTL,
    POSITIVE_CACHE_SIZE,
    AlexaVerifier,
    FetchFailed,
    VerificationFailed,
    check_cert_url,
    fetch_over_https,
    normalize_cert_url,
)

CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"
SAMPLES = PROTOCOL_SAMPLES / "alexa"


class LocalPKI:
    """A root, and a leaf for echo-api.amazon.com, made for this test run."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.ca, self.ca_key = make_ca(now=now - timedelta(days=30))
        self.leaf, self.key = make_leaf(self.ca, self.ca_key, not_before=now - timedelta(days=1),
                                        not_after=now + timedelta(days=30))
        self.served: dict[str, bytes] = {CERT_URL: pem(self.leaf, self.ca)}
        self.fetches: list[str] = []

    def fetch(self, url: str) -> bytes:
        self.fetches.append(url)
        return self.served[url]

    def headers(self, body: bytes, url: str = CERT_URL) -> dict[str, str]:
        return {"SignatureCertChainUrl": url, "Signature-256": sign_sha256(self.key, body),
                "Content-Type": "application/json"}


@pytest.fixture
def pki(clock: FrozenClock) -> LocalPKI:
    return LocalPKI(clock())


@pytest.fixture
def alexa_client(services: Services, pki: LocalPKI, demo: dict[str, Any]):  # type: ignore[no-untyped-def]
    services.adapters.alexa_verifier = AlexaVerifier(roots=[pki.ca], fetch=pki.fetch)
    return create_app(services=services).test_client()


def launch_body(demo: dict[str, Any], clock: FrozenClock, **changes: Any) -> bytes:
    data = envelope(skill_id=demo["skill_ids"]["alexa"], user_id=demo["voice_users"]["alexa"],
                    request_type="LaunchRequest", now=clock(), **changes)
    return json.dumps(data).encode()


def refusal(response: Any) -> str:
    assert response.status_code == 400, response.get_data(as_text=True)
    return str(response.get_json()["error"]["message"])


def test_a_request_signed_by_the_trusted_chain_is_answered(alexa_client, pki, demo, clock):
    body = launch_body(demo, clock)
    response = alexa_client.post("/alexa/demo", data=body, headers=pki.headers(body))
    assert response.status_code == 200
    assert "Demo Shop" in response.get_json()["response"]["outputSpeech"]["ssml"]


def test_the_certificate_is_fetched_once_and_then_served_from_the_cache(
        alexa_client, pki, demo, clock):
    for _ in range(3):
        body = launch_body(demo, clock)
        assert alexa_client.post("/alexa/demo", data=body,
                                 headers=pki.headers(body)).status_code == 200
    assert pki.fetches == [CERT_URL]


def test_a_request_without_a_signature_is_refused(alexa_client, pki, demo, clock):
    body = launch_body(demo, clock)
    headers = pki.headers(body)
    del headers["Signature-256"]
    assert "Signature" in refusal(alexa_client.post("/alexa/demo", data=body, headers=headers))


def test_a_signature_over_another_body_is_refused(alexa_client, pki, demo, clock):
    body = launch_body(demo, clock)
    headers = pki.headers(body + b" ")
    assert "signature" in refusal(alexa_client.post("/alexa/demo", data=body, headers=headers))


def test_a_tampered_body_is_refused(alexa_client, pki, demo, clock):
    body = launch_body(demo, clock)
    headers = pki.headers(body)
    tampered = body.replace(b"LaunchRequest", b"LaunchRequesT")
    assert "signature" in refusal(alexa_client.post("/alexa/demo", data=tampered,
                                                    headers=headers))


@pytest.mark.parametrize("url, reason", [
    ("http://s3.amazonaws.com/echo.api/echo-api-cert-test.pem", "scheme"),
    ("https://notamazon.com/echo.api/echo-api-cert-test.pem", "host"),
    ("https://s3.amazonaws.com/EcHo.aPi/echo-api-cert-test.pem", "path"),
    ("https://s3.amazonaws.com/invalid.path/echo-api-cert-test.pem", "path"),
    ("https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert-test.pem", "path"),
    ("https://s3.amazonaws.com:563/echo.api/echo-api-cert-test.pem", "port"),
])
def test_a_certificate_url_outside_amazons_rules_is_refused(
        alexa_client, pki, demo, clock, url, reason):
    pki.served[url] = pki.served[CERT_URL]
    body = launch_body(demo, clock)
    assert reason in refusal(alexa_client.post("/alexa/demo", data=body,
                                               headers=pki.headers(body, url)))
    assert pki.fetches == []


@pytest.mark.parametrize("url", [
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
    "https://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
])
def test_certificate_urls_amazon_documents_as_valid_pass_the_url_check(url):
    check_cert_url(url)


def test_an_expired_certificate_is_refused(services, pki, demo, clock):
    old_leaf, old_key = make_leaf(pki.ca, pki.ca_key, not_before=clock() - timedelta(days=60),
                                  not_after=clock() - timedelta(days=1))
    pki.served[CERT_URL] = pem(old_leaf, pki.ca)
    pki.key = old_key
    services.adapters.alexa_verifier = AlexaVerifier(roots=[pki.ca], fetch=pki.fetch)
    client = create_app(services=services).test_client()
    body = launch_body(demo, clock)
    assert "expired" in refusal(client.post("/alexa/demo", data=body, headers=pki.headers(body)))


def test_a_certificate_for_another_name_is_refused(alexa_client, pki, demo, clock):
    leaf, key = make_leaf(pki.ca, pki.ca_key, san="evil.example.com", now=clock())
    pki.served[CERT_URL], pki.key = pem(leaf, pki.ca), key
    body = launch_body(demo, clock)
    assert "chain" in refusal(alexa_client.post("/alexa/demo", data=body,
                                                headers=pki.headers(body)))


def test_a_chain_to_an_untrusted_root_is_refused(alexa_client, pki, demo, clock):
    rogue_ca, rogue_key = make_ca("Rogue Root", now=clock() - timedelta(days=30))
    leaf, key = make_leaf(rogue_ca, rogue_key, now=clock())
    pki.served[CERT_URL], pki.key = pem(leaf, rogue_ca), key
    body = launch_body(demo, clock)
    assert "chain" in refusal(alexa_client.post("/alexa/demo", data=body,
                                                headers=pki.headers(body)))


@pytest.mark.parametrize("seconds", [-151, 151])
def test_a_request_more_than_150_seconds_off_is_refused(alexa_client, pki, demo, clock,
                                                        seconds):
    stamp = FrozenClock(clock() + timedelta(seconds=seconds))
    body = launch_body(demo, stamp)
    assert "timestamp" in refusal(alexa_client.post("/alexa/demo", data=body,
                                                    headers=pki.headers(body)))


@pytest.mark.parametrize("seconds", [-150, 150])
def test_a_request_within_150_seconds_is_accepted(alexa_client, pki, demo, clock, seconds):
    body = launch_body(demo, FrozenClock(clock() + timedelta(seconds=seconds)))
    assert alexa_client.post("/alexa/demo", data=body,
                             headers=pki.headers(body)).status_code == 200


def test_a_request_for_another_skill_is_refused(alexa_client, pki, demo, clock):
    body = json.dumps(envelope(skill_id="amzn1.ask.skill.someone-else", user_id="u",
                               request_type="LaunchRequest", now=clock())).encode()
    assert "another skill" in refusal(alexa_client.post("/alexa/demo", data=body,
                                                        headers=pki.headers(body)))


def test_malformed_json_is_a_400_and_an_unknown_shop_a_404(alexa_client, pki, demo, clock):
    assert alexa_client.post("/alexa/demo", data=b"{nope",
                             headers=pki.headers(b"{nope")).status_code == 400
    assert alexa_client.post("/alexa/demo", data=b"[]", headers=pki.headers(b"[]")
                             ).status_code == 400
    body = launch_body(demo, clock)
    assert alexa_client.post("/alexa/no-such-shop", data=body,
                             headers=pki.headers(body)).status_code == 404


# --- the genuine Amazon-signed request ---------------------------------------------------

REAL_NOW = datetime(2019, 7, 15, 22, 44, 23, tzinfo=UTC)


def real_sample() -> tuple[bytes, dict[str, str], bytes]:
    body = (SAMPLES / "launch_request_real_signed.json").read_bytes()
    headers = {"SignatureCertChainUrl": "https://s3.amazonaws.com/echo.api/echo-api-cert-7.pem",
               "Signature": (SAMPLES / "launch_request_real_signed.Signature.txt").read_text()}
    return body, headers, (SAMPLES / "echo-api-cert-7.pem").read_bytes()


def test_the_genuine_amazon_request_verifies_against_its_real_chain_and_certifi_roots():
    """Legacy SHA-1 `Signature`: accepted only as the documented fallback, because this
    request carries no Signature-256 (the only genuine signed sample there is)."""
    body, headers, chain = real_sample()
    verifier = AlexaVerifier(fetch=lambda url: chain)
    data = json.loads(body)
    verifier.verify(headers, body, data, skill_id=data["session"]["application"]
                    ["applicationId"], now=REAL_NOW)


def test_the_genuine_request_fails_with_one_byte_changed():
    body, headers, chain = real_sample()
    verifier = AlexaVerifier(fetch=lambda url: chain)
    changed = body.replace(b'"new":true', b'"new":True', 1)
    assert changed != body
    data = json.loads(body)
    with pytest.raises(VerificationFailed, match="signature"):
        verifier.verify(headers, changed, data, skill_id=data["session"]["application"]
                        ["applicationId"], now=REAL_NOW)


def test_a_bad_signature_256_is_not_rescued_by_a_valid_legacy_signature():
    body, headers, chain = real_sample()
    verifier = AlexaVerifier(fetch=lambda url: chain)
    data = json.loads(body)
    with pytest.raises(VerificationFailed, match="signature"):
        verifier.verify({**headers, "Signature-256": headers["Signature"]}, body, data,
                        skill_id=data["session"]["application"]["applicationId"], now=REAL_NOW)


def test_the_genuine_request_is_answered_by_the_endpoint_with_the_clock_frozen(
        services, demo, database):
    body, headers, chain = real_sample()
    data = json.loads(body)
    with database.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        shop.settings = {**shop.settings,
                         "alexa_skill_id": data["session"]["application"]["applicationId"]}
    services.clock = FrozenClock(REAL_NOW)
    services.adapters.alexa_verifier = AlexaVerifier(fetch=lambda url: chain)
    client = create_app(services=services).test_client()
    response = client.post("/alexa/demo", data=body,
                           headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["response"]["shouldEndSession"] is False


# --- SignatureCertChainUrl: an attacker-chosen URL the server would fetch (issue 11, 3) ---


@contextmanager
def silent_listener() -> Iterator[socket.socket]:
    """A real listening socket that never answers: any connection to it is an SSRF."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    try:
        yield sock
    finally:
        sock.close()


def connections_received(sock: socket.socket) -> int:
    count = 0
    while io_select.select([sock], [], [], 0.2)[0]:
        conn, _ = sock.accept()
        conn.close()
        count += 1
    return count


def test_a_backslash_url_never_makes_the_server_connect_to_the_host_before_the_at(
        services, demo, clock):
    """urlsplit reads the host after `@`, requests ends the authority at `\\`: today's check
    passed this URL and the server connected to 127.0.0.1 (here a real silent listener)."""
    services.adapters.alexa_verifier = AlexaVerifier(roots=[LocalPKI(clock()).ca])
    client = create_app(services=services).test_client()
    with silent_listener() as listener:
        port = listener.getsockname()[1]
        body = launch_body(demo, clock)
        for url in (f"https://127.0.0.1:{port}\\@s3.amazonaws.com/echo.api/x.pem",
                    f"https://127.0.0.1:{port}\\\\@s3.amazonaws.com/echo.api/x.pem",
                    f"https://127.0.0.1:{port}/@s3.amazonaws.com/echo.api/x.pem"):
            response = client.post("/alexa/demo", data=body, headers={
                "SignatureCertChainUrl": url, "Signature-256": "AAAA",
                "Content-Type": "application/json"})
            assert response.status_code == 400
        assert connections_received(listener) == 0


@pytest.mark.parametrize("url, reason", [
    ("https://127.0.0.1:5432\\@s3.amazonaws.com/echo.api/x.pem", "backslash"),
    ("https://s3.amazonaws.com/echo.api/%2e%2e/other-bucket/x.pem", "percent"),
    ("https://s3.amazonaws.com/echo.api/%2E%2E%2Fother-bucket%2Fx.pem", "percent"),
    ("https://s3.amazonaws.com/echo.api/..%2f..%2fother-bucket/x.pem", "percent"),
    ("https://evil@s3.amazonaws.com/echo.api/echo-api-cert-test.pem", "userinfo"),
    ("https://evil:secret@s3.amazonaws.com/echo.api/echo-api-cert-test.pem", "userinfo"),
    ("https://127.0.0.1:5432@s3.amazonaws.com/echo.api/echo-api-cert-test.pem", "userinfo"),
    ("https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem?x=1", "query"),
    ("https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem?", "query"),
    ("https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem#top", "fragment"),
    ("https://s3.amazonaws.com:8443/echo.api/echo-api-cert-test.pem", "port"),
    ("https://s3.amazonaws.com:/echo.api/echo-api-cert-test.pem", "port"),
    ("https://s3.amazonaws.com./echo.api/echo-api-cert-test.pem", "host"),
    ("https://s3.amazonaws.com/echo.api/echo api.pem", "ASCII"),
    ("https://s3.amazonaws.com/echo.api/échø.pem", "ASCII"),
    ("https://s3.amazonaws.com/echo.api/x;y=1.pem", "path"),
    ("https://s3.amazonaws.com//echo.api/echo-api-cert-test.pem", "path"),
])
def test_a_certificate_url_the_parsers_could_disagree_on_is_refused_without_a_fetch(
        alexa_client, pki, demo, clock, url, reason):
    pki.served[url] = pki.served[CERT_URL]
    body = launch_body(demo, clock)
    assert reason in refusal(alexa_client.post("/alexa/demo", data=body,
                                               headers=pki.headers(body, url)))
    assert pki.fetches == []


def test_the_url_fetched_is_the_checked_one_rebuilt_and_it_is_cached_under_that_name(
        alexa_client, pki, demo, clock):
    for url in ("https://S3.AmazonAWS.com/echo.api/./sub/../echo-api-cert-test.pem",
                "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert-test.pem",
                CERT_URL):
        body = launch_body(demo, clock)
        assert alexa_client.post("/alexa/demo", data=body,
                                 headers=pki.headers(body, url)).status_code == 200
    assert pki.fetches == [CERT_URL]
    assert normalize_cert_url("https://s3.amazonaws.com:443/echo.api/a/../b.pem") == \
        "https://s3.amazonaws.com:443/echo.api/b.pem"


def test_a_fetch_error_is_logged_but_never_told_to_the_caller(
        services, pki, demo, clock, caplog):
    def refused(url: str) -> bytes:
        raise requests.ConnectionError(
            "HTTPSConnectionPool(host='10.9.8.7', port=5432): Connection refused")

    services.adapters.alexa_verifier = AlexaVerifier(roots=[pki.ca], fetch=refused)
    client = create_app(services=services).test_client()
    body = launch_body(demo, clock)
    with caplog.at_level(logging.WARNING, logger="voice.platforms.alexa.signature"):
        response = client.post("/alexa/demo", data=body, headers=pki.headers(body))
    assert refusal(response) == "certificate could not be retrieved"
    assert "10.9.8.7" not in response.get_data(as_text=True)
    assert "5432" not in response.get_data(as_text=True)
    assert "10.9.8.7" in caplog.text  # the operator still learns why


def test_a_failed_url_is_not_fetched_again_while_its_failure_is_remembered(pki, clock):
    calls: list[str] = []

    def missing(url: str) -> bytes:
        calls.append(url)
        raise requests.HTTPError("404")

    verifier = AlexaVerifier(roots=[pki.ca], fetch=missing)
    body = launch_body({"skill_ids": {"alexa": "s"}, "voice_users": {"alexa": "u"}}, clock)
    for _ in range(50):
        with pytest.raises(VerificationFailed, match="could not be retrieved"):
            verifier.verify(pki.headers(body, CERT_URL + "x"), body, {}, skill_id="s",
                            now=clock())
    assert len(calls) == 1
    with pytest.raises(VerificationFailed):  # after the negative TTL: one more try
        verifier.verify(pki.headers(body, CERT_URL + "x"), body, {}, skill_id="s",
                        now=clock() + NEGATIVE_TTL)
    assert len(calls) == 2


def test_concurrent_requests_for_one_new_url_share_one_fetch(pki, demo, clock):
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow(url: str) -> bytes:
        calls.append(url)
        started.set()
        release.wait(5)
        return pki.served[CERT_URL]

    verifier = AlexaVerifier(roots=[pki.ca], fetch=slow)
    body = launch_body(demo, clock)
    data = json.loads(body)
    errors: list[BaseException] = []

    def one() -> None:
        try:
            verifier.verify(pki.headers(body), body, data, skill_id=demo["skill_ids"]["alexa"],
                            now=clock())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    assert started.wait(5)
    release.set()
    for thread in threads:
        thread.join(10)
    assert errors == [] and calls == [CERT_URL]


def _traced_in_verifier(snapshot: tracemalloc.Snapshot) -> int:
    import voice.platforms.alexa.signature as module

    kept = snapshot.filter_traces([tracemalloc.Filter(True, module.__file__)])
    return sum(stat.size for stat in kept.statistics("filename"))


def flood(verifier: AlexaVerifier, urls: Iterator[str], body: bytes, now: datetime,
          checkpoints: tuple[int, ...]) -> list[int]:
    """Verify one request per URL; traced bytes held by the verifier at each checkpoint."""
    sizes = []
    for n, url in enumerate(urls, 1):
        with pytest.raises(VerificationFailed):
            verifier.verify({"SignatureCertChainUrl": url, "Signature-256": "AAAA"}, body, {},
                            skill_id="s", now=now)
        if n in checkpoints:
            sizes.append(_traced_in_verifier(tracemalloc.take_snapshot()))
    return sizes


FLOOD = 40_000


def test_forty_thousand_distinct_query_urls_cost_no_fetch_and_no_memory(pki, clock):
    """Before: every `?x=<n>` passed the check, was fetched and cached (40,000 fetches,
    40,000 cache entries). Now each is refused by the URL rules."""
    verifier = AlexaVerifier(roots=[pki.ca], fetch=pki.fetch)
    tracemalloc.start()
    try:
        sizes = flood(verifier, (f"{CERT_URL}?x={n}" for n in range(FLOOD)), b"{}", clock(),
                      (1_000, FLOOD))
    finally:
        tracemalloc.stop()
    print(f"\n{FLOOD} ?x= URLs: {len(pki.fetches)} fetches, cache {len(verifier.cache)}, "
          f"traced {sizes} bytes")
    assert pki.fetches == []
    assert len(verifier.cache) == 0
    assert sizes[-1] - sizes[0] < 64 * 1024


def test_forty_thousand_distinct_plausible_urls_cost_a_bounded_number_of_fetches(pki, clock):
    """URLs that pass Amazon's rules but fail to fetch: one fetch each until the fetch
    budget is spent, then none; the caches stay within their bounds and memory is flat."""
    calls: list[str] = []

    def missing(url: str) -> bytes:
        calls.append(url)
        raise requests.HTTPError("404 Not Found")

    verifier = AlexaVerifier(roots=[pki.ca], fetch=missing)
    urls = (f"https://s3.amazonaws.com/echo.api/flood-{n}.pem" for n in range(FLOOD))
    tracemalloc.start()
    try:
        sizes = flood(verifier, urls, b"{}", clock(), (1_000, FLOOD))
    finally:
        tracemalloc.stop()
    print(f"\n{FLOOD} distinct plausible URLs: {len(calls)} fetches, cache "
          f"{len(verifier.cache)}, traced {sizes} bytes")
    assert len(calls) == FETCH_BUDGET == len(set(calls))
    assert len(verifier.cache) <= NEGATIVE_CACHE_SIZE + POSITIVE_CACHE_SIZE
    assert sizes[-1] - sizes[0] < 64 * 1024
    # the next window allows a few more fetches, never one per request
    later = clock() + timedelta(minutes=1)
    flood(verifier, (f"https://s3.amazonaws.com/echo.api/next-{n}.pem" for n in range(1_000)),
          b"{}", later, ())
    assert len(calls) == 2 * FETCH_BUDGET


def test_a_flood_of_failures_does_not_evict_the_good_certificate(pki, demo, clock):
    def fetch(url: str) -> bytes:
        if url == CERT_URL:
            return pki.served[CERT_URL]
        raise requests.HTTPError("404")

    verifier = AlexaVerifier(roots=[pki.ca], fetch=fetch)
    body = launch_body(demo, clock)
    data = json.loads(body)
    skill = demo["skill_ids"]["alexa"]
    verifier.verify(pki.headers(body), body, data, skill_id=skill, now=clock())
    for n in range(NEGATIVE_CACHE_SIZE * 2):
        with pytest.raises(VerificationFailed):
            verifier.verify(pki.headers(body, f"https://s3.amazonaws.com/echo.api/{n}.pem"),
                            body, data, skill_id=skill, now=clock())
    verifier.verify(pki.headers(body), body, data, skill_id=skill, now=clock())


# --- the fetch itself: deadline, size cap, no redirects ----------------------------------


@contextmanager
def raw_http_server(answer: Callable[[socket.socket], None]) -> Iterator[str]:
    """A loopback server that hands each connection to `answer` (byte-level control)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()

    def loop() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)
                with suppress(OSError):
                    answer(conn)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/echo.api/x.pem"
    finally:
        stop.set()
        thread.join(5)
        server.close()


def test_a_chain_larger_than_the_cap_is_not_read_to_the_end():
    def endless(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-pem-file\r\n\r\n")
        for _ in range(4096):  # 16 MB if nobody stops reading
            conn.sendall(b"A" * 4096)

    with raw_http_server(endless) as url, pytest.raises(FetchFailed, match="bytes"):
        fetch_over_https(url)


def test_a_declared_length_over_the_cap_is_refused_before_reading():
    def declared(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n" + b"A" * 1000)

    with raw_http_server(declared) as url, pytest.raises(FetchFailed, match="declared"):
        fetch_over_https(url)


def test_a_chain_that_trickles_in_is_abandoned_at_the_deadline():
    """One byte every 0.2 s never trips a read timeout; the fetch's own deadline does."""
    def trickle(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n")
        for _ in range(20):
            conn.sendall(b"A")
            time.sleep(0.2)

    with raw_http_server(trickle) as url, pytest.raises(FetchFailed, match="longer than"):
        fetch_over_https(url)


def test_a_silent_server_is_abandoned_by_the_read_timeout():
    with silent_listener() as listener, pytest.raises(FetchFailed, match="Timeout"):
        fetch_over_https(f"http://127.0.0.1:{listener.getsockname()[1]}/echo.api/x.pem")


def test_a_redirect_is_not_followed():
    with silent_listener() as target:
        location = f"http://127.0.0.1:{target.getsockname()[1]}/echo.api/x.pem"

        def redirect(conn: socket.socket) -> None:
            conn.sendall(f"HTTP/1.1 302 Found\r\nLocation: {location}\r\n"
                         "Content-Length: 0\r\n\r\n".encode())

        with raw_http_server(redirect) as url, pytest.raises(FetchFailed, match="302"):
            fetch_over_https(url)
        assert connections_received(target) == 0


def _trickled(first: bytes, rest: bytes, sent: list[int]) -> Callable[[socket.socket], None]:
    """`first` at once, then `rest` a byte every 0.25 s (each read well inside the read
    timeout), counting in `sent` what got out before the client hung up."""
    def answer(conn: socket.socket) -> None:
        conn.sendall(first)
        for byte in rest:
            conn.sendall(bytes([byte]))
            sent.append(byte)
            time.sleep(0.25)
    return answer


def test_a_body_trickled_a_byte_at_a_time_is_abandoned_at_the_deadline():
    """A body trickled inside one 4 KB read held the fetch far past its deadline (15.1 s
    seen; issue 26, item 11): the client must hang up long before 24 bytes are out."""
    sent: list[int] = []
    answer = _trickled(b"HTTP/1.1 200 OK\r\nContent-Length: 4000\r\n\r\n", b"A" * 24, sent)
    with raw_http_server(answer) as url, pytest.raises(FetchFailed, match="longer than"):
        fetch_over_https(url)
    time.sleep(0.6)  # the server notices the hang-up at its next send
    assert len(sent) < 24


def test_headers_trickled_a_byte_at_a_time_are_abandoned_at_the_deadline():
    sent: list[int] = []
    answer = _trickled(b"HTTP/1.1 200 OK\r\n", b"Content-Type: application/x-pem-file\r\n",
                       sent)
    with raw_http_server(answer) as url, pytest.raises(FetchFailed, match="longer than"):
        fetch_over_https(url)
    time.sleep(0.6)
    assert len(sent) < len(b"Content-Type: application/x-pem-file\r\n")
