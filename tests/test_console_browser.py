"""The console in a real browser (Debian's Chromium through Playwright): sign in, run a share
conversation, see the QR image load and the message in the outbox, save it as YAML.
Screenshots go to var/screenshots/."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from werkzeug.serving import make_server

from core import demo as demo_seed
from core.clock import FrozenClock
from core.config import Settings
from core.db import Database
from core.services import bootstrap
from fulfillment.app import create_app
from tests.conftest import CLOCK_START, REPO
from tests.support.http_servers import free_port

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "var" / "screenshots"
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")]


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, dict]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    db = Database(f"sqlite:///{tmp_path / 'browser.db'}")
    db.create_all()
    services = bootstrap(Settings(database_url=db.url, base_url=base, embedded_worker=False,
                                  secret_key="test-secret", hash_key="test-hash-key",
                                  sandbox=True),
                         db=db, clock=FrozenClock(CLOCK_START))
    demo = demo_seed.seed(services)
    server = make_server("127.0.0.1", port, create_app(services=services), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, demo
    finally:
        server.shutdown()
        services.close()
        db.dispose()


def test_support_staff_run_a_share_in_the_console_and_save_it(live_server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, demo = live_server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(accept_downloads=True)
        refused: list[str] = []  # the page runs under its CSP: nothing may be blocked
        page.on("console", lambda msg: refused.append(msg.text)
                if "Content Security Policy" in msg.text else None)
        response = page.goto(f"{base}/console")
        assert response is not None and "script-src 'self'" in response.headers[
            "content-security-policy"]
        page.fill("input[name=email]", demo["staff"]["email"])
        page.fill("input[name=password]", demo["staff"]["password"])
        page.click("button[type=submit]")
        expect(page.locator("#say-form")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "01-signed-in.png"))

        page.check("#screen")
        page.fill("#text", "share the referral program")
        page.click("#say-form button")
        bubble = page.locator(".bubble.them").last
        expect(bubble.locator(".speech")).to_contain_text("Your code is")
        expect(bubble.locator(".intent")).to_contain_text("intent ShareProgram")
        qr = bubble.locator("img.qr")
        expect(qr).to_be_visible()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                               arg=qr.element_handle())
        expect(page.locator("#outbox li").first).to_contain_text("invite_self via sms")
        page.screenshot(path=str(SCREENSHOTS / "02-share.png"), full_page=True)

        with page.expect_download() as download_info:
            page.click("#save")
        saved = tmp_path / "saved.yaml"
        download_info.value.save_as(saved)
        spec = yaml.safe_load(saved.read_text())
        assert spec["shop"] == "demo" and spec["turns"][0]["expect"]["intent"] == "ShareProgram"

        page.set_input_files("#replay", str(saved))
        expect(page.locator("#replay-result")).to_contain_text("replay[alexa]")
        page.screenshot(path=str(SCREENSHOTS / "03-replay.png"), full_page=True)
        browser.close()
    assert refused == []
