"""Console sign-in resists guessing (backoff, then a temporary lock, per account and per
client, shared by every worker through the database), says nothing about which emails
exist, and its cookie and pages carry the browser protections."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from core import passwords
from core.services import bootstrap
from fulfillment.app import create_app
from tests.conftest import REPO

OFFICE, ELSEWHERE = "198.51.100.7", "203.0.113.9"


def sign_in(client: Any, email: str, password: str, ip: str = OFFICE,
            scheme: str = "http") -> Any:
    env = {"REMOTE_ADDR": ip, "wsgi.url_scheme": scheme}
    page = client.get("/console/login", environ_overrides=env).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    return client.post("/console/login", data={"email": email, "password": password,
                                               "csrf_token": token}, environ_overrides=env)


def test_fifty_wrong_passwords_are_slowed_then_locked_and_the_right_one_waits_too(
        client, demo, clock):
    email, right = demo["staff"]["email"], demo["staff"]["password"]
    statuses = [sign_in(client, email, f"guess-{n}").status_code for n in range(50)]
    assert statuses[:5] == [401] * 5  # five free tries
    assert statuses[5:] == [429] * 45  # then it waits: no password is even checked
    refused = sign_in(client, email, right)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "Too many sign-in attempts" in refused.get_data(as_text=True)
    for _ in range(5):  # backoff 1, 2, 4, 8, 16 s between the next tries ...
        clock.advance(seconds=17)
        assert sign_in(client, email, "wrong again").status_code == 401
    clock.advance(minutes=5)  # ... and after ten, a 15-minute lock
    locked = sign_in(client, email, right)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 9 * 60
    clock.advance(minutes=11)
    assert sign_in(client, email, right).status_code == 302


def test_the_lock_is_per_account_and_per_client_and_every_worker_sees_it(
        client, demo, clock, services, settings, database):
    email = demo["staff"]["email"]
    for n in range(5):
        assert sign_in(client, email, f"guess-{n}").status_code == 401
    other_worker = create_app(services=bootstrap(settings, db=database, clock=clock,
                                                 background_clicks=False)).test_client()
    # The account waits, from another worker and from another address too:
    assert sign_in(other_worker, email, "guess", ip=ELSEWHERE).status_code == 429
    # One address guessing many accounts (20 tries in all) is slowed, unknown emails too:
    for n in range(15):
        assert sign_in(client, f"nobody{n}@example.com", "guess").status_code == 401
    assert sign_in(other_worker, "another@example.com", "guess").status_code == 429
    assert sign_in(other_worker, "another@example.com", "guess",
                   ip=ELSEWHERE).status_code == 401


def test_a_right_password_resets_the_accounts_count(client, demo):
    email, right = demo["staff"]["email"], demo["staff"]["password"]
    for _ in range(2):
        for n in range(4):
            assert sign_in(client, email, f"guess-{n}").status_code == 401
        assert sign_in(client, email, right).status_code == 302
        client.post("/console/logout", data={"csrf_token": _csrf(client)})


def _csrf(client: Any) -> str:
    page = client.get("/console").get_data(as_text=True)
    return re.search(r'data-csrf="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def test_an_unknown_email_costs_the_same_scrypt_as_a_known_one(client, demo, monkeypatch):
    calls: list[str] = []
    real = hashlib.scrypt

    def counted(*args: Any, **kwargs: Any) -> bytes:
        calls.append("scrypt")
        return real(*args, **kwargs)

    monkeypatch.setattr(passwords.hashlib, "scrypt", counted)
    known = sign_in(client, demo["staff"]["email"], "wrong password")
    known_calls, calls[:] = len(calls), []
    unknown = sign_in(client, "nobody@demo-shop.example", "wrong password")
    assert (known.status_code, unknown.status_code) == (401, 401)
    assert known.get_data() == unknown.get_data()
    assert (known_calls, len(calls)) == (1, 1)


def test_the_session_cookie_is_secure_over_https_and_not_on_the_local_default(
        demo, services, settings, database, clock):
    email, right = demo["staff"]["email"], demo["staff"]["password"]
    public = create_app(services=services).test_client()  # BASE_URL https://refer.test
    assert "Secure" in sign_in(public, email, right).headers["Set-Cookie"]
    local = create_app(services=bootstrap(settings.with_(base_url=""), db=database,
                                          clock=clock, background_clicks=False))
    plain = sign_in(local.test_client(), email, right)
    assert plain.status_code == 302 and "Secure" not in plain.headers["Set-Cookie"]
    assert "HttpOnly" in plain.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in plain.headers
    tls = sign_in(local.test_client(), email, right, scheme="https")  # TLS to the app
    assert "Secure" in tls.headers["Set-Cookie"]
    assert tls.headers["Strict-Transport-Security"].startswith("max-age=")


def _pages(client: Any, demo: dict[str, Any]) -> dict[str, Any]:
    pages = {"login": client.get("/console/login"),
             "landing": client.get(f"/demo/landing?ref={demo['code']}"),
             "unknown invite": client.get("/r/NOPE-0000"),
             "unsubscribe": client.get("/u/not-a-token"),
             "error page": client.get("/console/no-such-page")}
    sign_in(client, demo["staff"]["email"], demo["staff"]["password"])
    pages["console"] = client.get("/console")
    pages["dashboard"] = client.get("/dashboard")
    return pages


def test_every_html_page_carries_the_security_headers(client, demo):
    for name, response in _pages(client, demo).items():
        assert response.mimetype == "text/html", name
        policy = response.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, name
        assert "frame-ancestors 'none'" in policy, name
        assert response.headers.get("X-Frame-Options") == "DENY", name
        assert response.headers.get("X-Content-Type-Options") == "nosniff", name
        assert response.headers.get("Referrer-Policy") == "same-origin", name
        assert response.headers.get("Strict-Transport-Security", "").startswith(
            "max-age="), name  # the suite's BASE_URL is https


INLINE = [(re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
          (re.compile(r"\son[a-z]+\s*=", re.I), "on* handler"),
          (re.compile(r"javascript:", re.I), "javascript: URL"),
          (re.compile(r"<style|\sstyle\s*=", re.I), "inline style")]


@pytest.mark.parametrize("template", sorted(
    str(p.relative_to(REPO)) for p in (REPO / "fulfillment").rglob("templates/**/*.html")))
def test_no_template_needs_inline_script_or_style(template):
    text = Path(REPO / template).read_text()
    found = [what for pattern, what in INLINE if pattern.search(text)]
    assert found == [], f"{template}: {found} would be blocked by the page CSP"
