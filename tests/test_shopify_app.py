"""The deployment's Shopify app against the local stand-in speaking Shopify's OAuth endpoints
as documented: install from Shopify's signed app URL or the store page, authorize, callback
(HMAC, one-use state, the same shop domain), the code exchanged for an offline token (an
expiring one refreshed before it lapses), webhooks registered; the app-wide webhook address
(HMAC with SHOPIFY_API_SECRET); app/uninstalled disconnects; the three compliance webhooks
export and erase what they should and refuse a bad HMAC with 401; shopify.app.toml."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import JSON, String, Text, func, select

from core.config import Settings, ShopifyAppSettings
from core.models import Base, Conversion, Customer, Message, StoreConnection, StoreWebhook
from core.stores import jobs
from core.stores.connections import open_credentials
from tests.support.fake_stores import FakeStore, fake_shopify, shopify_query_hmac
from tests.support.store_samples import shopify_customer, shopify_delivery, shopify_order

DOMAIN = "demo-shop.myshopify.com"
API_KEY, API_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "shpss_the-apps-own-secret-0123456789"
TOKEN = "shpat_offline_0123456789abcdef0123456789"
CALLBACK = "https://refer.test/shopify/callback"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(shopify_app=ShopifyAppSettings(api_key=API_KEY,
                                                         api_secret=API_SECRET))


@pytest.fixture
def shopify(services, clock) -> Iterator[FakeStore]:  # type: ignore[no-untyped-def]
    with fake_shopify(TOKEN) as fake:
        fake.oauth = {"api_key": API_KEY, "api_secret": API_SECRET, "redirect_uri": CALLBACK}
        fake.now = lambda: clock().timestamp()
        services.adapters.store_origins = {DOMAIN: fake.url}
        services.adapters.store_timeout = (2.0, 2.0)
        yield fake


def signed(params: dict[str, str], secret: str = API_SECRET) -> str:
    return urlencode({**params, "hmac": shopify_query_hmac(secret, params)})


def follow_to_callback(shopify: FakeStore, authorize_url: str) -> str:
    """The merchant approves on Shopify's page: the stand-in's Install link redirects to our
    callback with code, hmac, shop, state and timestamp."""
    assert authorize_url.startswith(f"https://{DOMAIN}/admin/oauth/authorize?")
    authorize_url = authorize_url.replace(f"https://{DOMAIN}", shopify.url, 1)
    page = requests.get(authorize_url, timeout=5)
    assert page.status_code == 200 and "Install app" in page.text
    approve = requests.get(f"{shopify.url}/admin/oauth/approve?{urlsplit(authorize_url).query}",
                           allow_redirects=False, timeout=5)
    location = approve.headers["Location"]
    assert location.startswith(CALLBACK + "?")
    return location.removeprefix("https://refer.test")


@pytest.fixture
def installed(client, shopify, demo, clock) -> Any:  # type: ignore[no-untyped-def]
    """Shopify opens the app URL for a shop already ours (the store page began it)."""
    begin = client.get("/shopify/install?" + signed(
        {"shop": DOMAIN, "timestamp": str(int(clock().timestamp()))}))
    assert begin.status_code == 404  # no shop here waits for this store yet: start from ours
    staff_login(client, demo)
    start = client.post("/connect/demo/shopify", data={
        "action": "install", "shop_domain": DOMAIN, "csrf_token": csrf(client, "shopify")})
    assert start.status_code == 303, start.get_data(as_text=True)
    callback = client.get(follow_to_callback(shopify, start.headers["Location"]))
    assert callback.status_code == 302, callback.get_data(as_text=True)
    assert callback.headers["Location"].endswith("/connect/demo/shopify?installed=1")
    return callback


def staff_login(client, demo) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/console/login")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post("/console/login", data={
        "email": demo["staff"]["email"], "password": demo["staff"]["password"],
        "csrf_token": token})
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)


def csrf(client, platform: str) -> str:  # type: ignore[no-untyped-def]
    page = client.get(f"/connect/demo/{platform}")
    assert page.status_code == 200, page.get_data(as_text=True)
    return page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]


def app_delivery(client, topic: str, body: dict[str, Any], *,  # type: ignore[no-untyped-def]
                 secret: str = API_SECRET, domain: str = DOMAIN):
    raw, headers = shopify_delivery(secret, topic, body, domain=domain)
    return client.post("/shopify/webhooks", data=raw, headers=headers)


# --- install -------------------------------------------------------------------------------

def test_install_authorize_callback_token_and_webhooks(installed, shopify, services, demo):
    exchange = next(c for c in shopify.calls if c["path"] == "/admin/oauth/access_token")
    assert json.loads(exchange["body"])["client_secret"] == API_SECRET
    with services.db.session() as session:
        conn = session.scalar(select(StoreConnection))
        creds, secret = open_credentials(services, conn)
        assert (creds["access_token"], creds["oauth"], secret) == (TOKEN, "app", API_SECRET)
        assert TOKEN not in conn.credentials_sealed and conn.webhooks_registered_at
    assert {(w["topic"], w["uri"]) for w in shopify.webhooks} == {
        (t, "https://refer.test/shopify/webhooks")
        for t in ("ORDERS_PAID", "REFUNDS_CREATE", "CUSTOMERS_CREATE")}
    jobs.run_due(services)  # the queued registration finds them taken: done, no duplicates
    assert len(shopify.webhooks) == 3


def test_an_app_wide_webhook_converts_and_a_forged_one_is_refused(installed, client, services,
                                                                  demo):
    forged = app_delivery(client, "orders/paid", shopify_order(codes=[demo["code"]]),
                          secret="shpss_not-the-apps")
    assert forged.status_code == 401
    paid = app_delivery(client, "orders/paid", shopify_order(codes=[demo["code"]]))
    assert paid.status_code == 200 and paid.get_json()["results"][0]["result"]["conversion"]
    with services.db.session() as session:
        assert session.scalar(select(func.count(Conversion.id))) == 1
    unknown = app_delivery(client, "orders/paid", shopify_order(), domain="other.myshopify.com")
    assert unknown.status_code == 200 and unknown.get_json()["status"] == "no_shop"


def test_a_forged_install_hmac_is_refused(client, shopify, clock):
    params = {"shop": DOMAIN, "timestamp": str(int(clock().timestamp()))}
    forged = client.get("/shopify/install?" + signed(params, "shpss_someone-else"))
    assert forged.status_code == 401 and b"bad_hmac" in forged.data
    unsigned = client.get("/shopify/install?" + urlencode(params))
    assert unsigned.status_code == 401
    stale = client.get("/shopify/install?" + signed({"shop": DOMAIN, "timestamp": str(
        int(clock().timestamp()) - 7200)}))
    assert stale.status_code == 401


def begun(client, demo) -> dict[str, str]:  # type: ignore[no-untyped-def]
    staff_login(client, demo)
    start = client.post("/connect/demo/shopify", data={
        "action": "install", "shop_domain": DOMAIN, "csrf_token": csrf(client, "shopify")})
    return {k: v[0] for k, v in parse_qs(urlsplit(start.headers["Location"]).query).items()}


def test_a_wrong_or_reused_state_is_refused(client, shopify, demo, clock, services):
    authorize = begun(client, demo)
    params = {"code": "x", "shop": DOMAIN, "state": "not-the-state",
              "timestamp": str(int(clock().timestamp()))}
    wrong = client.get("/shopify/callback?" + signed(params))
    assert wrong.status_code == 403 and b"bad_state" in wrong.data
    location = follow_to_callback(shopify, f"https://{DOMAIN}/admin/oauth/authorize?"
                                  + urlencode(authorize))
    assert client.get(location).status_code == 302
    assert client.get(location).status_code == 403  # the state is used once


def test_a_foreign_shop_domain_is_refused(client, shopify, demo, clock, services):
    authorize = begun(client, demo)
    params = {"code": "x", "shop": "other-shop.myshopify.com", "state": authorize["state"],
              "timestamp": str(int(clock().timestamp()))}
    foreign = client.get("/shopify/callback?" + signed(params))
    assert foreign.status_code == 403 and b"wrong_shop" in foreign.data
    not_shopify = client.get("/shopify/callback?" + signed({**params, "shop": "evil.example"}))
    assert not_shopify.status_code == 422
    with services.db.session() as session:
        assert session.scalar(select(StoreConnection)) is None


def test_a_forged_callback_hmac_is_refused(client, shopify, demo, clock):
    authorize = begun(client, demo)
    params = {"code": "x", "shop": DOMAIN, "state": authorize["state"],
              "timestamp": str(int(clock().timestamp()))}
    assert client.get("/shopify/callback?" + signed(params, "forged")).status_code == 401


# --- uninstall and compliance --------------------------------------------------------------

def test_app_uninstalled_disconnects(installed, client, services, demo, shopify):
    assert app_delivery(client, "app/uninstalled", {"id": 1, "domain": DOMAIN}).status_code \
        == 200
    with services.db.session() as session:
        conn = session.scalar(select(StoreConnection))
        assert conn.disconnected_at is not None and TOKEN not in json.dumps(
            open_credentials(services, conn)[0])
    raw, headers = shopify_delivery(API_SECRET, "orders/paid", shopify_order())
    assert client.post("/shopify/demo/webhooks", data=raw, headers=headers).status_code == 404
    calls = len(shopify.calls)
    jobs.run_due(services)
    assert len(shopify.calls) == calls  # nothing calls the store any more


@pytest.mark.parametrize("topic", ["customers/data_request", "customers/redact",
                                   "shop/redact"])
def test_compliance_webhooks_with_a_bad_hmac_are_401(installed, client, topic):
    body = {"shop_id": 954889, "shop_domain": DOMAIN}
    assert app_delivery(client, topic, body, secret="wrong").status_code == 401
    raw, headers = shopify_delivery(API_SECRET, topic, body)
    del headers["X-Shopify-Hmac-Sha256"]
    assert client.post("/shopify/webhooks", data=raw, headers=headers).status_code == 401


EMAIL, NAME = "jon.redact@example.com", "Jonredact"


def bought(client, demo) -> None:  # type: ignore[no-untyped-def]
    """A buyer known from the store: customers/create, then an order with the code."""
    customer = shopify_customer(115310627314723954, email=EMAIL)
    customer["first_name"] = NAME
    assert app_delivery(client, "customers/create", customer).status_code == 200
    order = shopify_order(codes=[demo["code"]], email=EMAIL)
    order["customer"]["first_name"] = NAME
    assert app_delivery(client, "orders/paid", order).status_code == 200


def text_columns_holding(services, *values: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Every text, string and JSON column of every table, searched for the values."""
    found = []
    with services.db.session() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)
                       or "JSON" in type(c.type).__name__]
            if not columns:
                continue
            for row in session.execute(select(*columns)):
                text = json.dumps([str(v) for v in row], ensure_ascii=False).lower()
                for value in values:
                    if value.lower() in text:
                        found.append(f"{table.name}: {value}")
    return found


