"""The console in a real browser (Debian's Chromium through Playwright): sign in, run a share
conversation, see the QR image load and the message in the outbox, save it as YAML.
Screenshots go to var/screenshots/."""

from __future__ import annotations

import pytest
import yaml

from tests.support.browser import SCREENSHOTS, LiveServer, launch_chromium, needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]


def test_support_staff_run_a_share_in_the_console_and_save_it(live_server: LiveServer,
                                                             tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, demo = live_server.base, live_server.demo
    with sync_playwright() as p:
        browser = launch_chromium(p)
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
        expect(page.locator("#outbox li").first).to_contain_text(
            "invite_self (transactional) via sms")
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
