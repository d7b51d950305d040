"""SMS through Twilio's Messages API with the official `twilio` package. The QR goes as a
link (MMS reaches only the US and Canada). `base_url` points the SDK's own HTTP client at
another host (tests run a local server speaking the same API)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from core.messaging.channels.base import ChannelError, Outgoing

TWILIO_API = "https://api.twilio.com"
# Twilio error codes that no retry can fix.
PERMANENT = {21211, 21408, 21610, 21612, 21614, 21617, 63016}
# Twilio's idempotency header. Twilio documents it on the webhooks it sends (so receivers can
# drop its retries); the Messages API reference names no idempotency parameter and the SDK's
# `messages.create` takes no headers, so the client below adds it to the request the SDK
# makes. The worker's at-least-once guarantee does not depend on Twilio honouring it.
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
_idempotency_token: ContextVar[str | None] = ContextVar("twilio_idempotency_token",
                                                        default=None)


class RedirectingHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio has no types
    """The SDK's HTTP client, sending to `base_url` instead of api.twilio.com when one is
    given, and carrying the idempotency token of the message being created."""

    def __init__(self, base_url: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, params: Any = None, data: Any = None,
                headers: dict[str, str] | None = None, *args: Any, **kwargs: Any) -> Any:
        if self.base_url and url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API):]
        token = _idempotency_token.get()
        if token and method.upper() == "POST":
            headers = {**(headers or {}), IDEMPOTENCY_HEADER: token}
        return super().request(method, url, params, data, headers, *args, **kwargs)


def twilio_client(account_sid: str, auth_token: str, base_url: str = "") -> Client:
    return Client(account_sid, auth_token,
                  http_client=RedirectingHttpClient(base_url, timeout=10))


class TwilioSmsChannel:
    name = "sms"
    prefix = ""

    def __init__(self, client: Client, from_number: str, status_callback: str = "") -> None:
        self.client, self.from_number, self.status_callback = client, from_number, status_callback

    def body(self, message: Outgoing) -> str:
        return message.rendered.sms

    def send(self, message: Outgoing) -> str:
        kwargs: dict[str, Any] = {"to": self.prefix + message.recipient,
                                  "from_": self.prefix + self.from_number,
                                  "body": self.body(message)}
        if self.status_callback:
            # Our row id rides along: a fast report can arrive before we recorded the SID.
            kwargs["status_callback"] = f"{self.status_callback}?m={message.message_id}"
        token = _idempotency_token.set(message.delivery_key)
        try:
            created = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            permanent = exc.code in PERMANENT or (400 <= exc.status < 500 and exc.status != 429)
            raise ChannelError(f"Twilio {exc.status} / {exc.code}: {exc.msg}",
                               retryable=not permanent, code=f"twilio_{exc.code}") from exc
        except OSError as exc:
            raise ChannelError(f"Twilio unreachable: {exc}", retryable=True,
                               code="twilio_unreachable") from exc
        finally:
            _idempotency_token.reset(token)
        return str(created.sid)


class TwilioWhatsAppChannel(TwilioSmsChannel):
    """WhatsApp through Twilio: the same Messages API with whatsapp: addresses."""

    name = "whatsapp"
    prefix = "whatsapp:"
