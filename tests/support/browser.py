"""The live server the Playwright tests drive: the real app on a free port over a fresh
SQLite file with the demo shop, on the suite's frozen clock, in sandbox mode. A module that
needs other settings overrides the `live_settings` fixture (onboarding: sign-up allowed)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from core import demo as demo_seed
from core.clock import FrozenClock
from core.config import Settings
from core.db import Database
from core.services import Services, bootstrap
from fulfillment.app import create_app
from tests.conftest import CLOCK_START, REPO
from tests.support.http_servers import free_port
from tests.support.keys import HASH_KEY, SECRET_KEY

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "var" / "screenshots"
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")


@dataclass(frozen=True)
class LiveServer:
    base: str
    demo: dict[str, Any]  # core.demo.seed's answer: staff sign-in, keys, secrets
    services: Services
    app: Flask


@pytest.fixture
def live_settings() -> dict[str, Any]:
    """Settings beyond the defaults below, for the module's journey."""
    return {}


@pytest.fixture
def live_server(tmp_path: Path, live_settings: dict[str, Any]) -> Iterator[LiveServer]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    db = Database(f"sqlite:///{tmp_path / 'browser.db'}")
    db.create_all()
    services = bootstrap(Settings(**{
        "database_url": db.url, "base_url": base, "embedded_worker": False,
        "secret_key": SECRET_KEY, "hash_key": HASH_KEY, "sandbox": True,
        **live_settings}), db=db, clock=FrozenClock(CLOCK_START))
    demo = demo_seed.seed(services)
    app = create_app(services=services)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(base, demo, services, app)
    finally:
        server.shutdown()
        services.close()
        db.dispose()


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless, as the container allows it (no sandbox, no GPU)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return playwright.chromium.launch(executable_path=str(CHROMIUM),
                                      args=["--no-sandbox", "--disable-gpu"])
