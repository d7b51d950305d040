"""What a shop fills in to connect Salute: the SmartApp Studio project id its requests must
name. The secret path token of its webhook URL is made here (on the first save, and again
when the manager rotates it) and kept sealed, so the page can show the whole URL."""

from __future__ import annotations

import re
import secrets
from typing import Any

from core.assistant_setup import Setup, path_token, path_token_setting, text
from core.secrets_box import SecretBox

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12}$")
TOKEN_BYTES = 24  # 32 URL-safe characters: not guessable, fits the path


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def configure(variant: str, form: dict[str, Any], settings: dict[str, Any],
              box: SecretBox) -> Setup:
    errors: dict[str, str] = {}
    project = text(form, "salute_project_id")
    if not _UUID.match(project):
        errors["salute_project_id"] = ("A SmartApp Studio project id is a UUID like "
                                       "3fa85f64-5717-4562-b3fc-2c963f66afa6 (Studio → your "
                                       "project → Настройки → ID проекта).")
    changes: dict[str, Any] = {"salute_project_id": project.lower()}
    shown_once: dict[str, str] = {}
    if form.get("rotate_token") or not path_token(settings, box, "salute"):
        token = new_token()
        changes[path_token_setting("salute")] = box.seal(token)
        shown_once["salute_path_token"] = token
    return Setup(changes=changes, errors=errors, shown_once=shown_once)


def shown(settings: dict[str, Any], box: SecretBox, endpoint: str) -> dict[str, Any]:
    """The project id and the webhook URL with its token (the URL is what the shop pastes
    into Studio; whoever may open this page may see it)."""
    token = path_token(settings, box, "salute")
    return {"salute_project_id": settings.get("salute_project_id") or "",
            "salute_webhook_url": endpoint.rstrip("/") + "/" + token if token else "",
            "salute_token_set": bool(token)}


def try_headers(variant: str, values: dict[str, Any], secret: str) -> dict[str, str] | None:
    """Salute signs nothing: the URL's token and the project id are the check."""
    return None
