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
    if (smtp := settings.smtp) is not None:
        from core.messaging.channels.smtp import SmtpChannel

        channels["email"] = SmtpChannel(smtp.host, smtp.port, user=smtp.user,
                                        password=smtp.password, starttls=smtp.starttls,
                                        mail_from=smtp.mail_from)
    if (twilio := settings.twilio) is not None:
        from core.messaging.channels.twilio_sms import (
            TwilioSmsChannel,
            TwilioWhatsAppChannel,
            twilio_client,
        )

        client = twilio_client(twilio.account_sid, twilio.auth_token, twilio.base_url)
        callback = f"{settings.public_base_url}/hooks/twilio/status"
        channels["sms"] = TwilioSmsChannel(client, twilio.from_number, callback)
        channels["whatsapp"] = TwilioWhatsAppChannel(client, twilio.from_number, callback)
    if (whatsapp := settings.whatsapp) is not None:
        from core.messaging.channels.meta_whatsapp import GRAPH, MetaWhatsAppChannel

        channels["whatsapp"] = MetaWhatsAppChannel(whatsapp.phone_number_id, whatsapp.token,
                                                   base_url=whatsapp.base_url or GRAPH)
    if (telegram := settings.telegram).sends:
        from core.messaging.channels.telegram import BOT_API, TelegramChannel

        channels["telegram"] = TelegramChannel(telegram.bot_token,
                                               base_url=telegram.base_url or BOT_API)
    return channels
