"""What a shop tells us about each assistant it connects (the connect pages): validated per
field, secrets we only compare stored as hashes, the Alice OAuth token sealed at rest
(core.secrets_box), everything in the shop's `settings` under the keys the webhooks read."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from core import shops
from core.assistants import VARIANTS, of_variant
from core.hashing import token_hash
from core.models import Program, Shop
from core.secrets_box import SecretBox
from core.services import Services

PLATFORMS = VARIANTS  # what a shop connects, one page each (core.assistants)
_ALEXA_ID = re.compile(r"^amzn1\.ask\.skill\.[0-9a-fA-F-]{8,64}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12}$")
_HEADER = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_AGENT = re.compile(r"^service-\d{6,20}@gcp-sa-dialogflow\.iam\.gserviceaccount\.com$")
_USER = re.compile(r"^[^:\s]{1,64}$")
RESERVED_HEADERS = {"authorization", "content-type", "content-length", "host", "cookie"}


@dataclass(frozen=True)
class SetupOutcome:
    """`errors`: field -> message (nothing saved when any); `shown_once`: a generated
    secret to paste into the assistant's console now (we keep only its hash)."""

    errors: dict[str, str] = field(default_factory=dict)
    shown_once: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def endpoint_url(base_url: str, slug: str, platform: str) -> str:
    return base_url.rstrip("/") + of_variant(platform).path.format(slug=slug)


DEFAULT_ES_HEADER = "X-Dialogflow-Secret"


def current(shop: Shop, box: SecretBox, base_url: str = "") -> dict[str, Any]:
    """What the page may show back: ids and names, never a secret (only whether one is set).
    Where we have a default (the ES header's name, the CX audience: this shop's webhook URL)
    it is filled in as the value, so a form left as it is saves what it shows."""
    s = shop.settings or {}
    audience = endpoint_url(base_url, shop.slug, "dialogflow-cx") if base_url else ""
    token = box.open(s.get("alice_oauth_token") or "") if s.get("alice_oauth_token") else None
    return {
        "alexa_skill_id": s.get("alexa_skill_id") or "",
        "dialogflow_es_header": s.get("dialogflow_es_header") or DEFAULT_ES_HEADER,
        "dialogflow_es_secret_set": bool(s.get("dialogflow_es_secret_hash")),
        "dialogflow_basic_user": s.get("dialogflow_basic_user") or "",
        "dialogflow_basic_password_set": bool(s.get("dialogflow_basic_password_hash")),
        "dialogflow_audience": s.get("dialogflow_audience") or audience,
        "dialogflow_service_agent": s.get("dialogflow_service_agent") or "",
        "alice_skill_id": s.get("alice_skill_id") or "",
        "alice_oauth_token_set": bool(token),
        "alice_oauth_token_tail": token[-4:] if token and len(token) > 12 else "",
    }


def _text(form: dict[str, Any], name: str, limit: int = 300) -> str:
    value = form.get(name)
    return value.strip()[:limit + 1] if isinstance(value, str) else ""


def configure(session: Session, shop: Shop, platform: str, form: dict[str, Any],
              box: SecretBox) -> SetupOutcome:
    """Validate `form` for `platform` and store it on `shop` (in the caller's transaction)."""
    errors: dict[str, str] = {}
    shown: dict[str, str] = {}
    changes: dict[str, Any] = {}
    settings = dict(shop.settings or {})
    if platform == "alexa":
        skill = _text(form, "alexa_skill_id")
        if not _ALEXA_ID.match(skill):
            errors["alexa_skill_id"] = ("An Alexa skill id looks like "
                                        "amzn1.ask.skill.1a2b3c4d-…; copy it from the "
                                        "developer console (Build → Endpoint).")
        changes["alexa_skill_id"] = skill
    elif platform == "dialogflow-es":
        header = _text(form, "dialogflow_es_header")
        secret = _text(form, "dialogflow_es_secret", 200)
        user = _text(form, "dialogflow_basic_user")
        password = _text(form, "dialogflow_basic_password", 200)
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
    elif platform == "dialogflow-cx":
        audience = _text(form, "dialogflow_audience", 500)
        agent = _text(form, "dialogflow_service_agent")
        if not audience.startswith(("https://", "http://")) or len(audience) > 500:
            errors["dialogflow_audience"] = ("The audience the ID token is issued for: "
                                             "usually this shop's webhook URL above.")
        if not _AGENT.match(agent):
            errors["dialogflow_service_agent"] = (
                "service-<PROJECT_NUMBER>@gcp-sa-dialogflow.iam.gserviceaccount.com "
                "(IAM → Service agents in your Google Cloud project).")
        changes.update(dialogflow_audience=audience, dialogflow_service_agent=agent)
    elif platform == "alice":
        skill = _text(form, "alice_skill_id")
        token = _text(form, "alice_oauth_token", 200)
        if not _UUID.match(skill):
            errors["alice_skill_id"] = ("An Alice skill id is a UUID like "
                                        "1a2b3c4d-0000-4000-8000-123456789abc (Яндекс Диалоги "
                                        "→ your skill → Общие сведения).")
        changes["alice_skill_id"] = skill
        if token:
            if not re.fullmatch(r"[A-Za-z0-9_.\-]{20,200}", token):
                errors["alice_oauth_token"] = ("An OAuth token from oauth.yandex.ru: 20–200 "
                                               "letters, digits, _ . -")
            changes["alice_oauth_token"] = box.seal(token)
        elif not settings.get("alice_oauth_token"):
            errors["alice_oauth_token"] = "Needed to upload QR images to Alice."
    else:
        errors["platform"] = "Unknown assistant."
    if errors:
        return SetupOutcome(errors=errors)
    shop.settings = {**settings, **changes}
    session.flush()
    return SetupOutcome(shown_once=shown)


# --- the connect page's use cases: one call each, scoped to the shop ---------------------

def shop_for_request(services: Services, slug: str) -> tuple[Shop, Program | None]:
    """The shop an assistant's request names and its active program, from the snapshot
    (no query while it is fresh): the one read before a turn. Its settings verify the
    request, and the same snapshot travels into the dialog. NotFound(unknown_shop). A change
    saved through `configure_for` is seen at once in this process, within the snapshot's
    TTL in the others."""
    return services.shops.read(services.db, slug)


def shown(services: Services, shop_id: int) -> dict[str, Any]:
    """current() for the shop."""
    with services.db.session() as session:
        return current(shops.get(session, shop_id), services.box, services.base_url)


def configure_for(services: Services, shop_id: int, platform: str,
                  form: dict[str, Any]) -> SetupOutcome:
    """configure in a unit of work of its own; on success this process forgets its
    snapshot of the shop, so the next request sees the change."""
    with services.db.session() as session:
        shop = shops.get(session, shop_id)
        outcome, slug = configure(session, shop, platform, form, services.box), shop.slug
    if outcome.ok:
        services.shops.forget(slug)
    return outcome
