"""Clicks when shops and codes go away under other processes (issue 26, item 1): a click
queued for a deleted shop must not poison the batch (every later click in that process was
lost), and an erased customer's link stops in every process, not only the one that erased.
Two `Services` on one database stand for two web workers: each has its own caches."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from core import codes, privacy, referrals, staff_accounts
from core.models import Click, Customer, Shop
from core.services import Services, bootstrap


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _other_process(services: Services) -> Services:
    return bootstrap(services.settings, db=services.db, clock=services.clock,
                     background_clicks=False)


def _client(services: Services) -> Any:
    from fulfillment.app import create_app

    app = create_app(services=services)
    app.config["TESTING"] = True
    return app.test_client()


def _second_shop_code(services: Services) -> str:
    with services.db.session() as s:
        shop = Shop(slug="bookshop", name="Bookshop", landing_url="https://books.test/")
        s.add(shop)
        s.flush()
        customer = Customer(shop_id=shop.id, name="Maria", external_id="maria")
        s.add(customer)
        s.flush()
        return referrals.ensure_code(s, customer).code


def _clicks(services: Services, code: str) -> int:
    with services.db.session() as s:
        target = referrals.find_code(s, code)
        return int(s.scalar(select(func.count(Click.id)).where(
            Click.code_id == target.id)) or 0)


@pytest.fixture
def frozen_caches(services: Services) -> list[float]:
    """This process's cache clocks, stopped: moved only by the test."""
    now = [1000.0]
    services.codes.timer = lambda: now[0]
    services.invalidations.timer = lambda: now[0]
    return now


def test_a_click_for_a_deleted_shop_does_not_stop_other_shops_clicks(
        client, services, demo, frozen_caches) -> None:
    other_code = _second_shop_code(services)
    demo_path = _path(demo["link"])
    assert client.get(demo_path).status_code == 302  # this process caches the demo code
    services.clicks.flush()

    elsewhere = _other_process(services)
    with elsewhere.db.session() as s:
        shop_id = s.scalar(select(Shop.id).where(Shop.slug == demo["shop"]))
        staff_accounts.delete_shop(s, shop_id=shop_id, confirm_slug=demo["shop"])

    client.get(demo_path)  # served from this process's cache within the check interval
    for _ in range(60):
        assert client.get(f"/r/{other_code}?c=sms").status_code == 302
    services.clicks.flush()
    services.clicks.flush()

    assert _clicks(services, other_code) == 60
    assert services.clicks.pending == 0
    assert services.clicks.dropped == 1


def test_an_erased_customers_link_stops_in_every_process(
        client, services, demo, frozen_caches) -> None:
    compact = codes.normalize(demo["code"])
    assert client.get(f"/r/{compact}").status_code == 302  # cached here
    services.clicks.flush()
    with services.db.session() as s:
        code_id = referrals.find_code(s, compact).id

    elsewhere = _other_process(services)
    with elsewhere.db.session() as s:
        shop_id = s.scalar(select(Shop.id).where(Shop.slug == demo["shop"]))
        privacy.erase_customer(s, elsewhere, shop_id, demo["customer"]["external_id"])

    for _ in range(30):  # still within this process's check interval
        client.get(f"/r/{compact}", headers={"User-Agent": "Mozilla/5.0"})
    services.clicks.flush()
    with services.db.session() as s:
        after = s.scalar(select(func.count(Click.id)).where(Click.code_id == code_id))
    assert after == 1  # the click from before the erasure (scrubbed), none after
    assert services.clicks.dropped == 30

    frozen_caches[0] += 1.5  # the next check sees the erasure: the link is gone here too
    assert client.get(f"/r/{compact}").status_code == 404


def test_a_row_the_database_refuses_is_dropped_and_the_rest_written(
        services, demo) -> None:
    from core.clicks import PendingClick

    if not services.db.is_postgres:
        pytest.skip("SQLite does not enforce a column's length: nothing to refuse")
    with services.db.session() as s:
        target = referrals.find_code(s, codes.normalize(demo["code"]))
        code_id, shop_id = target.id, target.shop_id
    at = services.clock()
    good = PendingClick(code_id, shop_id, "sms", "203.0.113.9", "Mozilla/5.0", at)
    bad = PendingClick(code_id, shop_id, "x" * 40, None, "Mozilla/5.0", at)  # 16-char column
    for click in (good, bad, good):
        services.clicks.record(click)
    services.clicks.flush()
    with services.db.session() as s:
        assert s.scalar(select(func.count(Click.id))) == 2
    assert services.clicks.pending == 0
