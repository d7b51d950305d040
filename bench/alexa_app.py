"""The product's WSGI app, with the Alexa verifier trusting the bench's own CA (written by
bench_alexa.py to BENCH_PKI_DIR) exactly as it would trust Amazon's: same code path, the
chain served from the verifier's cache after the first request."""

import atexit
import os
from pathlib import Path

from cryptography import x509

from core.config import Settings
from core.services import bootstrap
from fulfillment.alexa_verify import AlexaVerifier
from fulfillment.app import create_app

pki = Path(os.environ["BENCH_PKI_DIR"])
services = bootstrap(Settings.from_env())
chain = (pki / "chain.pem").read_bytes()
services.extras["alexa_verifier"] = AlexaVerifier(
    roots=[x509.load_pem_x509_certificate((pki / "ca.pem").read_bytes())],
    fetch=lambda url: chain,
)
app = create_app(services=services)
atexit.register(services.close)
