"""The go-live checklist on a new shop's home turns green step by step from real state: a
published program, an assistant that received a verified request, a store that sent a
verified webhook, a first share, a public https base URL. Nothing in it is a flag the page
sets; each step links to the page that completes it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from core import customers, golive, programs, staff_accounts
from core.models import StaffUser
from core.stores.connections import ConnectRequest, connect_store
from tests.support.fake_stores import FakeStore, fake_shopify
from tests.support.staff import PASSWORD, sign_in_cookie
from tests.support.store_samples import shopify_customer, shopify_delivery

DOMAIN = "crumb.myshopify.com"
TOKEN = "shpat_0123456789abcdef0123456789abcdef"
APP_SECRET = "shpss_app-secret-that-signs-webhooks"


@pytest.fixture
def shopify(services) -> Iterator[FakeStore]:  # type: ignore[no-untyped-def]
    with fake_shopify(TOKEN) as fake:
        services.adapters.store_origins = {DOMAIN: fake.url}
        services.adapters.store_timeout = (1.0, 1.0)
        yield fake


@pytest.fixture
def owner(client, services) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    with services.db.session() as db:
        created = staff_accounts.sign_up(db, services, name="Crumb & Co Bakery", slug="crumb",
                                         email="owner@crumb.example", password=PASSWORD)
        staff = db.get(StaffUser, created.owner_id)
        assert staff is not None
        staff.email_verified_at = services.clock()
    with client.session_transaction() as browser:
        sign_in_cookie(browser, services, created.owner_id, "tok")
    return {"shop_id": created.shop_id}


def _steps(client: Any) -> dict[str, str]:
    page = client.get("/").get_data(as_text=True)
    return dict(re.findall(r'<li id="step-([\w-]+)" class="(done|todo)"', page))


def test_the_checklist_turns_green_step_by_step(client, services, owner, shopify) -> None:
    shop_id = owner["shop_id"]
    assert _steps(client) == {"program": "todo", "assistant": "todo", "store": "todo",
                              "share": "todo", "public_url": "todo"}
    home = client.get("/").get_data(as_text=True)
    for href in ("/program/crumb", "/connect/crumb/alexa", "/console"):
        assert f'href="{href}"' in home  # each step links to the page that completes it

    programs.publish(services, shop_id, {"friend_reward_amount": 15})  # 15 %
    assert _steps(client)["program"] == "done"

    skill = "amzn1.ask.skill.0000aaaa-1111-2222-3333-444455556666"
    saved = client.post("/connect/crumb/alexa", data={"csrf_token": "tok",
                                                      "alexa_skill_id": skill})
    assert saved.status_code == 200
    steps = _steps(client)
    assert steps["assistant-alexa"] == "todo" and "assistant" not in steps
    assert "no verified request has arrived yet" in client.get("/").get_data(as_text=True)

    customers.save(services, shop_id, "c1", {"name": "Alex", "email": "alex@example.com",
                                              "marketing_consent": True})
    tried = client.post("/connect/crumb/alexa/try", json={"text": "share the referral program",
                                                          "user": "c1"},
                        headers={"X-CSRF-Token": "tok"})
    assert tried.status_code == 200 and tried.get_json()["status"] == 200
    services.assistant_status.flush()
    steps = _steps(client)
    assert steps["assistant-alexa"] == "done" and steps["share"] == "done"

    connect_store(services, shop_id, ConnectRequest("shopify", DOMAIN, APP_SECRET, TOKEN))
    assert _steps(client)["store-shopify"] == "todo"
    raw, headers = shopify_delivery(APP_SECRET, "customers/create", shopify_customer(),
                                    domain=DOMAIN)
    forged = client.post("/shopify/crumb/webhooks", data=raw,
                         headers={**headers, "X-Shopify-Hmac-Sha256": "AAAA"})
    assert forged.status_code == 401
    assert _steps(client)["store-shopify"] == "todo"  # a refused webhook is not a verified one
    assert client.post("/shopify/crumb/webhooks", data=raw, headers=headers).status_code == 200
    assert _steps(client)["store-shopify"] == "done"

    steps = _steps(client)
    assert steps["public_url"] == "todo"  # https://refer.test resolves nowhere
    assert "BASE_URL https://refer.test is not public" in client.get("/").get_data(as_text=True)
    assert 'id="golive-state">4 of 5 done' in client.get("/").get_data(as_text=True)


def test_a_public_url_step_needs_https_a_public_address_and_an_answer(services) -> None:
    def on(base: str, addresses: list[str]) -> Any:
        services.settings = services.settings.with_(base_url=base)
        services.resolve = lambda host, port: addresses
        return services

    assert "only a public https address" in golive.public_url_step(
        on("http://shop.example", ["203.0.113.7"]), lambda url: None).reason
    loopback = golive.public_url_step(on("https://tunnel.example", ["127.0.0.1"]),
                                      lambda url: None)
    assert not loopback.done and "is not public" in loopback.reason
    asked: list[str] = []
    silent = golive.public_url_step(on("https://tunnel.example", ["93.184.215.14"]),
                                    lambda url: asked.append(url) or "did not answer")
    assert not silent.done and asked == ["https://tunnel.example/livez"]
    assert golive.public_url_step(on("https://tunnel.example", ["93.184.215.14"]),
                                  lambda url: None).done


def test_the_probe_reports_a_server_that_does_not_speak_tls(services) -> None:
    from tests.support.http_servers import free_port

    port = free_port()  # nothing listens: refused
    assert "did not answer" in (golive.probe_https(f"https://127.0.0.1:{port}/livez") or "")


def test_support_staff_get_no_checklist_only_what_they_may_open(client, services,
                                                                 owner) -> None:
    with services.db.session() as db:
        row = StaffUser(shop_id=owner["shop_id"], email="sam@crumb.example", role="support",
                        password_hash=staff_accounts.hash_password("y" * 12),
                        email_verified_at=services.clock())
        db.add(row)
        db.flush()
        staff_id = row.id
    with client.session_transaction() as browser:
        sign_in_cookie(browser, services, staff_id, "tok")
    page = client.get("/").get_data(as_text=True)
    assert 'id="golive"' not in page and 'href="/console"' in page


@pytest.mark.parametrize("platform", ["alexa", "dialogflow-es", "dialogflow-cx", "alice"])
def test_each_connect_page_says_the_assistant_needs_a_public_https_address(
        client, services, owner, platform) -> None:
    services.settings = services.settings.with_(base_url="http://127.0.0.1:8000")
    page = client.get(f"/connect/crumb/{platform}").get_data(as_text=True)
    assert 'id="public-url"' in page and 'id="public-state">Not yet<' in page
    assert "only a public https address" in page and "cloudflared tunnel --url" in page
    home = client.get("/").get_data(as_text=True)
    assert 'href="/connect/crumb/alexa#public-url"' in home  # the checklist links there
