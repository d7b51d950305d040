"""Settings read once from the environment. Secrets have no defaults: `make run` (the
embedded local default, `python -m fulfillment --embedded ...`) makes random ones once and
keeps them in var/ (core.local_secrets); every other start refuses without them, and
refuses a messaging channel configured by half, naming the variable it lacks (else the
mistake would surface only as dead messages at send time)."""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
REQUIRED_SECRETS = ("SECRET_KEY", "HASH_KEY")
# Values the code once shipped as defaults or ships as placeholders (the example env file
# in deploy/): public, so never acceptable as a key.
PUBLIC_VALUES = frozenset({"dev-secret-change-me", "dev-hash-key-change-me",
                           "change-me-python3-c-import-secrets-print-secrets-token_urlsafe-32",
                           "change-me-too-a-different-random-value"})


class ConfigError(ValueError):
    """A start-up refusal; the message is one line naming the variable to set."""


class MissingSecret(ConfigError):
    """A required secret is unset (or a known public value); the message is one line."""

    def __init__(self, name: str, public: bool = False) -> None:
        self.name = name
        what = "is a published default" if public else "is not set"
        super().__init__(
            f"{name} {what}: set {name} to a long random value (python3 -c 'import secrets; "
            f"print(secrets.token_urlsafe(32))'), or use `make run` for the local default")


MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 112  # by the characters' frequencies: 16 random bytes as hex give ~118


def estimated_bits(value: str) -> float:
    """A key's entropy judged by its characters' frequencies (length times Shannon
    entropy): a repeated or patterned value scores low whatever its length."""
    counts = Counter(value)
    return -sum(n * math.log2(n / len(value)) for n in counts.values())


class WeakSecret(ConfigError):
    """A secret too short, too repetitive, or shared by both keys; the message is one line
    saying why and how to make a good one."""

    def __init__(self, name: str, why: str) -> None:
        self.name = name
        super().__init__(
            f"{name} {why}: set it to a long random value (python3 -c 'import secrets; "
            f"print(secrets.token_urlsafe(32))'), or use `make run` for the local default")


class Gap(NamedTuple):
    """A variable a channel lacks, the channel, and the variables it needs together."""

    name: str
    channel: str
    together: tuple[str, ...]


def _gaps(channel: str, pairs: tuple[tuple[str, str], ...]) -> list[Gap]:
    """(variable, value) pairs that only work together: the unset ones."""
    together = tuple(name for name, _ in pairs)
    return [Gap(name, channel, together) for name, value in pairs if not value]


class IncompleteChannel(ConfigError):
    """A channel has some of the variables it needs together, not all."""

    def __init__(self, gap: Gap) -> None:
        self.name = gap.name
        super().__init__(
            f"{gap.name} is not set: {gap.channel} needs {', '.join(gap.together)} together;"
            f" set {gap.name}, or unset the others to leave the channel off")


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


def _any(env: dict[str, str], *names: str) -> bool:
    return any(env.get(name) for name in names)


@dataclass(frozen=True)
class SmtpSettings:
    """Email through an SMTP relay (SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD,
    SMTP_STARTTLS, MAIL_FROM); present when SMTP_HOST, SMTP_USER or SMTP_PASSWORD is set.
    A relay may take no login, but a user needs a password and both need the host."""

    host: str
    port: int = 587
    user: str = ""
    password: str = ""
    starttls: bool = True
    mail_from: str = "invites@localhost"

    def missing(self) -> list[Gap]:
        if self.user or self.password:
            return _gaps("email over SMTP with a login", (
                ("SMTP_HOST", self.host), ("SMTP_USER", self.user),
                ("SMTP_PASSWORD", self.password)))
        return _gaps("email over SMTP", (("SMTP_HOST", self.host),))


@dataclass(frozen=True)
class TwilioSettings:
    """SMS and WhatsApp through Twilio (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM,
    TWILIO_BASE_URL); present when any of the first three is set, and then all three are
    needed. The auth token also checks the signatures of Twilio's callbacks."""

    account_sid: str
    auth_token: str = ""
    from_number: str = ""
    base_url: str = ""  # another host speaking Twilio's API (tests); "" is api.twilio.com

    def missing(self) -> list[Gap]:
        return _gaps("SMS through Twilio", (
            ("TWILIO_ACCOUNT_SID", self.account_sid), ("TWILIO_AUTH_TOKEN", self.auth_token),
            ("TWILIO_FROM", self.from_number)))


@dataclass(frozen=True)
class WhatsAppSettings:
    """WhatsApp through Meta's Cloud API (WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID,
    WHATSAPP_BASE_URL); present when the token or the phone number id is set (then both are
    needed), and then it sends WhatsApp instead of Twilio."""

    token: str
    phone_number_id: str = ""
    base_url: str = ""  # "" is graph.facebook.com

    def missing(self) -> list[Gap]:
        return _gaps("WhatsApp through Meta's Cloud API", (
            ("WHATSAPP_TOKEN", self.token), ("WHATSAPP_PHONE_NUMBER_ID", self.phone_number_id)))


