"""Email over SMTP (STARTTLS + AUTH): text and HTML alternatives, the QR inline (cid) and
attached, List-Unsubscribe with one-click POST (RFC 8058). The Message-ID is a pure function
of the outbox row (see `Outgoing.delivery_key`), so a retry after a crash is recognisable as
the same message."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from email.header import Header
from email.message import Message
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr

from core.messaging.channels.base import ChannelError, Outgoing

PERMANENT_SMTP = range(500, 600)


class SmtpChannel:
    name = "email"

    def __init__(self, host: str, port: int, *, user: str = "", password: str = "",
                 starttls: bool = True, mail_from: str = "invites@localhost",
                 sender_name: str = "", ssl_context: ssl.SSLContext | None = None,
                 timeout: float = 10.0) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.starttls, self.mail_from, self.sender_name = starttls, mail_from, sender_name
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.timeout = timeout
        self._open: smtplib.SMTP | None = None  # reused within connection()

    def build(self, message: Outgoing) -> Message:
        """multipart/mixed[related[alternative[text, html], inline QR], QR attachment].
        Built with the compat32 MIME classes: several times cheaper per message than
        EmailMessage's header objects, which matters at hundreds of messages a second."""
        body = MIMEMultipart("alternative")
        body.attach(MIMEText(message.rendered.text, "plain", "utf-8"))
        if message.rendered.html:
            body.attach(MIMEText(message.rendered.html, "html", "utf-8"))
        if message.qr_png:
            related = MIMEMultipart("related")
            related.attach(body)
            inline = MIMEImage(message.qr_png, "png")
            inline.add_header("Content-ID", "<qr>")
            inline.add_header("Content-Disposition", "inline", filename="invite-qr.png")
            related.attach(inline)
            email: Message = MIMEMultipart("mixed")
            email.attach(related)
            attached = MIMEImage(message.qr_png, "png")
            attached.add_header("Content-Disposition", "attachment", filename="invite-qr.png")
            email.attach(attached)
        else:
            email = body
        # compat32 messages take Header values; typeshed's Message[str, str] says str only.
        email["Subject"] = Header(message.rendered.subject, "utf-8")  # type: ignore[assignment]
        email["From"] = formataddr((str(Header(message.context.get("shop_name")
                                               or self.sender_name, "utf-8")), self.mail_from))
        email["To"] = message.recipient
        email["Message-ID"] = self.message_id(message)
        email["X-Referral-Message"] = message.idempotency_key
        if message.unsubscribe_url:
            email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return email

    def message_id(self, message: Outgoing) -> str:
        """The same outbox row always gets the same Message-ID (`make_msgid` added time,
        pid and a random number, so a copy re-sent after a crash looked new to every
        receiver). Unique across rows and databases through `delivery_key`."""
        domain = self.mail_from.rpartition("@")[2] or "localhost"
        return f"<{message.delivery_key}.referral@{domain}>"

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        smtp.ehlo()
        if self.starttls:
            smtp.starttls(context=self.ssl_context)
            smtp.ehlo()
        if self.user:
            smtp.login(self.user, self.password)
        return smtp

    @contextmanager
    def connection(self) -> Iterator[None]:
        """One SMTP session (TLS handshake, AUTH) for a whole batch of messages."""
        try:
            yield
        finally:
            if self._open is not None:
                with suppress(smtplib.SMTPException, OSError):
                    self._open.quit()
                self._open = None

    def send(self, message: Outgoing) -> str:
        email = self.build(message)
        try:
            if self._open is None:
                self._open = self._connect()
            try:
                refused = self._open.send_message(email)  # CRLF line ends, dot-stuffing
            except smtplib.SMTPServerDisconnected:
                self._open = self._connect()  # the server closed an idle session: once more
                refused = self._open.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(f"recipient refused: {exc.recipients}", retryable=False,
                               code="recipient_refused") from exc
        except smtplib.SMTPResponseException as exc:
            self._drop()
            raise ChannelError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                               retryable=exc.smtp_code not in PERMANENT_SMTP,
                               code=f"smtp_{exc.smtp_code}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise ChannelError(f"SMTP unavailable: {exc}", retryable=True,
                               code="smtp_unavailable") from exc
        if refused:
            raise ChannelError(f"recipient refused: {refused}", retryable=False,
                               code="recipient_refused")
        return str(email["Message-ID"])

    def _drop(self) -> None:
        if self._open is not None:
            with suppress(Exception):
                self._open.close()
        self._open = None
