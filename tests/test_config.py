"""The environment variable names are a contract with every deployment: each channel's
variables land in its typed settings, any channel configured means live sending, and a
channel configured by half stops the start with one line naming what it lacks."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import (
    ConfigError,
    IncompleteChannel,
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
from core.services import bootstrap
from tests.conftest import REPO
from tests.support.keys import HASH_KEY, SECRET_KEY

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


SECRETS = {"SECRET_KEY": SECRET_KEY, "HASH_KEY": HASH_KEY}


@pytest.mark.parametrize("given, missing", [
    ({"WHATSAPP_TOKEN": "w"}, "WHATSAPP_PHONE_NUMBER_ID"),
    ({"WHATSAPP_PHONE_NUMBER_ID": "42"}, "WHATSAPP_TOKEN"),
    ({"TWILIO_ACCOUNT_SID": "AC1"}, "TWILIO_AUTH_TOKEN"),
    ({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"}, "TWILIO_FROM"),
    ({"TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM": "+1500"}, "TWILIO_ACCOUNT_SID"),
    ({"SMTP_HOST": "mail.example", "SMTP_USER": "u"}, "SMTP_PASSWORD"),
    ({"SMTP_HOST": "mail.example", "SMTP_PASSWORD": "p"}, "SMTP_USER"),
    ({"SMTP_USER": "u", "SMTP_PASSWORD": "p"}, "SMTP_HOST"),
])
def test_a_channel_configured_by_half_is_refused_naming_the_missing_variable(
        given: dict[str, str], missing: str) -> None:
    settings = Settings.from_env({**SECRETS, **given})
    with pytest.raises(IncompleteChannel) as refused:
        settings.require_complete()
    assert refused.value.name == missing
    assert str(refused.value).startswith(f"{missing} is not set: ")
    assert "\n" not in str(refused.value)


def test_complete_channels_and_a_relay_without_login_start() -> None:
    Settings.from_env({**SECRETS, **CHANNELS}).require_complete()
    Settings.from_env({**SECRETS, "SMTP_HOST": "mail.example"}).require_complete()
    Settings.from_env({**SECRETS, "MAIL_FROM": "shop@example.com"}).require_complete()


def test_a_telegram_token_without_the_bots_username_starts_and_says_what_will_not_work(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    env = {**SECRETS, "TELEGRAM_BOT_TOKEN": "1:B", "DATABASE_URL": f"sqlite:///{tmp_path}/t.db"}
    settings = Settings.from_env(env)
    settings.require_complete()  # it still starts: a shop may name its own bot
    with caplog.at_level(logging.WARNING, logger="core.services"):
        bootstrap(settings, background_clicks=False).close()
    assert "TELEGRAM_BOT_USERNAME" in caplog.text
    assert Settings.from_env({**env, "TELEGRAM_BOT_USERNAME": "ShopBot"}).telegram.caveats() == []


@pytest.mark.parametrize("args", [["-m", "fulfillment", "worker", "--once"],
                                  ["-c", "import fulfillment.wsgi"]], ids=" ".join)
def test_a_start_with_half_a_channel_stops_with_one_line(tmp_path: Path,
                                                         args: list[str]) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(
               ("SMTP_", "TWILIO_", "WHATSAPP_", "SANDBOX", "VAR_DIR"))},
           **SECRETS, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "WHATSAPP_TOKEN": "w"}
    out = subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "WHATSAPP_PHONE_NUMBER_ID is not set" in lines[0], out.stderr


@pytest.mark.parametrize("env, says", [
    ({"SECRET_KEY": "x", "HASH_KEY": HASH_KEY}, "SECRET_KEY is too short (1 characters"),
    ({"SECRET_KEY": SECRET_KEY, "HASH_KEY": "h" * 40}, "HASH_KEY is too predictable"),
    ({"SECRET_KEY": "abab" * 12, "HASH_KEY": HASH_KEY}, "SECRET_KEY is too predictable"),
    ({"SECRET_KEY": SECRET_KEY, "HASH_KEY": SECRET_KEY}, "HASH_KEY is the same as SECRET_KEY"),
])
def test_weak_or_shared_keys_are_refused_with_one_line_saying_why(env, says) -> None:
    """SECRET_KEY=x and SECRET_KEY == HASH_KEY started and served (issue 26, item 10)."""
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(env).require_complete()
    assert says in str(refused.value) and "\n" not in str(refused.value)
    assert "secrets.token_urlsafe(32)" in str(refused.value)


def test_keys_made_as_the_docs_say_pass(tmp_path) -> None:
    """The embedded default's generated keys (make run), token_urlsafe and 32 random bytes
    as hex (openssl rand -hex 32) all start."""
    from core import local_secrets

    made = local_secrets.load_or_create(tmp_path / "var")
    Settings.from_env(made).require_complete()
    Settings.from_env({"SECRET_KEY": secrets.token_hex(32),
                       "HASH_KEY": secrets.token_urlsafe(32)}).require_complete()


def test_a_weak_key_stops_the_start_with_one_line(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "HASH_KEY")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", SECRET_KEY="x",
               HASH_KEY=HASH_KEY)
    out = subprocess.run([sys.executable, "-m", "fulfillment", "worker", "--once"], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [
        line for line in out.stderr.strip().splitlines() if "SECRET_KEY is too short" in line]


def test_the_example_env_files_placeholders_are_refused() -> None:
    example = (REPO / "deploy" / "referrals.env.example").read_text()
    env = dict(line.split("=", 1) for line in example.splitlines()
               if line.startswith(("SECRET_KEY=", "HASH_KEY=")))
    with pytest.raises(ConfigError, match="SECRET_KEY is a published default"):
        Settings.from_env(env).require_complete()
