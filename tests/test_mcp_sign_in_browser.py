"""The customer's sign-in page in real Chromium: type an email, then the one-time code, and
the browser lands on the client's redirect URI with the code and state (a page's CSP
`form-action` also governs the redirect a form's POST answers with, so the page must allow
the client's callback origin, and only that one)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests.support.browser import LiveServer, launch_chromium, needs_chromium
from tests.support.http_servers import scripted_server
from tests.support.mcp_host import last_pin

pytestmark = needs_chromium


def test_a_customer_signs_in_in_chromium_and_lands_on_the_callback(
        live_server: LiveServer) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    base = live_server.base
    with scripted_server() as callback:
        redirect = f"{callback.url}/oauth/callback"  # loopback, another origin
        client_id = requests.post(f"{base}/oauth/register", json={
            "client_name": "Browser test", "redirect_uris": [redirect],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"]}, timeout=10).json()["client_id"]
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        url = f"{base}/oauth/authorize?" + urlencode({
            "response_type": "code", "client_id": client_id, "redirect_uri": redirect,
            "state": "st-1", "code_challenge": challenge, "code_challenge_method": "S256",
            "resource": f"{base}/mcp/demo", "ui_locales": "de"})
        with playwright.sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page()
            page.goto(url)
            assert page.locator("h1").inner_text() == "Bei Demo Shop anmelden"
            page.fill("#contact", "alex@example.com")
            page.click("button[type=submit]")
            page.fill("#code", last_pin(live_server.services, "alex@example.com"))
            with page.expect_request(lambda r: r.url.startswith(redirect)) as landed:
                page.click("button[type=submit]")
            landed_url = landed.value.url
            browser.close()
        query = parse_qs(urlsplit(landed_url).query)
        assert query["state"] == ["st-1"] and query["code"]
        token = requests.post(f"{base}/oauth/token", data={
            "grant_type": "authorization_code", "code": query["code"][0],
            "redirect_uri": redirect, "client_id": client_id, "code_verifier": verifier},
            timeout=10)
        assert token.status_code == 200 and token.json()["token_type"] == "Bearer"
