"""The product's WSGI app for voice benchmarks: the Alexa verifier trusts the bench CA and
the Google token verifier the bench key (files in BENCH_PKI_DIR), through the same code paths
as Amazon's and Google's; certificates are cached after the first request."""

import atexit
import json
import os
from pathlib import Path

from cryptography import x509
from flask import Flask

from core.config import Settings
from core.services import bootstrap
from fulfillment.app import create_app
from voice.platforms.alexa.signature import AlexaVerifier


def make_app(env: dict[str, str] | None = None) -> Flask:
    """An app configured from `env` (default: the environment); bench_scale makes one per
    database it compares."""
    env = dict(os.environ if env is None else env)
    pki = Path(env["BENCH_PKI_DIR"])
    services = bootstrap(Settings.from_env(env))
    chain = (pki / "chain.pem").read_bytes()
    services.adapters.alexa_verifier = AlexaVerifier(
        roots=[x509.load_pem_x509_certificate((pki / "ca.pem").read_bytes())],
        fetch=lambda url: chain)
    google_certs = (pki / "google_certs.json").read_bytes()
    services.adapters.google_certs_fetcher = lambda url: (
        200, {"Cache-Control": "max-age=3600"}, google_certs)
    services.adapters.google_extra_certs = json.loads(google_certs)
    atexit.register(services.close)
    return create_app(services=services)


app = make_app()