# Compliance payloads as in Shopify's privacy law compliance reference
# (https://shopify.dev/docs/apps/build/compliance/privacy-law-compliance: customers/redact,
# customers/data_request and shop/redact example bodies).

def test_customers_redact_erases_the_customer_everywhere(installed, client, services, demo):
    bought(client, demo)
    assert text_columns_holding(services, EMAIL, NAME, "115310627314723954")  # it is there
    redact = {"shop_id": 954889, "shop_domain": DOMAIN, "orders_to_redact": [820982911946154508],
              "customer": {"id": 115310627314723954, "email": EMAIL, "phone": None}}
    answer = app_delivery(client, "customers/redact", redact)
    assert answer.status_code == 200 and answer.get_json()["results"][0]["erased"] == 1
    assert text_columns_holding(services, EMAIL, NAME, "115310627314723954") == []
    with services.db.session() as session:
        conversion = session.scalar(select(Conversion))
        assert conversion.amount == 6000  # the accounting record stays, under a tombstone


def test_customers_data_request_mails_the_export_to_the_shop_owner(installed, client, services,
                                                                   demo):
    bought(client, demo)
    request = {"shop_id": 954889, "shop_domain": DOMAIN, "orders_requested": [820982911946154508],
               "customer": {"id": 115310627314723954, "email": EMAIL},
               "data_request": {"id": 9999}}
    answer = app_delivery(client, "customers/data_request", request)
    assert answer.get_json()["results"][0] == {"action": "data_request", "exported": 1,
                                               "sent_to_owners": 1}
    with services.db.session() as session:
        message = session.scalar(select(Message).where(Message.kind == "store_data_request"))
        assert message.recipient == demo["staff"]["email"] and message.channel == "email"
        export = json.loads(message.context["export"])
    assert export["shopify_data_request"] == "9999"
    assert export["customers"][0]["profile"]["email"] == EMAIL


