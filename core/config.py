"""Settings read once from the environment; every default makes the embedded demo work."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{ROOT / 'var' / 'referrals.db'}"
    port: int = 8000
    host: str = "127.0.0.1"
    base_url: str = ""
    secret_key: str = "dev-secret-change-me"
    hash_key: str = "dev-hash-key-change-me"
    verify_requests: bool = True
    embedded_worker: bool = True
    messaging_mode: str = "sandbox"
    smtp: dict[str, Any] = field(default_factory=dict)
    twilio: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def public_base_url(self) -> str:
        """Absolute base for links and QR URLs when a shop has no link base of its own."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        port = int(env.get("PORT", "8000"))
        smtp = {}
        if env.get("SMTP_HOST"):
            smtp = {
                "host": env["SMTP_HOST"],
                "port": int(env.get("SMTP_PORT", "587")),
                "user": env.get("SMTP_USER", ""),
                "password": env.get("SMTP_PASSWORD", ""),
                "starttls": _flag(env.get("SMTP_STARTTLS"), True),
                "mail_from": env.get("MAIL_FROM", "invites@localhost"),
            }
        twilio = {}
        if env.get("TWILIO_ACCOUNT_SID"):
            twilio = {
                "account_sid": env["TWILIO_ACCOUNT_SID"],
                "auth_token": env.get("TWILIO_AUTH_TOKEN", ""),
                "from_number": env.get("TWILIO_FROM", ""),
                "base_url": env.get("TWILIO_BASE_URL", ""),
            }
        extra = {key.lower(): env[key] for key in (
            "WHATSAPP_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_BASE_URL",
            "TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_USERNAME", "TELEGRAM_BASE_URL",
            "YANDEX_DIALOGS_URL") if env.get(key)}
        return cls(
            database_url=env.get("DATABASE_URL") or cls.database_url,
            port=port,
            host=env.get("HOST", "127.0.0.1"),
            base_url=env.get("BASE_URL", ""),
            secret_key=env.get("SECRET_KEY", cls.secret_key),
            hash_key=env.get("HASH_KEY", cls.hash_key),
            verify_requests=_flag(env.get("VERIFY_REQUESTS"), True),
            embedded_worker=_flag(env.get("EMBEDDED_WORKER"), True),
            messaging_mode=("live" if smtp or twilio else env.get("MESSAGING_MODE", "sandbox")),
            smtp=smtp,
            twilio=twilio,
            extra=extra,
        )
