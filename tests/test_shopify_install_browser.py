"""A merchant installs the Shopify app in a real Chromium: store page -> Shopify's
authorization page at https://<shop>/admin/oauth/authorize (the browser's requests to the
shop's domain go to the local stand-in, speaking the documented OAuth endpoints) -> Install
-> our callback -> token exchanged -> webhooks registered -> back on the store page, which
says so. The live server is plain http on loopback, so the stand-in accepts a loopback
webhook address here (Shopify itself requires https)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from core.config import ShopifyAppSettings
from core.models import StoreConnection
from core.stores.connections import open_credentials
from tests.support.browser import SCREENSHOTS, LiveServer, launch_chromium, needs_chromium
from tests.support.fake_stores import FakeStore, fake_shopify

pytestmark = needs_chromium
DOMAIN = "demo-shop.myshopify.com"
API_KEY, API_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "shpss_the-apps-own-secret-0123456789"
TOKEN = "shpat_offline_browser_0123456789abcdef"


@pytest.fixture
def live_settings() -> dict[str, Any]:
    return {"shopify_app": ShopifyAppSettings(api_key=API_KEY, api_secret=API_SECRET)}


@pytest.fixture
def shopify(live_server: LiveServer) -> Iterator[FakeStore]:
    with fake_shopify(TOKEN) as fake:
        fake.oauth = {"api_key": API_KEY, "api_secret": API_SECRET,
                      "redirect_uri": f"{live_server.base}/shopify/callback"}
        fake.loopback_http = True
        fake.now = lambda: live_server.services.clock().timestamp()
        live_server.services.adapters.store_origins = {DOMAIN: fake.url}
        yield fake


def test_a_merchant_installs_the_shopify_app_and_lands_on_the_store_page(
        live_server: LiveServer, shopify: FakeStore) -> None:
    from playwright.sync_api import expect, sync_playwright

    demo, base = live_server.demo, live_server.base

    def to_shopify(route: Any) -> None:  # the shop's own domain: the stand-in
        url = route.request.url.replace(f"https://{DOMAIN}", shopify.url, 1)
        route.fulfill(response=route.fetch(url=url, max_redirects=0))

    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route(f"https://{DOMAIN}/**", to_shopify)
        page.goto(f"{base}/console/login")
        page.fill("input[name=email]", demo["staff"]["email"])
        page.fill("input[name=password]", demo["staff"]["password"])
        page.click("button[type=submit]")
        page.wait_for_load_state()

        page.goto(f"{base}/connect/demo/shopify")
        expect(page.locator("#not-connected")).to_be_visible()
        page.fill("#f-shop_domain", "not a domain")
        page.click("#install-app")
        expect(page.locator("#e-shop_domain")).to_contain_text("myshopify.com")
        page.fill("#f-shop_domain", DOMAIN)
        page.click("#install-app")

        expect(page.locator("h1")).to_have_text("Install app")  # Shopify's page
        assert page.url.startswith(f"https://{DOMAIN}/admin/oauth/authorize?client_id={API_KEY}")
        expect(page.locator("#scopes")).to_contain_text("write_discounts")
        page.click("#install")

        expect(page.locator("#notice")).to_contain_text("The app is installed")
        assert page.url == f"{base}/connect/demo/shopify?installed=1"
        expect(page.locator("#connected")).to_contain_text("through the Shopify app")
        expect(page.locator("#registered")).to_contain_text(f"{base}/shopify/webhooks")
        expect(page.locator("#registered")).not_to_contain_text("being registered")
        page.screenshot(path=str(SCREENSHOTS / "40-shopify-installed.png"), full_page=True)
        browser.close()

    assert {(w["topic"], w["uri"]) for w in shopify.webhooks} == {
        (t, f"{live_server.base}/shopify/webhooks")
        for t in ("ORDERS_PAID", "REFUNDS_CREATE", "CUSTOMERS_CREATE")}
    services = live_server.services
    with services.db.session() as session:
        conn = session.scalar(select(StoreConnection))
        assert open_credentials(services, conn)[0]["access_token"] == TOKEN
