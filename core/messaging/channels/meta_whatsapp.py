"""WhatsApp through Meta's Cloud API. Business-initiated messages must be approved
templates, so the invite goes as template `invite_link` with the referrer, shop and link."""

from __future__ import annotations

import requests

from core.messaging.channels.base import ChannelError, Outgoing

GRAPH = "https://graph.facebook.com/v21.0"


class MetaWhatsAppChannel:
    name = "whatsapp"

    def __init__(self, phone_number_id: str, token: str, *, base_url: str = GRAPH,
                 template: str = "invite_link", session: requests.Session | None = None) -> None:
        self.url = f"{base_url.rstrip('/')}/{phone_number_id}/messages"
        self.token, self.template = token, template
        self.session = session or requests.Session()

    def send(self, message: Outgoing) -> str:
        params = [message.context.get("referrer_name") or "", message.context.get("shop_name")
                  or "", message.context.get("link") or message.context.get("pairing_code", "")]
        payload = {
            "messaging_product": "whatsapp", "to": message.recipient.lstrip("+"),
            "type": "template",
            "template": {"name": self.template if message.kind != "pairing_code"
                         else "pairing_code",
                         "language": {"code": message.locale.replace("-", "_")},
                         "components": [{"type": "body", "parameters": [
                             {"type": "text", "text": p} for p in params]}]},
        }
        try:
            response = self.session.post(self.url, json=payload, timeout=10, headers={
                "Authorization": f"Bearer {self.token}",
                # Meta's Cloud API documents no idempotency key for /messages; the header
                # costs nothing, lets a proxy or our test double dedupe, and is derived
                # from the outbox row like every channel's (Outgoing.delivery_key).
                "Idempotency-Key": message.delivery_key})
        except requests.RequestException as exc:
            raise ChannelError(f"WhatsApp unreachable: {exc}", retryable=True,
                               code="whatsapp_unreachable") from exc
        if response.status_code >= 400:
            retry = response.status_code == 429 or response.status_code >= 500
            raise ChannelError(f"WhatsApp {response.status_code}: {response.text[:200]}",
                               retryable=retry, code=f"whatsapp_{response.status_code}")
        return str(response.json()["messages"][0]["id"])
