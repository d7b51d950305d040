"""The environment variable names are a contract with every deployment: each channel's
variables land in its typed settings, and any channel configured means live sending."""

from __future__ import annotations

from core.config import (
    Settings,
    SmtpSettings,
    TelegramSettings,
    TwilioSettings,
    WhatsAppSettings,
)
from core.messaging.channels import build_channels
from core.messaging.channels.meta_whatsapp import MetaWhatsAppChannel
from core.messaging.channels.smtp import SmtpChannel
from core.messaging.channels.telegram import TelegramChannel
from core.messaging.channels.twilio_sms import TwilioSmsChannel, TwilioWhatsAppChannel

CHANNELS = {
    "SMTP_HOST": "mail.example", "SMTP_PORT": "2525", "SMTP_USER": "u", "SMTP_PASSWORD": "p",
    "SMTP_STARTTLS": "0", "MAIL_FROM": "shop@example.com",
    "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM": "+1500",
    "TWILIO_BASE_URL": "http://127.0.0.1:9",
    "WHATSAPP_TOKEN": "w", "WHATSAPP_PHONE_NUMBER_ID": "42",
    "WHATSAPP_BASE_URL": "http://127.0.0.1:8",
    "TELEGRAM_BOT_TOKEN": "1:B", "TELEGRAM_BOT_USERNAME": "ShopBot",
    "TELEGRAM_BASE_URL": "http://127.0.0.1:7",
    "YANDEX_DIALOGS_URL": "http://127.0.0.1:6",
}


def test_no_channel_variables_means_no_channels_and_the_sandbox() -> None:
    settings = Settings.from_env({})
    assert (settings.smtp, settings.twilio, settings.whatsapp) == (None, None, None)
    assert settings.telegram == TelegramSettings()
    assert (settings.messaging_mode, settings.yandex_dialogs_url) == ("sandbox", "")


def test_every_channel_variable_lands_in_its_typed_settings() -> None:
    settings = Settings.from_env(CHANNELS)
    assert settings.smtp == SmtpSettings(host="mail.example", port=2525, user="u",
                                         password="p", starttls=False,
                                         mail_from="shop@example.com")
    assert settings.twilio == TwilioSettings(account_sid="AC1", auth_token="t",
                                             from_number="+1500",
                                             base_url="http://127.0.0.1:9")
    assert settings.whatsapp == WhatsAppSettings(token="w", phone_number_id="42",
                                                 base_url="http://127.0.0.1:8")
    assert settings.telegram == TelegramSettings(bot_token="1:B", bot_username="ShopBot",
                                                 base_url="http://127.0.0.1:7")
    assert settings.yandex_dialogs_url == "http://127.0.0.1:6"
    assert settings.messaging_mode == "live"


def test_smtp_defaults_apply_when_only_the_host_is_set() -> None:
    assert Settings.from_env({"SMTP_HOST": "mail.example"}).smtp == SmtpSettings(
        host="mail.example", port=587, user="", password="", starttls=True,
        mail_from="invites@localhost")


def test_any_one_channel_alone_means_live_sending_unless_the_mode_says_otherwise() -> None:
    for name in ("SMTP_HOST", "TWILIO_ACCOUNT_SID", "WHATSAPP_TOKEN", "TELEGRAM_BOT_TOKEN"):
        assert Settings.from_env({name: "x"}).messaging_mode == "live", name
        assert Settings.from_env({name: "x", "MESSAGING_MODE": "sandbox"}).messaging_mode \
            == "sandbox", name
    # The bot's username alone makes deep links, not a sending channel.
    assert Settings.from_env({"TELEGRAM_BOT_USERNAME": "ShopBot"}).messaging_mode == "sandbox"


def test_live_channels_are_built_from_the_typed_settings() -> None:
    channels = build_channels(Settings.from_env(CHANNELS))
    assert isinstance(channels["email"], SmtpChannel)
    assert isinstance(channels["sms"], TwilioSmsChannel)
    # Meta's API sends WhatsApp when it is configured, Twilio otherwise.
    assert isinstance(channels["whatsapp"], MetaWhatsAppChannel)
    assert isinstance(channels["telegram"], TelegramChannel)
    without_meta = {k: v for k, v in CHANNELS.items() if not k.startswith("WHATSAPP_")}
    assert isinstance(build_channels(Settings.from_env(without_meta))["whatsapp"],
                      TwilioWhatsAppChannel)
