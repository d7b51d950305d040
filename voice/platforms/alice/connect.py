"""What a shop fills in to connect Alice (the connect page; core.assistant_setup stores it):
the skill id its requests must name, and the OAuth token that uploads QR images (sealed)."""

from __future__ import annotations

import re
from typing import Any

from core.assistant_setup import Setup, text
from core.secrets_box import SecretBox

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12}$")


def configure(variant: str, form: dict[str, Any], settings: dict[str, Any],
              box: SecretBox) -> Setup:
    errors: dict[str, str] = {}
    skill = text(form, "alice_skill_id")
    token = text(form, "alice_oauth_token", 200)
    if not _UUID.match(skill):
        errors["alice_skill_id"] = ("An Alice skill id is a UUID like "
                                    "1a2b3c4d-0000-4000-8000-123456789abc (Яндекс Диалоги → "
                                    "your skill → Общие сведения).")
    changes: dict[str, Any] = {"alice_skill_id": skill}
    if token:
        if not re.fullmatch(r"[A-Za-z0-9_.\-]{20,200}", token):
            errors["alice_oauth_token"] = ("An OAuth token from oauth.yandex.ru: 20–200 "
                                           "letters, digits, _ . -")
        changes["alice_oauth_token"] = box.seal(token)
    elif not settings.get("alice_oauth_token"):
        errors["alice_oauth_token"] = "Needed to upload QR images to Alice."
    return Setup(changes=changes, errors=errors)


def shown(settings: dict[str, Any], box: SecretBox, endpoint: str) -> dict[str, Any]:
    """The skill id, and of the token only whether it is set and its last four."""
    sealed = settings.get("alice_oauth_token")
    token = box.open(sealed) if sealed else None
    return {"alice_skill_id": settings.get("alice_skill_id") or "",
            "alice_oauth_token_set": bool(token),
            "alice_oauth_token_tail": token[-4:] if token and len(token) > 12 else ""}


def try_headers(variant: str, values: dict[str, Any], secret: str) -> dict[str, str] | None:
    """Alice signs nothing: the request names the shop's skill id."""
    return None
