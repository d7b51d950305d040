"""The back office walked in a real browser (Debian's Chromium through Playwright) as owner,
manager and support, at desktop width and at 390 px (issue 27): the KPIs show five voice
shares as five; the review queue approves a flagged referral (support reads, no buttons);
a customer's page exports their data (owner and manager; support gets no button); no page
scrolls sideways and every input has a label. Screenshots go to var/screenshots/."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from core.models import Customer, Referral, Shop, StaffUser
from core.passwords import hash_password
from tests.support.browser import SCREENSHOTS, LiveServer, launch_chromium, needs_chromium
from tests.support.events import ShopBackend
from voice.dialog import handle
from voice.turn import Turn

pytestmark = [pytest.mark.browser, needs_chromium]

PASSWORD = "violet-harbour-lantern-42"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(e => !['hidden', 'submit', 'button'].includes(e.type))
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
  .map(e => e.name || e.id)"""
SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"


def _world(live: LiveServer, flagged: int) -> dict[str, str]:
    """Five shares where the code was only spoken, `flagged` referrals waiting for review,
    a manager and a support member."""
    services, demo = live.services, live.demo
    with services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        for role in ("manager", "support"):
            session.add(StaffUser(shop_id=shop.id, email=f"{role}@demo.example",
                                  password_hash=hash_password(PASSWORD), role=role,
                                  email_verified_at=services.clock()))
        alex = session.scalar(select(Customer).where(Customer.external_id == "alex"))
        alex.phone_confirmed_at = alex.email_confirmed_at = None
    for _ in range(5):
        handle(Turn("alexa", "en-US", "demo", demo["voice_users"]["alexa"], "ShareProgram"),
               services)
    backend = ShopBackend(live.app.test_client(), demo["webhook_secret"], services.clock)
    for n in range(flagged):
        out = backend.signup(f"temp{n}", demo["code"], email=f"t{n}@mailinator.com")
        assert out.get_json()["result"]["status"] == "flagged"
    return {"owner": demo["staff"]["email"], "manager": "manager@demo.example",
            "support": "support@demo.example"}


def _check_layout(page: Any, name: str) -> None:
    assert page.evaluate(SIDEWAYS) <= 0, f"{name} scrolls sideways"
    assert page.evaluate(UNLABELLED) == [], f"{name} has inputs without a label"


def test_owner_manager_and_support_walk_the_back_office(live_server: LiveServer):
    from playwright.sync_api import expect, sync_playwright

    base = live_server.base
    people = _world(live_server, flagged=5)  # 4 approved, 1 left for support
    passwords = {"owner": live_server.demo["staff"]["password"], "manager": PASSWORD,
                 "support": PASSWORD}
    with sync_playwright() as p:
        browser = launch_chromium(p)
        for role in ("owner", "manager", "support"):
            for size, viewport in VIEWPORTS.items():
                shot = f"backoffice-{role}-{size}"
                context = browser.new_context(viewport=viewport, accept_downloads=True)
                page = context.new_page()
                page.goto(f"{base}/login")
                page.fill("#f-email", people[role])
                page.fill("#f-password", passwords[role])
                page.click("button[type=submit]")
                expect(page.locator("#nav-signout")).to_be_visible()

                page.goto(f"{base}/dashboard/demo")
                expect(page.locator("#k-shares")).to_have_text("5")
                expect(page.locator("#by-channel")).to_contain_text("voice")
                _check_layout(page, f"KPIs ({role}, {size})")
                page.screenshot(path=str(SCREENSHOTS / f"{shot}-kpis.png"), full_page=True)

                page.goto(f"{base}/review/demo")
                expect(page.locator(".flagged").first).to_be_visible()
                expect(page.locator(".evidence").first).to_contain_text("disposable_email")
                _check_layout(page, f"review ({role}, {size})")
                if role == "support":
                    expect(page.locator("#approve")).to_have_count(0)
                else:
                    waiting = page.locator(".flagged").count()
                    page.locator("input[name=referral]").first.check()
                    page.fill("#f-reason", f"checked by the {role}")
                    page.click("#approve")
                    expect(page.locator("#review-done")).to_contain_text("1 decided")
                    assert page.locator(".flagged").count() == waiting - 1
                page.screenshot(path=str(SCREENSHOTS / f"{shot}-review.png"), full_page=True)

                page.goto(f"{base}/customers/demo/alex")
                expect(page.locator("#customer-code")).not_to_be_empty()
                _check_layout(page, f"customer ({role}, {size})")
                if role == "support":
                    expect(page.locator("#export")).to_have_count(0)
                    expect(page.locator("#erase")).to_have_count(0)
                else:
                    with page.expect_download() as download:
                        page.click("#export")
                    data = json.loads(download.value.path().read_text(encoding="utf-8"))
                    assert data["profile"]["id"] == "alex"
                page.screenshot(path=str(SCREENSHOTS / f"{shot}-customer.png"),
                                full_page=True)

                page.goto(f"{base}/referrals/demo")
                expect(page.locator("#referrals")).to_contain_text("mailinator.com")
                _check_layout(page, f"referrals ({role}, {size})")
                page.screenshot(path=str(SCREENSHOTS / f"{shot}-referrals.png"),
                                full_page=True)
                if role != "support":
                    page.goto(f"{base}/program/demo")
                    expect(page.locator("#f-currency")).to_be_visible()
                    _check_layout(page, f"program ({role}, {size})")
                    page.screenshot(path=str(SCREENSHOTS / f"{shot}-program.png"),
                                    full_page=True)
                context.close()
        browser.close()
    with live_server.services.db.session() as session:
        reviewed = {r.reviewed_by for r in session.scalars(select(Referral))
                    if r.status == "pending"}
    assert reviewed == {people["owner"], people["manager"]}
