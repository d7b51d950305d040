"""Onboarding in a real browser (Debian's Chromium through Playwright): sign up, confirm the
email from the sandbox outbox, sign in, invite a support user, who accepts, opens the
console and is refused the settings. Every page runs under the CSP (nothing blocked).
Screenshots go to var/screenshots/."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
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
PASSWORD = "violet-harbour-lantern-42"
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")]


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    db = Database(f"sqlite:///{tmp_path / 'onboarding.db'}")
    db.create_all()
    options: dict[str, Any] = {"database_url": db.url, "base_url": base,
                               "embedded_worker": False, "allow_signup": True,
                               "secret_key": "browser-secret", "hash_key": "browser-hash"}
    if "sandbox" in Settings.__dataclass_fields__:
        options["sandbox"] = True  # the sandbox outbox page is the local developer's inbox
    services = bootstrap(Settings(**options), db=db, clock=FrozenClock(CLOCK_START))
    demo_seed.seed(services)
    server = make_server("127.0.0.1", port, create_app(services=services), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        services.close()
        db.dispose()


def test_sign_up_verify_sign_in_and_invite_a_support_user(live_server) -> None:
    from playwright.sync_api import expect, sync_playwright

    base = live_server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        refused: list[str] = []
        page.on("console", lambda msg: refused.append(msg.text)
                if "Content Security Policy" in msg.text else None)

        page.goto(f"{base}/signup")
        page.fill("#f-name", "Anna's Books")
        page.fill("#f-slug", "annas-books")
        page.fill("#f-email", "anna@books.example")
        page.fill("#f-password", "password1234")
        page.click("button[type=submit]")
        expect(page.locator("#e-password")).to_contain_text("most common")
        page.screenshot(path=str(SCREENSHOTS / "onboarding-01-signup-refused.png"))
        page.fill("#f-password", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("Check your email")

        page.click("#sandbox-outbox")
        mail = page.locator(".mail").first
        expect(mail).to_contain_text("Confirm your email for Anna's Books")
        page.screenshot(path=str(SCREENSHOTS / "onboarding-02-sandbox-outbox.png"))
        mail.locator(".mail-link").click()
        expect(page.locator("h1")).to_have_text("Email confirmed")

        page.click("a.button")  # Sign in
        page.fill("#f-email", "anna@books.example")
        page.fill("#f-password", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("#shop-annas-books")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "onboarding-03-account.png"))

        page.locator("#shop-annas-books a", has_text="Team").click()
        page.fill("#f-email", "sam@books.example")
        page.select_option("#f-role", "support")
        page.click("text=Send invitation")
        expect(page.locator(".ok")).to_contain_text("Invitation sent to sam@books.example")
        page.screenshot(path=str(SCREENSHOTS / "onboarding-04-team.png"))
        page.click("text=← Anna's Books")
        page.click("text=Sign out")

        page.goto(f"{base}/sandbox/outbox")
        invite = page.locator(".mail", has_text="invited you to Anna's Books").first
        invite.locator(".mail-link").click()
        page.fill("#f-display_name", "Sam")
        page.fill("#f-password", PASSWORD)
        page.fill("#f-confirm", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator(".bar")).to_contain_text("sam@books.example · support")
        expect(page.locator("#shop-annas-books a", has_text="Settings")).to_have_count(0)

        page.goto(f"{base}/console")
        expect(page.locator("#say-form")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "onboarding-05-support-console.png"))
        answer = page.goto(f"{base}/settings/annas-books")
        assert answer is not None and answer.status == 403
        page.screenshot(path=str(SCREENSHOTS / "onboarding-06-support-settings-403.png"))
        browser.close()
    assert refused == []