def test_shop_redact_erases_every_customer_of_the_shop(installed, client, services, demo):
    bought(client, demo)
    assert app_delivery(client, "app/uninstalled", {"id": 1}).status_code == 200
    answer = app_delivery(client, "shop/redact", {"shop_id": 954889, "shop_domain": DOMAIN})
    assert answer.status_code == 200 and answer.get_json()["results"][0]["erased"] >= 2
    assert text_columns_holding(services, EMAIL, NAME, "alex@example.com") == []
    with services.db.session() as session:
        assert all(c.external_id is None or c.external_id.startswith("erased_")
                   for c in session.scalars(select(Customer)))
        assert all(w.body == "" for w in session.scalars(select(StoreWebhook)))


# --- tokens that expire, and the app's configuration file -----------------------------------

def test_an_expiring_offline_token_is_refreshed_before_it_lapses(client, shopify, demo, clock,
                                                                 services):
    services.settings = services.settings.with_(shopify_app=ShopifyAppSettings(
        api_key=API_KEY, api_secret=API_SECRET, expiring_tokens=True))
    authorize = begun(client, demo)
    callback = client.get(follow_to_callback(
        shopify, f"https://{DOMAIN}/admin/oauth/authorize?" + urlencode(authorize)))
    assert callback.status_code == 302
    with services.db.session() as session:
        creds = open_credentials(services, session.scalar(select(StoreConnection)))[0]
    assert creds["refresh_token"].startswith("shprt_") and creds["expires_at"]
    clock.advance(minutes=58)  # within five minutes of the hour
    jobs.run_due(services)  # the friend's discount: made with a refreshed token
    with services.db.session() as session:
        fresh = open_credentials(services, session.scalar(select(StoreConnection)))[0]
    assert fresh["access_token"] != TOKEN and TOKEN not in shopify.tokens
    assert shopify.discounts  # the call with the new token worked


