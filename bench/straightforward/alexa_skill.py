"""The straightforward verified Alexa share skill: flask-ask-sdk's SkillAdapter with an
ask-sdk-core skill. The adapter checks the timestamp (the SDK's TimestampVerifier, 150 s)
and a verifier checks the signature: RSA-SHA256 over the body (the Signature-256 header)
with the certificate chain from SignatureCertChainUrl, validated once (trusted root, SAN
echo-api.amazon.com) and cached by URL; the skill id is the SDK's own check. The
ShareProgram handler reads the linked customer and their code with the ORM, adds a Share
and an outbox Message, commits and answers in SSML.

Certificates come from BENCH_PKI_DIR (the bench's CA and chain, as bench.voice_app gives
ours); the skill id and shop from BASELINE_SKILL_ID and BASELINE_SHOP."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.verification import PolicyBuilder, Store
from flask import Flask
from sqlalchemy import select

from bench.straightforward.db import keyed_hash, make_sessions
from bench.straightforward.sdk_import import importable
from core.models import Customer, Message, ReferralCode, Share, Shop, VoiceIdentity

importable()  # flask-ask-sdk's certificate validator cannot load on this OpenSSL

from ask_sdk_core.dispatch_components import AbstractRequestHandler  # noqa: E402
from ask_sdk_core.handler_input import HandlerInput  # noqa: E402
from ask_sdk_core.skill_builder import SkillBuilder  # noqa: E402
from ask_sdk_core.utils import is_intent_name  # noqa: E402
from ask_sdk_model import Response  # noqa: E402
from ask_sdk_model.ui import SimpleCard  # noqa: E402
from ask_sdk_webservice_support.verifier import (  # noqa: E402
    AbstractVerifier,
    VerificationException,
)
from flask_ask_sdk.skill_adapter import SkillAdapter  # noqa: E402

Session = make_sessions()
SHOP = os.environ.get("BASELINE_SHOP", "demo")
BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1")


class SignatureVerifier(AbstractVerifier):  # type: ignore[misc]
    """RSA-SHA256 over the body with the chain's leaf key, the chain validated once."""

    def __init__(self, pki: Path) -> None:
        self._roots = Store([x509.load_pem_x509_certificate((pki / "ca.pem").read_bytes())])
        self._chain = (pki / "chain.pem").read_bytes()  # what the URL would serve
        self._keys: dict[str, Any] = {}

    def _key(self, url: str) -> Any:
        if url not in self._keys:
            parts = urlsplit(url)
            if parts.scheme.lower() != "https" or parts.hostname != "s3.amazonaws.com" \
                    or not parts.path.startswith("/echo.api/") or parts.port not in (None, 443):
                raise VerificationException("bad certificate URL")
            leaf, *rest = x509.load_pem_x509_certificates(self._chain)
            verifier = PolicyBuilder().store(self._roots).build_server_verifier(
                x509.DNSName("echo-api.amazon.com"))
            try:
                verifier.verify(leaf, rest)
            except Exception as exc:
                raise VerificationException(f"untrusted chain: {exc}") from exc
            self._keys[url] = leaf.public_key()
        return self._keys[url]

    def verify(self, headers: Any, serialized_request_env: str,
               deserialized_request_env: Any) -> None:
        url, signature = headers.get("SignatureCertChainUrl"), headers.get("Signature-256")
        if not url or not signature:
            raise VerificationException("missing signature headers")
        try:
            self._key(url).verify(base64.b64decode(signature),
                                  serialized_request_env.encode("utf-8"),
                                  padding.PKCS1v15(), hashes.SHA256())
        except VerificationException:
            raise
        except Exception as exc:
            raise VerificationException("bad signature") from exc


class ShareProgramHandler(AbstractRequestHandler):  # type: ignore[misc]
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("ShareProgram")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        envelope = handler_input.request_envelope
        user_id = envelope.context.system.user.user_id
        locale = envelope.request.locale or "en-US"
        now = datetime.now(UTC)
        with Session() as session:
            shop = session.scalars(select(Shop).where(Shop.slug == SHOP)).one()
            identity = session.scalars(select(VoiceIdentity).where(
                VoiceIdentity.shop_id == shop.id, VoiceIdentity.assistant == "alexa",
                VoiceIdentity.assistant_user_id == user_id)).first()
            if identity is None:
                return handler_input.response_builder.speak(
                    "Please link your account in the Alexa app first.").response
            customer = session.get(Customer, identity.customer_id)
            code = session.scalars(select(ReferralCode).where(
                ReferralCode.customer_id == customer.id, ReferralCode.active)).first()
            if customer is None or code is None or not customer.phone \
                    or customer.phone_confirmed_at is None:
                return handler_input.response_builder.speak(
                    "I have no confirmed number to text your link to.").response
            link = f"{BASE_URL}/r/{code.code}?c=sms&a=alexa"
            phone_hash = keyed_hash(customer.phone)
            session.add(Share(shop_id=shop.id, customer_id=customer.id, code_id=code.id,
                              channel="sms", assistant="alexa", recipient_kind="self",
                              recipient_hash=phone_hash, created_at=now))
            session.add(Message(
                shop_id=shop.id, customer_id=customer.id, kind="invite_self", channel="sms",
                recipient=customer.phone, recipient_hash=phone_hash, locale=locale,
                context={"link": link, "code": code.code, "shop": shop.name,
                         "name": customer.name},
                evidence={"assistant": "alexa", "user": user_id, "intent": "ShareProgram",
                          "at": now.isoformat(), "recipient": "self"},
                idempotency_key=f"invite_self:{shop.id}:{customer.id}:sms:{now.date()}",
                status="created", attempts=0, next_attempt_at=now, rendered={},
                created_at=now))
            session.commit()
            digits = " ".join(code.code)
            speech = (f"Done! I texted your {escape(shop.name)} referral link to the number "
                      f"ending in {escape(customer.phone[-4:])}. Your code is "
                      f'<say-as interpret-as="spell-out">{escape(code.code)}</say-as>.')
        return handler_input.response_builder.speak(speech).set_card(
            SimpleCard(title=shop.name, content=f"Your code: {digits}")
        ).set_should_end_session(True).response


def make_app() -> Flask:
    builder = SkillBuilder()
    builder.skill_id = os.environ["BASELINE_SKILL_ID"]
    builder.add_request_handler(ShareProgramHandler())
    flask_app = Flask(__name__)
    flask_app.config["ASK_SDK_VERIFY_SIGNATURE"] = False  # its verifier needs certvalidator
    flask_app.config["ASK_SDK_VERIFY_TIMESTAMP"] = True
    adapter = SkillAdapter(skill=builder.create(), skill_id=builder.skill_id,
                           verifiers=[SignatureVerifier(Path(os.environ["BENCH_PKI_DIR"]))],
                           app=flask_app)

    @flask_app.post("/alexa/<shop>")
    def alexa(shop: str) -> Any:
        return adapter.dispatch_request()  # one skill: the shop is BASELINE_SHOP

    @flask_app.get("/hello")
    def hello() -> str:
        return "hello"

    return flask_app


app = make_app()
