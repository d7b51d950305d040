"""Google-style ID tokens signed at test time with a local RSA key, and a certificate
endpoint stand-in serving that key's certificate the way Google's does."""

from __future__ import annotations

import json
import time
from typing import Any

from google.auth import crypt, jwt

from fulfillment.simulator.sandbox_keys import key_pem, make_ca, make_leaf, new_key, pem

SERVICE_AGENT = "service-123456789012@gcp-sa-dialogflow.iam.gserviceaccount.com"


class GoogleKeys:
    def __init__(self, kid: str = "test-key-1") -> None:
        ca, ca_key = make_ca("Test Google Root")
        self.key = new_key()
        self.cert, _ = make_leaf(ca, ca_key, san="accounts.google.test", key=self.key)
        self.kid = kid
        self.fetches = 0

    def fetch(self, url: str) -> tuple[int, dict[str, str], bytes]:
        self.fetches += 1
        return 200, {"Cache-Control": "public, max-age=3600"}, json.dumps(
            {self.kid: pem(self.cert).decode()}).encode()

    def token(self, *, audience: str, email: str = SERVICE_AGENT, iss: str =
              "https://accounts.google.com", issued: float | None = None, lifetime: int = 3600,
              verified: bool = True, **extra: Any) -> str:
        now = int(issued if issued is not None else time.time())
        signer = crypt.RSASigner.from_string(key_pem(self.key).decode(), self.kid)
        claims = {"iss": iss, "aud": audience, "sub": "1234", "email": email,
                  "email_verified": verified, "iat": now, "exp": now + lifetime, **extra}
        return jwt.encode(signer, claims).decode()
