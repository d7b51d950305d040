"""Credentials that exist only with sandbox trust on (SANDBOX=1), so the console and
`simulate` push genuine, signed platform requests through the real verification code
instead of switching it off.

Made fresh in memory at start-up: a private CA the Alexa verifier trusts only in sandbox
mode, a leaf for echo-api.amazon.com served from a pinned in-memory URL, and an RSA key whose
certificate is added to the trusted Google token keys. Nothing here is written to disk."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from core.services import Services
from voice.platforms.alexa.signature import ECHO_SAN, AlexaVerifier, fetch_over_https

log = logging.getLogger(__name__)

SANDBOX_CERT_URL = "https://s3.amazonaws.com/echo.api/sandbox-simulator.pem"
GOOGLE_KID = "sandbox-simulator"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn: str = "Sandbox Test Root", *, key: rsa.RSAPrivateKey | None = None,
            now: datetime | None = None) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = key or new_key()
    now = now or datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=7300))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_leaf(ca: x509.Certificate, ca_key: rsa.RSAPrivateKey, *, san: str = ECHO_SAN,
              not_before: datetime | None = None, not_after: datetime | None = None,
              key: rsa.RSAPrivateKey | None = None, now: datetime | None = None,
              ) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """Valid from a day before `now` (the caller's clock; the wall clock if not given)."""
    key = key or new_key()
    now = now or datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(_name(san)).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def sign_sha256(key: rsa.RSAPrivateKey, body: bytes) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


def key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@dataclass
class SandboxKeys:
    ca: x509.Certificate
    leaf: x509.Certificate
    leaf_key: rsa.RSAPrivateKey
    google_key: rsa.RSAPrivateKey
    google_cert: x509.Certificate
    # The demo's ES header secret, read when used: the demo may be seeded after start-up.
    es_secrets: Callable[[], dict[str, str]]

    def alexa_headers(self, body: bytes) -> dict[str, str]:
        return {"SignatureCertChainUrl": SANDBOX_CERT_URL,
                "Signature-256": sign_sha256(self.leaf_key, body)}

    def google_id_token(self, audience: str, email: str, *, lifetime: int = 3600) -> str:
        """An ID token shaped like the Dialogflow service agent's, signed by the sandbox key."""
        from google.auth import crypt, jwt

        now = int(time.time())
        signer = crypt.RSASigner.from_string(key_pem(self.google_key).decode(), GOOGLE_KID)
        claims = {"iss": "https://accounts.google.com", "aud": audience, "sub": "sandbox",
                  "email": email, "email_verified": True, "iat": now, "exp": now + lifetime}
        token: bytes = jwt.encode(signer, claims)
        return token.decode()

    def google_certs(self) -> dict[str, str]:
        return {GOOGLE_KID: pem(self.google_cert).decode()}

    def dialogflow_es_headers(self, shop_settings: dict[str, Any]) -> dict[str, str]:
        header = shop_settings.get("dialogflow_es_header") or "X-Dialogflow-Secret"
        secret = self.es_secrets().get(header, "")
        return {header: secret} if secret else {}


@lru_cache(maxsize=1)
def _material() -> tuple[x509.Certificate, x509.Certificate, rsa.RSAPrivateKey,
                         rsa.RSAPrivateKey, x509.Certificate]:
    """Generated once per process: three RSA keys cost a noticeable fraction of a second."""
    long_ago = datetime.now(UTC) - timedelta(days=3650)  # tests run on frozen clocks
    far = datetime.now(UTC) + timedelta(days=3650)
    ca, ca_key = make_ca("Voice Referrals Sandbox Root (not Amazon)", now=long_ago)
    leaf, leaf_key = make_leaf(ca, ca_key, not_before=long_ago, not_after=far)
    google_key = new_key()
    google_cert, _ = make_leaf(ca, ca_key, san="sandbox.google.invalid", key=google_key,
                               not_before=long_ago, not_after=far)
    return ca, leaf, leaf_key, google_key, google_cert


def create(services: Services) -> SandboxKeys:
    from core.demo import demo_secrets

    ca, leaf, leaf_key, google_key, google_cert = _material()

    def es() -> dict[str, str]:
        return {"X-Dialogflow-Secret": demo_secrets(services).get("dialogflow_es_secret", "")}

    return SandboxKeys(ca, leaf, leaf_key, google_key, google_cert, es)


def trust(services: Services) -> None:
    """SANDBOX=1: the Alexa verifier (ours, unless a test plugged in its own) trusts the
    simulator's in-memory CA, and Dialogflow's the simulator's Google key."""
    verifier = services.adapters.alexa_verifier
    if verifier is None:
        verifier = AlexaVerifier(fetch=services.adapters.alexa_cert_fetcher or fetch_over_https)
        services.adapters.alexa_verifier = verifier
    if services.adapters.sandbox_keys is None and isinstance(verifier, AlexaVerifier):
        log.info("SANDBOX=1: the simulator's in-memory Alexa CA and Google key are trusted "
                 "(local and staging only)")
        install(services, verifier)


def install(services: Services, verifier: AlexaVerifier) -> SandboxKeys:
    """Trust the sandbox credentials; only ever called when SANDBOX=1."""
    keys = create(services)
    verifier.trust(keys.ca)
    verifier.pin(SANDBOX_CERT_URL, pem(keys.leaf, keys.ca))
    services.adapters.google_extra_certs.update(keys.google_certs())
    services.adapters.sandbox_keys = keys
    return keys


def sandbox_keys(services: Services) -> SandboxKeys | None:
    keys = services.adapters.sandbox_keys
    return keys if isinstance(keys, SandboxKeys) else None
