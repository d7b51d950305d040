"""Telegram. A bot cannot write to someone first: the customer gets a
`https://t.me/<bot>?start=<code>` deep link (in the speech card and the other channels'
messages); once they pressed Start, the bot knows their chat id and this channel can send
to it through the Bot API's sendMessage."""

from __future__ import annotations

import requests

from core.messaging.channels.base import ChannelError, Outgoing

BOT_API = "https://api.telegram.org"


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code.replace('-', '')}"


class TelegramChannel:
    name = "telegram"

    def __init__(self, token: str, *, base_url: str = BOT_API,
                 session: requests.Session | None = None) -> None:
        self.url = f"{base_url.rstrip('/')}/bot{token}/sendMessage"
        self.session = session or requests.Session()
        self._token = token

    def _redact(self, text: object) -> str:
        """The token is part of the URL, and requests' errors quote the URL: never let it
        reach last_error or a log line."""
        return str(text).replace(self._token, "<token>") if self._token else str(text)

    def send(self, message: Outgoing) -> str:
        """`recipient` is the chat id the bot learned from the customer's /start."""
        try:
            response = self.session.post(self.url, timeout=10, json={
                "chat_id": message.recipient, "text": message.rendered.text,
                "disable_web_page_preview": False},
                # The Bot API has no idempotency key or random_id for bots
                # (tdlib/telegram-bot-api #126, #482); sent for proxies and our test double.
                headers={"Idempotency-Key": message.delivery_key})
        except requests.RequestException as exc:
            raise ChannelError(f"Telegram unreachable: {self._redact(exc)}", retryable=True,
                               code="telegram_unreachable") from exc
        try:
            data = response.json() if response.content else {}
        except ValueError:
            data = {"description": "not JSON"}
        if not isinstance(data, dict) or not data.get("ok"):
            data = data if isinstance(data, dict) else {}
            retry = response.status_code == 429 or response.status_code >= 500
            raise ChannelError(
                f"Telegram {response.status_code}: {self._redact(data.get('description'))}",
                retryable=retry, code=f"telegram_{response.status_code}")
        return str(data["result"]["message_id"])
