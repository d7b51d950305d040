"""Only Amazon, signing for this shop's skill, within 150 seconds, gets an answer: every
forgery a certification reviewer tries is refused with a 400 that says why."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.clock import FrozenClock
from core.models import Shop
from core.services import Services
from fulfillment.alexa_verify import AlexaVerifier, VerificationFailed, check_cert_url
from fulfillment.app import create_app
from fulfillment.sandbox_keys import make_ca, make_leaf, pem, sign_sha256
from tests.conftest import SHARED
from tests.support.alexa import envelope

CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"
SAMPLES = SHARED / "protocol-samples" / "alexa"


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
    services.extras["alexa_verifier"] = AlexaVerifier(roots=[pki.ca], fetch=pki.fetch)
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
    services.extras["alexa_verifier"] = AlexaVerifier(roots=[pki.ca], fetch=pki.fetch)
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
    services.extras["alexa_verifier"] = AlexaVerifier(fetch=lambda url: chain)
    client = create_app(services=services).test_client()
    response = client.post("/alexa/demo", data=body,
                           headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["response"]["shouldEndSession"] is False
