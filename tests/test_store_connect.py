"""The connect test: before a store connection is saved, a real call to the store with the
credentials given, its refusal shown as a field error; WooCommerce behind a server that
strips the Authorization header is connected with the key pair as query parameters (the
test chooses), and every call goes to the address resolved once when the URL was checked."""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import select

from core.errors import InvalidInput
from core.models import StoreConnection
from core.stores import jobs
from core.stores.base import StoreError, check_public_url
from core.stores.connections import ConnectRequest, connect_store, open_credentials
from core.stores.http import pinned_session
from tests.support.fake_stores import fake_shopify, fake_woocommerce

KEY, SECRET = "ck_0123456789abcdef0123456789abcdef01234567", "cs_fedcba9876543210fedcba98765"
TOKEN = "shpat_0123456789abcdef0123456789abcdef"


def shop_id(services) -> int:  # type: ignore[no-untyped-def]
    from core import referrals

    with services.db.session() as session:
        return referrals.shop_by_slug(session, "demo").id


def woo_request(url: str, key: str = KEY, secret: str = SECRET) -> ConnectRequest:
    return ConnectRequest(platform="woocommerce", store_url=url, consumer_key=key,
                          consumer_secret=secret)


def test_woocommerce_that_strips_authorization_is_connected_with_query_keys(
        services, demo) -> None:
    services.adapters.allow_private_store_urls = True
    with fake_woocommerce(KEY, SECRET) as woo:
        woo.strip_authorization = True
        connect_store(services, shop_id(services), woo_request(woo.url), test=True)
        with services.db.session() as session:
            conn = session.scalar(select(StoreConnection))
            assert open_credentials(services, conn)[0]["auth"] == "query"
        assert jobs.run_due(services).done >= 1  # webhooks registered with query keys
        posts = [c for c in woo.calls if c["body"]]
        assert posts and all("consumer_secret=" in c["path"] for c in posts)
        assert all("Authorization" not in c["headers"] for c in posts)
        assert [w["topic"] for w in woo.webhooks] == ["order.created", "order.updated"]


def test_woocommerce_that_keeps_authorization_stays_on_basic_auth(services, demo) -> None:
    services.adapters.allow_private_store_urls = True
    with fake_woocommerce(KEY, SECRET) as woo:
        connect_store(services, shop_id(services), woo_request(woo.url), test=True)
        with services.db.session() as session:
            conn = session.scalar(select(StoreConnection))
            assert open_credentials(services, conn)[0]["auth"] == "basic"


def test_wrong_keys_are_refused_at_save_with_the_stores_answer(services, demo) -> None:
    services.adapters.allow_private_store_urls = True
    with fake_woocommerce(KEY, SECRET) as woo, pytest.raises(InvalidInput) as refused:
        connect_store(services, shop_id(services), woo_request(woo.url, secret="cs_wrong"),
                      test=True)
    assert refused.value.details == {"fields": ["consumer_key"]}
    assert "read/write access" in refused.value.message
    with services.db.session() as session:
        assert session.scalar(select(StoreConnection)) is None  # nothing saved


def test_a_shopify_token_the_store_refuses_is_a_field_error(services, demo) -> None:
    with fake_shopify(TOKEN) as shop:
        services.adapters.store_origins = {"demo-shop.myshopify.com": shop.url}
        with pytest.raises(InvalidInput) as refused:
            connect_store(services, shop_id(services), ConnectRequest(
                platform="shopify", store_url="demo-shop.myshopify.com",
                access_token="shpat_wrong", webhook_secret="s"), test=True)
        assert refused.value.details == {"fields": ["access_token"]}
        assert "refused our credentials (401)" in refused.value.message
        connect_store(services, shop_id(services), ConnectRequest(
            platform="shopify", store_url="demo-shop.myshopify.com", access_token=TOKEN,
            webhook_secret="s"), test=True)


def test_a_store_on_a_private_address_or_plain_http_is_refused_before_any_call() -> None:
    with pytest.raises(StoreError, match="non-public address"):
        check_public_url("https://localhost/")
    with pytest.raises(StoreError, match="over https"):
        check_public_url("http://shop.example/")
    assert check_public_url("http://localhost:8080/", allow_private=True) in (
        "127.0.0.1", "::1")


def test_calls_go_to_the_address_resolved_once_with_the_stores_name_as_host() -> None:
    """The name does not resolve at all: the call can only have reached the stand-in
    through the address given, and the store still saw its own name."""
    with fake_woocommerce(KEY, SECRET) as woo:
        port = woo.url.rsplit(":", 1)[1]
        url = f"http://woo-shop.invalid:{port}"
        session = pinned_session(url, "127.0.0.1")
        answer = session.get(f"{url}/wp-json/wc/v3/webhooks", auth=(KEY, SECRET), timeout=5)
        assert answer.status_code == 200 and json.loads(answer.text) == []
        assert woo.calls[-1]["headers"]["Host"] == f"woo-shop.invalid:{port}"
        with pytest.raises(requests.ConnectionError, match=r"only woo-shop\.invalid"):
            session.get(f"http://elsewhere.invalid:{port}/", timeout=5)
