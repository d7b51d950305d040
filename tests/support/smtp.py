"""A real SMTP server for tests (aiosmtpd) with STARTTLS and AUTH, its certificate from a
trustme CA the client is told to trust."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.http_servers import free_port

USER, PASSWORD = "mailer", "s3cret-pass"


@dataclass
class Mailbox:
    host: str
    port: int
    client_context: ssl.SSLContext
    ca_pem: bytes = b""  # for clients in other processes (SSL_CERT_FILE)
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                   auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() \
        and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok)


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    port = free_port()
    mailbox = Mailbox("localhost", port, client_context, ca.cert_pem.bytes())
    controller = Controller(mailbox, hostname="127.0.0.1", port=port,
                            tls_context=server_context, require_starttls=True,
                            authenticator=_authenticator, auth_require_tls=True,
                            server_hostname="localhost")
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
