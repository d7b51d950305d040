"""Which channel object sends which outbox channel, from the settings: the sandbox for all
of them by default; SMTP, Twilio, Meta WhatsApp and Telegram when configured."""

from __future__ import annotations

from core.config import Settings
from core.messaging.channels.base import Channel
from core.messaging.channels.sandbox import SandboxChannel


def build_channels(settings: Settings, sandbox: SandboxChannel | None = None) -> dict[str, Channel]:
    sandbox = sandbox or SandboxChannel()
    if settings.messaging_mode == "sandbox":
        return dict.fromkeys(("email", "sms", "whatsapp", "telegram"), sandbox)
    channels: dict[str, Channel] = {}
    if settings.smtp:
        from core.messaging.channels.smtp import SmtpChannel

        s = settings.smtp
        channels["email"] = SmtpChannel(s["host"], int(s["port"]), user=s.get("user", ""),
                                        password=s.get("password", ""),
                                        starttls=bool(s.get("starttls", True)),
                                        mail_from=s.get("mail_from", "invites@localhost"))
    if settings.twilio:
        from core.messaging.channels.twilio_sms import (
            TwilioSmsChannel,
            TwilioWhatsAppChannel,
            twilio_client,
        )

        t = settings.twilio
        client = twilio_client(t["account_sid"], t.get("auth_token", ""), t.get("base_url", ""))
        callback = f"{settings.public_base_url}/hooks/twilio/status"
        channels["sms"] = TwilioSmsChannel(client, t.get("from_number", ""), callback)
        channels["whatsapp"] = TwilioWhatsAppChannel(client, t.get("from_number", ""), callback)
    extra = settings.extra
    if extra.get("whatsapp_token"):
        from core.messaging.channels.meta_whatsapp import GRAPH, MetaWhatsAppChannel

        channels["whatsapp"] = MetaWhatsAppChannel(extra["whatsapp_phone_number_id"],
                                                   extra["whatsapp_token"],
                                                   base_url=extra.get("whatsapp_base_url") or GRAPH)
    if extra.get("telegram_bot_token"):
        from core.messaging.channels.telegram import BOT_API, TelegramChannel

        channels["telegram"] = TelegramChannel(extra["telegram_bot_token"],
                                               base_url=extra.get("telegram_base_url") or BOT_API)
    return channels