@dataclass(frozen=True)
class ShopifyAppSettings:
    """The deployment's Shopify app, made in Shopify's Dev Dashboard (SHOPIFY_API_KEY,
    SHOPIFY_API_SECRET, optional SHOPIFY_SCOPES; SHOPIFY_EXPIRING_TOKENS=1 when the app
    asks for expiring offline tokens, refreshed before they lapse). Without the key and
    secret, shops connect only a legacy custom app's token."""

    api_key: str = ""
    api_secret: str = ""
    scopes: str = "read_orders,read_customers,write_discounts,write_gift_cards"
    expiring_tokens: bool = False

    @property
    def configured(self) -> bool:
        return bool(self.api_key and self.api_secret)


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

    def caveats(self) -> list[str]:
        """What works only in part: a bot that sends but has no username for the t.me
        links invites carry (a bot cannot write first), unless each shop names its own."""
        if self.bot_token and not self.bot_username:
            return ["TELEGRAM_BOT_TOKEN is set without TELEGRAM_BOT_USERNAME: invites carry "
                    "no t.me link to start the bot unless a shop sets its telegram_bot, so "
                    "nobody can receive Telegram messages from the other shops"]
        return []


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
    shopify_app: ShopifyAppSettings = field(default_factory=ShopifyAppSettings)
    # The Yandex Dialogs API that Alice's QR images go to (YANDEX_DIALOGS_URL).
    yandex_dialogs_url: str = ""

    @property
    def has_real_channel(self) -> bool:
        """Some message can reach a real inbox or phone (a channel is configured, whatever
        MESSAGING_MODE says)."""
        return bool(self.smtp or self.twilio or self.whatsapp or self.telegram.sends)

    @property
    def public_base_url(self) -> str:
        """Absolute base for links and QR URLs when a shop has no link base of its own."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    def require_secrets(self) -> None:
        """Raise MissingSecret naming the first secret that is unset or public, WeakSecret
        for one too short or predictable, or for the two keys being one."""
        for name, value in (("SECRET_KEY", self.secret_key), ("HASH_KEY", self.hash_key)):
            if not value:
                raise MissingSecret(name)
            if value in PUBLIC_VALUES:
                raise MissingSecret(name, public=True)
            if len(value) < MIN_SECRET_LENGTH:
                raise WeakSecret(name, f"is too short ({len(value)} characters; at least "
                                 f"{MIN_SECRET_LENGTH} random ones)")
            if estimated_bits(value) < MIN_SECRET_BITS:
                raise WeakSecret(name, "is too predictable (repeated or patterned "
                                 "characters)")
        if self.secret_key == self.hash_key:
            raise WeakSecret("HASH_KEY", "is the same as SECRET_KEY (a leak of one would "
                             "give away both: each needs its own value)")

    def require_channels(self) -> None:
        """Raise IncompleteChannel naming the first variable a configured channel lacks."""
        for channel in (self.smtp, self.twilio, self.whatsapp):
            for gap in channel.missing() if channel is not None else []:
                raise IncompleteChannel(gap)

    def require_complete(self) -> None:
        """What every start checks before it serves or sends: secrets, then channels."""
        self.require_secrets()
        self.require_channels()

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        port = int(env.get("PORT", "8000"))
        smtp = SmtpSettings(
            host=env.get("SMTP_HOST", ""),
            port=int(env.get("SMTP_PORT", "587")),
            user=env.get("SMTP_USER", ""),
            password=env.get("SMTP_PASSWORD", ""),
            starttls=_flag(env.get("SMTP_STARTTLS"), True),
            mail_from=env.get("MAIL_FROM", "invites@localhost"),
        ) if _any(env, "SMTP_HOST", "SMTP_USER", "SMTP_PASSWORD") else None
        twilio = TwilioSettings(
            account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
            auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
            from_number=env.get("TWILIO_FROM", ""),
            base_url=env.get("TWILIO_BASE_URL", ""),
        ) if _any(env, "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM") else None
        whatsapp = WhatsAppSettings(
            token=env.get("WHATSAPP_TOKEN", ""),
            phone_number_id=env.get("WHATSAPP_PHONE_NUMBER_ID", ""),
            base_url=env.get("WHATSAPP_BASE_URL", ""),
        ) if _any(env, "WHATSAPP_TOKEN", "WHATSAPP_PHONE_NUMBER_ID") else None
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
            shopify_app=ShopifyAppSettings(
                api_key=env.get("SHOPIFY_API_KEY", ""),
                api_secret=env.get("SHOPIFY_API_SECRET", ""),
                scopes=env.get("SHOPIFY_SCOPES") or ShopifyAppSettings.scopes,
                expiring_tokens=_flag(env.get("SHOPIFY_EXPIRING_TOKENS"), False)),
            yandex_dialogs_url=env.get("YANDEX_DIALOGS_URL", ""),
        )
