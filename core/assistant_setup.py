"""What a shop tells us about each assistant it connects (the connect pages), stored in the
shop's `settings` under the keys the webhooks read. Each assistant's own fields and rules
are in voice/platforms/<name>/connect.py (secrets we only compare kept as hashes, the Alice
OAuth token sealed at rest by core.secrets_box); this module runs them in a unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core import shops
from core.assistants import VARIANTS, of_variant
from core.models import Program, Shop
from core.secrets_box import SecretBox
from core.services import Services

PLATFORMS = VARIANTS  # what a shop connects, one page each (core.assistants)


@dataclass(frozen=True)
class SetupOutcome:
    """`errors`: field -> message (nothing saved when any); `shown_once`: a generated
    secret to paste into the assistant's console now (we keep only its hash)."""

    errors: dict[str, str] = field(default_factory=dict)
    shown_once: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Setup:
    """What an assistant's connect form asks to store (`changes`, settings key -> value),
    or why not (`errors`), and a secret made for the shop to copy now (`shown_once`)."""

    changes: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    shown_once: dict[str, str] = field(default_factory=dict)


# An assistant's connect form: (variant, form, the shop's settings, box) -> Setup.
Check = Callable[[str, dict[str, Any], dict[str, Any], SecretBox], Setup]
# What its page may show back: (settings, box, this shop's webhook URL) -> values.
Show = Callable[[dict[str, Any], SecretBox, str], dict[str, Any]]


def text(form: dict[str, Any], name: str, limit: int = 300) -> str:
    """A form field as stripped text (one character over `limit` kept, so it is refused)."""
    value = form.get(name)
    return value.strip()[:limit + 1] if isinstance(value, str) else ""


def endpoint_url(base_url: str, slug: str, platform: str, token: str = "") -> str:
    """The webhook URL a shop pastes into the assistant's console (`token`: the secret
    path token, for an assistant whose URL carries one)."""
    return base_url.rstrip("/") + of_variant(platform).path.format(slug=slug, token=token)


def path_token_setting(name: str) -> str:
    """The shop setting holding an assistant's secret path token (sealed), for an
    assistant whose URL carries one (core.assistants `path_token`)."""
    return f"{name}_path_token"


def path_token(settings: dict[str, Any], box: SecretBox, name: str) -> str | None:
    """The current secret path token of assistant `name` in a shop's settings, if made."""
    sealed = settings.get(path_token_setting(name))
    return box.open(sealed) if isinstance(sealed, str) and sealed else None


# --- the connect page's use cases: one call each, scoped to the shop ---------------------

def shop_for_request(services: Services, slug: str) -> tuple[Shop, Program | None]:
    """The shop an assistant's request names and its active program, from the snapshot
    (no query while it is fresh): the one read before a turn. Its settings verify the
    request, and the same snapshot travels into the dialog. NotFound(unknown_shop). A change
    saved through `configure_for` is seen at once in this process, within the snapshot's
    TTL in the others."""
    return services.shops.read(services.db, slug)


def shown(services: Services, shop_id: int, platform: str, show: Show) -> dict[str, Any]:
    """What the connect page of `platform` may show back: ids and names, never a secret
    (only whether one is set); defaults filled in, so a form left as it is saves them."""
    with services.db.session() as session:
        shop = shops.get(session, shop_id)
        return show(dict(shop.settings or {}), services.box,
                    endpoint_url(services.base_url, shop.slug, platform))


def configure_for(services: Services, shop_id: int, platform: str, form: dict[str, Any],
                  check: Check) -> SetupOutcome:
    """Validate `form` with the assistant's `check` and store it on the shop, in a unit of
    work of its own; on success this process forgets its snapshot of the shop, so the next
    request sees the change."""
    if platform not in PLATFORMS:
        return SetupOutcome(errors={"platform": "Unknown assistant."})
    with services.db.session() as session:
        shop = shops.get(session, shop_id)
        settings = dict(shop.settings or {})
        setup = check(platform, form, settings, services.box)
        if setup.errors:
            return SetupOutcome(errors=setup.errors)
        shop.settings = {**settings, **setup.changes}
        session.flush()
        slug = shop.slug
    services.shops.forget(slug)
    return SetupOutcome(shown_once=setup.shown_once)
