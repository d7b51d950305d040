"""Settings read once from the environment. Secrets have no defaults: `make run` (the
embedded local default, `python -m fulfillment --embedded ...`) makes random ones once and
keeps them in var/ (core.local_secrets); every other start refuses without them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REQUIRED_SECRETS = ("SECRET_KEY", "HASH_KEY")
# Values the code once shipped as defaults: public, so never acceptable as a key.
PUBLIC_VALUES = frozenset({"dev-secret-change-me", "dev-hash-key-change-me"})


class MissingSecret(ValueError):
    """A required secret is unset (or a known public value); the message is one line."""

    def __init__(self, name: str, public: bool = False) -> None:
        self.name = name
        what = "is a published default" if public else "is not set"
        super().__init__(
            f"{name} {what}: set {name} to a long random value (python3 -c 'import secrets; "
            f"print(secrets.token_urlsafe(32))'), or use `make run` for the local default")


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


@dataclass(frozen=True)
class SmtpSettings:
    """Email through an SMTP relay (SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD,
    SMTP_STARTTLS, MAIL_FROM); present when SMTP_HOST is set."""

    host: str
    port: int = 587
    user: str = ""
    password: str = ""
    starttls: bool = True
    mail_from: str = "invites@localhost"


@dataclass(frozen=True)
class TwilioSettings:
    """SMS and WhatsApp through Twilio (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM,
    TWILIO_BASE_URL); present when TWILIO_ACCOUNT_SID is set. The auth token also checks
    the signatures of Twilio's callbacks."""

    account_sid: str
    auth_token: str = ""
    from_number: str = ""
    base_url: str = ""  # another host speaking Twilio's API (tests); "" is api.twilio.com


@dataclass(frozen=True)
class WhatsAppSettings:
    """WhatsApp through Meta's Cloud API (WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID,
    WHATSAPP_BASE_URL); present when WHATSAPP_TOKEN is set, and then it sends WhatsApp
    instead of Twilio."""

    token: str
    phone_number_id: str = ""
    base_url: str = ""  # "" is graph.facebook.com


@dataclass(frozen=True)
class TelegramSettings:
    """The Telegram bot (TELEGRAM_BOT_TOKEN, TELEGRAM_BOT_USERNAME, TELEGRAM_BASE_URL).
    Always present: the username alone makes the t.me deep links of invites (a bot cannot
    write first); the token alone decides whether Telegram messages are sent."""

    bot_token: str = ""
    bot_username: str = ""
    base_url: str = ""  # "" is api.telegram.org

    @property
    def sends(self) -> bool:
        return bool(self.bot_token)


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{ROOT / 'var' / 'referrals.db'}"
    port: int = 8000
    host: str = "127.0.0.1"
    base_url: str = ""
    secret_key: str = ""
    hash_key: str = ""
    verify_requests: bool = True
    # Trust the in-memory sandbox CA and Google key the simulator signs with (console,
    # `simulate`). One explicit switch (SANDBOX=1, on in `make run`), never inferred.
    sandbox: bool = False
    # How many reverse proxies in front set X-Forwarded-For/-Proto/-Host (0: trust none).
    trusted_proxies: int = 0
    embedded_worker: bool = True
    # /signup creates shops (ALLOW_SIGNUP=1; on in `make run`); off, the page is a 404.
    allow_signup: bool = False
    # Outbound webhooks never reach loopback/private/link-local/metadata addresses, except
    # networks named here (OUTBOUND_ALLOW_NETWORKS="127.0.0.1/32,..."): a local receiver.
    outbound_allow_networks: tuple[str, ...] = ()
    messaging_mode: str = "sandbox"
    smtp: SmtpSettings | None = None
    twilio: TwilioSettings | None = None
    whatsapp: WhatsAppSettings | None = None
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    # The Yandex Dialogs API that Alice's QR images go to (YANDEX_DIALOGS_URL).
    yandex_dialogs_url: str = ""

    @property
    def public_base_url(self) -> str:
        """Absolute base for links and QR URLs when a shop has no link base of its own."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    def require_secrets(self) -> None:
        """Raise MissingSecret naming the first secret that is unset or public."""
        for name, value in (("SECRET_KEY", self.secret_key), ("HASH_KEY", self.hash_key)):
            if not value:
                raise MissingSecret(name)
            if value in PUBLIC_VALUES:
                raise MissingSecret(name, public=True)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        port = int(env.get("PORT", "8000"))
        smtp = SmtpSettings(
            host=env["SMTP_HOST"],
            port=int(env.get("SMTP_PORT", "587")),
            user=env.get("SMTP_USER", ""),
            password=env.get("SMTP_PASSWORD", ""),
            starttls=_flag(env.get("SMTP_STARTTLS"), True),
            mail_from=env.get("MAIL_FROM", "invites@localhost"),
        ) if env.get("SMTP_HOST") else None
        twilio = TwilioSettings(
            account_sid=env["TWILIO_ACCOUNT_SID"],
            auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
            from_number=env.get("TWILIO_FROM", ""),
            base_url=env.get("TWILIO_BASE_URL", ""),
        ) if env.get("TWILIO_ACCOUNT_SID") else None
        whatsapp = WhatsAppSettings(
            token=env["WHATSAPP_TOKEN"],
            phone_number_id=env.get("WHATSAPP_PHONE_NUMBER_ID", ""),
            base_url=env.get("WHATSAPP_BASE_URL", ""),
        ) if env.get("WHATSAPP_TOKEN") else None
        telegram = TelegramSettings(
            bot_token=env.get("TELEGRAM_BOT_TOKEN", ""),
            bot_username=env.get("TELEGRAM_BOT_USERNAME", ""),
            base_url=env.get("TELEGRAM_BASE_URL", ""),
        )
        # Any real channel configured means real sending (Telegram or WhatsApp alone too),
        # unless MESSAGING_MODE says otherwise.
        live = bool(smtp or twilio or whatsapp or telegram.sends)
        return cls(
            database_url=env.get("DATABASE_URL") or (
                f"sqlite:///{Path(env['VAR_DIR']) / 'referrals.db'}" if env.get("VAR_DIR")
                else cls.database_url),
            port=port,
            host=env.get("HOST", "127.0.0.1"),
            base_url=env.get("BASE_URL", ""),
            secret_key=env.get("SECRET_KEY", ""),
            hash_key=env.get("HASH_KEY", ""),
            verify_requests=_flag(env.get("VERIFY_REQUESTS"), True),
            sandbox=_flag(env.get("SANDBOX"), False),
            trusted_proxies=int(env.get("TRUSTED_PROXIES") or 0),
            embedded_worker=_flag(env.get("EMBEDDED_WORKER"), True),
            allow_signup=_flag(env.get("ALLOW_SIGNUP"), False),
            outbound_allow_networks=tuple(
                n.strip() for n in env.get("OUTBOUND_ALLOW_NETWORKS", "").split(",") if n.strip()),
            messaging_mode=env.get("MESSAGING_MODE") or ("live" if live else "sandbox"),
            smtp=smtp,
            twilio=twilio,
            whatsapp=whatsapp,
            telegram=telegram,
            yandex_dialogs_url=env.get("YANDEX_DIALOGS_URL", ""),
        )