def test_the_app_toml_is_generated_for_this_deployment(client, demo, shopify):
    staff_login(client, demo)
    answer = client.get("/connect/demo/shopify/shopify.app.toml")
    assert answer.status_code == 200
    config = tomllib.loads(answer.get_data(as_text=True))
    assert config["client_id"] == API_KEY
    assert config["auth"]["redirect_urls"] == [CALLBACK]
    assert config["access_scopes"]["scopes"] == ShopifyAppSettings.scopes
    assert config["webhooks"]["api_version"] == "2026-07"
    subs = config["webhooks"]["subscriptions"]
    assert {"customers/data_request", "customers/redact", "shop/redact"} == set(
        next(s for s in subs if "compliance_topics" in s)["compliance_topics"])
    assert all(s["uri"] == "https://refer.test/shopify/webhooks" for s in subs)



def test_a_refused_expiring_token_is_refreshed_once_and_the_call_made_again(
        client, shopify, demo, services):
    services.settings = services.settings.with_(shopify_app=ShopifyAppSettings(
        api_key=API_KEY, api_secret=API_SECRET, expiring_tokens=True))
    authorize = begun(client, demo)
    assert client.get(follow_to_callback(
        shopify, f"https://{DOMAIN}/admin/oauth/authorize?" + urlencode(authorize))
    ).status_code == 302
    shopify.tokens.discard(TOKEN)  # Shopify no longer takes it, well before its hour
    result = jobs.run_due(services)
    assert result.failed == 0 and shopify.discounts  # refreshed, then made
    with services.db.session() as session:
        fresh = open_credentials(services, session.scalar(select(StoreConnection)))[0]
    assert fresh["access_token"] in shopify.tokens and fresh["access_token"] != TOKEN
