"""Every dependency built in one place and passed in (no globals, nothing at import time)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.cache_invalidation import InvalidationWatch
from core.clicks import ClickRecorder
from core.clock import Clock, utcnow
from core.config import Settings
from core.db import Database
from core.ports import CertFetcher, HttpGet, ProfileLookup, RequestVerifier
from core.secrets_box import SecretBox
from core.shop_snapshots import ShopSnapshots
from core.url_guard import Resolver, system_resolver

if TYPE_CHECKING:
    from core.assistant_status import StatusRecorder
    from core.messaging.channels.base import Channel
    from core.referrals import CodeDirectory

log = logging.getLogger(__name__)


@dataclass
class Adapters:
    """Outside parts a deployment or a test plugs in; None means the production default
    (fetch over HTTPS from Amazon/Google, the real Yandex API, channels from settings)."""

    alexa_verifier: RequestVerifier | None = None
    alexa_cert_fetcher: CertFetcher | None = None
    alexa_profile: ProfileLookup | None = None
    # voice.platforms.alexa.reminders.RemindersClient (core does not import voice)
    alexa_reminders: object | None = None
    google_certs_fetcher: HttpGet | None = None
    google_extra_certs: dict[str, str] = field(default_factory=dict)  # kid -> PEM (sandbox)
    yandex_dialogs_url: str | None = None
    channels: dict[str, Channel] | None = None
    # The simulator's in-memory Alexa CA and Google key (fulfillment.simulator.sandbox_keys),
    # present only when SANDBOX=1: nothing outside the simulator can sign with them.
    sandbox_keys: object | None = None
    # Stores (core.stores): a shop domain -> the origin of a local stand-in, the HTTP
    # timeout, and loopback store URLs allowed. Tests only: nothing in the environment.
    store_origins: dict[str, str] = field(default_factory=dict)
    store_timeout: tuple[float, float] | None = None
    allow_private_store_urls: bool = False


@dataclass
class Services:
    settings: Settings
    db: Database
    clicks: ClickRecorder
    box: SecretBox
    clock: Clock = utcnow
    shops: ShopSnapshots = field(default_factory=ShopSnapshots)  # what every turn reads
    adapters: Adapters = field(default_factory=Adapters)
    # Yandex image ids of QR codes already uploaded: (shop id, code) -> image id.
    alice_ready_images: dict[tuple[int, str], str] = field(default_factory=dict)
    # Name -> addresses for outbound URLs (core.url_guard); tests inject their own.
    resolve: Resolver = system_resolver
    codes: CodeDirectory = field(init=False)  # /r/<code> lookups, cached
    # When caches must start over in every process (core.cache_invalidation).
    invalidations: InvalidationWatch = field(init=False)
    # The connect page's live status: the webhooks note, a flusher writes (bootstrap starts
    # its thread; without one, a read flushes).
    assistant_status: StatusRecorder = field(init=False)

    def __post_init__(self) -> None:
        from core.assistant_status import StatusRecorder
        from core.referrals import CodeDirectory  # core.referrals itself needs Services

        self.invalidations = InvalidationWatch(self.db)
        self.shops.generation = self.invalidations.generation
        self.codes = CodeDirectory(self)
        self.assistant_status = StatusRecorder(self.db, background=False)

    @property
    def base_url(self) -> str:
        return self.settings.public_base_url

    def close(self) -> None:
        self.clicks.close()
        self.assistant_status.close()


def bootstrap(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Clock = utcnow,
    background_clicks: bool = True,
) -> Services:
    settings = settings or Settings.from_env()
    settings.require_complete()  # never run on an empty or published key, nor half a channel
    for caveat in settings.telegram.caveats():  # runs, but says what will not work
        log.warning("configuration: %s", caveat)
    db = db or Database(settings.database_url)
    db.clock = clock  # rows' default timestamps come from the same clock as everything else
    services = Services(
        settings=settings,
        db=db,
        clicks=ClickRecorder(db, hash_key=settings.hash_key, background=background_clicks),
        box=SecretBox(settings.secret_key),
        clock=clock,
    )
    if background_clicks:  # tests flush by hand, as with clicks
        services.assistant_status.start()
    return services
