"""What a shop fills in to connect Dialogflow (the connect page; core.assistant_setup stores
it). ES: a header secret (made for them when left empty, kept as a hash) or basic auth, or
both. CX: the ID token's audience and the project's service agent."""

from __future__ import annotations

import re
import secrets
from typing import Any

from core.assistant_setup import Setup, text
from core.hashing import token_hash
from core.secrets_box import SecretBox

_HEADER = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_AGENT = re.compile(r"^service-\d{6,20}@gcp-sa-dialogflow\.iam\.gserviceaccount\.com$")
_USER = re.compile(r"^[^:\s]{1,64}$")
DEFAULT_ES_HEADER = "X-Dialogflow-Secret"
RESERVED_HEADERS = {"authorization", "content-type", "content-length", "host", "cookie"}


def configure(variant: str, form: dict[str, Any], settings: dict[str, Any],
              box: SecretBox) -> Setup:
    return _es(form, settings) if variant == "dialogflow-es" else _cx(form)


def _es(form: dict[str, Any], settings: dict[str, Any]) -> Setup:
    errors: dict[str, str] = {}
    shown: dict[str, str] = {}
    changes: dict[str, Any] = {}
    header = text(form, "dialogflow_es_header")
    secret = text(form, "dialogflow_es_secret", 200)
    user = text(form, "dialogflow_basic_user")
    password = text(form, "dialogflow_basic_password", 200)
    if header:
        if not _HEADER.match(header) or header.lower() in RESERVED_HEADERS:
            errors["dialogflow_es_header"] = ("Letters, digits and dashes only, and not a "
                                              "standard header (Authorization, Host …).")
        changes["dialogflow_es_header"] = header
        if secret:
            if len(secret) < 24:
                errors["dialogflow_es_secret"] = ("At least 24 characters; leave it empty "
                                                  "and we make one.")
            changes["dialogflow_es_secret_hash"] = token_hash(secret)
        elif not settings.get("dialogflow_es_secret_hash") or form.get("regenerate"):
            made = secrets.token_urlsafe(32)
            shown["dialogflow_es_secret"] = made
            changes["dialogflow_es_secret_hash"] = token_hash(made)
    if user or password:
        if not _USER.match(user):
            errors["dialogflow_basic_user"] = "A user name without spaces or colons."
        if len(password) < 16:
            errors["dialogflow_basic_password"] = "At least 16 characters."
        changes["dialogflow_basic_user"] = user
        changes["dialogflow_basic_password_hash"] = token_hash(password)
    if not header and not (user or password):
        errors["dialogflow_es_header"] = "Set a header secret, basic auth, or both."
    return Setup(changes=changes, errors=errors, shown_once=shown)


def _cx(form: dict[str, Any]) -> Setup:
    errors: dict[str, str] = {}
    audience = text(form, "dialogflow_audience", 500)
    agent = text(form, "dialogflow_service_agent")
    if not audience.startswith(("https://", "http://")) or len(audience) > 500:
        errors["dialogflow_audience"] = ("The audience the ID token is issued for: "
                                         "usually this shop's webhook URL above.")
    if not _AGENT.match(agent):
        errors["dialogflow_service_agent"] = (
            "service-<PROJECT_NUMBER>@gcp-sa-dialogflow.iam.gserviceaccount.com "
            "(IAM → Service agents in your Google Cloud project).")
    return Setup(changes={"dialogflow_audience": audience, "dialogflow_service_agent": agent},
                 errors=errors)


def shown(settings: dict[str, Any], box: SecretBox, endpoint: str) -> dict[str, Any]:
    """Ids and names; of the secrets only whether they are set. Where we have a default
    (the ES header's name, the CX audience: this shop's webhook URL) it is the value."""
    return {
        "dialogflow_es_header": settings.get("dialogflow_es_header") or DEFAULT_ES_HEADER,
        "dialogflow_es_secret_set": bool(settings.get("dialogflow_es_secret_hash")),
        "dialogflow_basic_user": settings.get("dialogflow_basic_user") or "",
        "dialogflow_basic_password_set": bool(settings.get("dialogflow_basic_password_hash")),
        "dialogflow_audience": settings.get("dialogflow_audience") or endpoint,
        "dialogflow_service_agent": settings.get("dialogflow_service_agent") or "",
    }


def try_headers(variant: str, values: dict[str, Any], secret: str) -> dict[str, str] | None:
    """ES with the shop's own header secret tests what the shop pasted into Dialogflow;
    otherwise the sandbox signs (a service-agent ID token)."""
    header = values.get("dialogflow_es_header")
    return {header: secret} if variant == "dialogflow-es" and secret and header else None
