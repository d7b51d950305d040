"""Onboarding in a real browser (Debian's Chromium through Playwright): sign up, confirm the
email from the sandbox outbox, sign in, invite a support user, who accepts, opens the
console and is refused the settings. Every page runs under the CSP (nothing blocked).
Screenshots go to var/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.browser import SCREENSHOTS, LiveServer, launch_chromium, needs_chromium

PASSWORD = "violet-harbour-lantern-42"
pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def live_settings() -> dict[str, Any]:
    return {"allow_signup": True}  # the journey starts at /signup


def test_sign_up_verify_sign_in_and_invite_a_support_user(live_server: LiveServer) -> None:
    from playwright.sync_api import expect, sync_playwright

    base = live_server.base
    with sync_playwright() as p:
        browser = launch_chromium(p)
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
        expect(page.locator("#golive")).to_be_visible()  # sign-in lands on the shop's home
        page.screenshot(path=str(SCREENSHOTS / "onboarding-03-home.png"))

        page.click("#nav-team")
        page.fill("#f-email", "sam@books.example")
        page.select_option("#f-role", "support")
        page.click("text=Send invitation")
        expect(page.locator(".ok")).to_contain_text("Invitation sent to sam@books.example")
        page.screenshot(path=str(SCREENSHOTS / "onboarding-04-team.png"))
        page.goto(f"{base}/sandbox/outbox")  # the owner reads the shop's account mails
        invite = page.locator(".mail", has_text="invited you to Anna's Books").first
        link = invite.locator(".mail-link").get_attribute("href")
        page.goto(f"{base}/account")
        page.click("#nav-signout")
        page.goto(link if link.startswith("http") else f"{base}{link}")
        page.fill("#f-display_name", "Sam")
        page.fill("#f-password", PASSWORD)
        page.fill("#f-confirm", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator(".topbar")).to_contain_text("Sam · support")
        # one navigation drawn by role: support sees only what it may open
        expect(page.locator("#nav-console")).to_be_visible()
        for hidden in ("settings", "program", "assistants", "team"):
            expect(page.locator(f"#nav-{hidden}")).to_have_count(0)

        page.goto(f"{base}/console")
        expect(page.locator("#say-form")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "onboarding-05-support-console.png"))
        answer = page.goto(f"{base}/settings/annas-books")
        assert answer is not None and answer.status == 403
        expect(page.locator("h1")).to_have_text("You can't open this page")  # HTML, not JSON
        expect(page.locator("#error-message")).to_contain_text("needs the manager role")
        page.screenshot(path=str(SCREENSHOTS / "onboarding-06-support-settings-403.png"))
        browser.close()
    assert refused == []
