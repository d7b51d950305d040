"""Every dependency built in one place and passed in (no globals, nothing at import time)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.clicks import ClickRecorder
from core.clock import Clock, utcnow
from core.config import Settings
from core.db import Database
from core.secrets_box import SecretBox
from core.shop_snapshots import ShopSnapshots


@dataclass
class Services:
    settings: Settings
    db: Database
    clicks: ClickRecorder
    box: SecretBox
    clock: Clock = utcnow
    shops: ShopSnapshots = field(default_factory=ShopSnapshots)  # what every turn reads
    # Room for adapters other parts register (channels, uploaders, verifiers' fetchers).
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.settings.public_base_url

    def close(self) -> None:
        self.clicks.close()


def bootstrap(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Clock = utcnow,
    background_clicks: bool = True,
) -> Services:
    settings = settings or Settings.from_env()
    settings.require_secrets()  # never run on an empty or published key
    db = db or Database(settings.database_url)
    db.clock = clock  # rows' default timestamps come from the same clock as everything else
    return Services(
        settings=settings,
        db=db,
        clicks=ClickRecorder(db, hash_key=settings.hash_key, background=background_clicks),
        box=SecretBox(settings.secret_key),
        clock=clock,
    )
