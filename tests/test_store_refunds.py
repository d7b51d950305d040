"""Refunds as Shopify and WooCommerce send them, against the demo program (a minimum order
of $20.00 before shipping and tax): the order keeps what each amount means (the subtotal
that counts toward the minimum, the total paid, the buyer's presentment currency), a refund
is compared with the right one, a shipping-only refund never reverses, a partial refund
reverses only when what is kept falls under the minimum, and a full refund with shipping
and tax reverses both rewards exactly once. Bodies follow each platform's documented
example payloads (tests/support/store_samples.py names the page beside each)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from core.models import Conversion, LedgerEntry
from tests.support.fake_stores import FakeStore, fake_shopify, fake_woocommerce
from tests.support.store_samples import (
    shopify_customer,
    shopify_delivery,
    shopify_order,
    shopify_refund,
    woo_delivery,
    woo_order,
)

DOMAIN = "demo-shop.myshopify.com"
TOKEN = "shpat_0123456789abcdef0123456789abcdef"
APP_SECRET = "shpss_app-secret-that-signs-webhooks"
KEY, SECRET = "ck_0123456789abcdef0123456789abcdef01234567", "cs_fedcba9876543210fedcba98765"


@pytest.fixture
def shopify(client, services, demo) -> Iterator[FakeStore]:  # type: ignore[no-untyped-def]
    with fake_shopify(TOKEN) as fake:
        services.adapters.store_origins = {DOMAIN: fake.url}
        answer = client.put("/api/v1/store",
                            headers={"Authorization": f"Bearer {demo['api_key']}"},
                            json={"platform": "shopify", "shop_domain": DOMAIN,
                                  "access_token": TOKEN, "webhook_secret": APP_SECRET})
        assert answer.status_code == 200, answer.get_json()
        yield fake


@pytest.fixture
def woo(client, services, demo) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The webhook secret made for the shop at connection."""
    with fake_woocommerce(KEY, SECRET) as fake:
        services.adapters.allow_private_store_urls = True
        answer = client.put("/api/v1/store",
                            headers={"Authorization": f"Bearer {demo['api_key']}"},
                            json={"platform": "woocommerce", "store_url": fake.url,
                                  "consumer_key": KEY, "consumer_secret": SECRET})
        assert answer.status_code == 200, answer.get_json()
        yield answer.get_json()["webhook_secret"]


def to_shopify(client, topic: str, body: dict[str, Any], **kw: Any):  # type: ignore[no-untyped-def]
    raw, headers = shopify_delivery(APP_SECRET, topic, body, **kw)
    return client.post("/shopify/demo/webhooks", data=raw, headers=headers)


def to_woo(client, secret: str, body: dict[str, Any], **kw: Any):  # type: ignore[no-untyped-def]
    raw, headers = woo_delivery(secret, "order.updated", body, **kw)
    return client.post("/woocommerce/demo/webhooks", data=raw, headers=headers)


def reversals(services) -> int:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        return int(session.scalar(select(func.count(LedgerEntry.id)).where(
            LedgerEntry.entry_type == "reversal")) or 0)


def refund_result(answer) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["results"][-1]["result"]  # type: ignore[no-any-return]


# --- Shopify -----------------------------------------------------------------------------

def test_a_shopify_order_keeps_its_subtotal_its_total_and_the_buyers_currency(
        shopify, client, services, demo):
    paid = to_shopify(client, "orders/paid", shopify_order(
        codes=[demo["code"]], presentment="EUR", rate="0.9"))
    assert paid.status_code == 200, paid.get_json()
    with services.db.session() as session:
        conversion = session.scalar(select(Conversion))
        assert (conversion.amount, conversion.total_amount, conversion.currency) == (
            6000, 7000, "USD")
        assert (conversion.presentment_currency, conversion.presentment_total) == ("EUR", 6300)


def test_a_full_shopify_refund_with_shipping_and_tax_reverses_once(shopify, client, services,
                                                                    demo):
    to_shopify(client, "orders/paid", shopify_order(codes=[demo["code"]]))  # 60 + 5 + 5
    full = shopify_refund(amount="70.00", items=[("60.00", "5.00")], shipping="5.00")
    first = to_shopify(client, "refunds/create", full, webhook_id="refund-1")
    assert refund_result(first)["reversed"] == 2  # was 422 refund_exceeds_order
    again = to_shopify(client, "refunds/create", full, webhook_id="refund-1")
    assert again.status_code == 200 and again.get_json()["replayed"] is True
    resent = to_shopify(client, "refunds/create", full, webhook_id="refund-1-resent")
    assert resent.get_json()["results"][-1]["replayed"] is True  # the same refund id
    assert reversals(services) == 2


def test_a_shipping_only_shopify_refund_never_reverses(shopify, client, services, demo):
    to_shopify(client, "orders/paid", shopify_order(codes=[demo["code"]], subtotal="20.00"))
    shipping = shopify_refund(amount="5.00", items=[], shipping="5.00")
    assert refund_result(to_shopify(client, "refunds/create", shipping)) == {
        "reversed": 0, "reason": "order_still_qualifies", "kept": 2000}
    assert reversals(services) == 0


def test_a_partial_shopify_refund_reverses_only_when_what_is_kept_falls_under_the_minimum(
        shopify, client, services, demo):
    to_shopify(client, "orders/paid", shopify_order(codes=[demo["code"]]))
    first = shopify_refund(refund_id=1, amount="33.00", items=[("30.00", "3.00")])
    assert refund_result(to_shopify(client, "refunds/create", first))["kept"] == 3000
    assert reversals(services) == 0
    second = shopify_refund(refund_id=2, amount="22.00", items=[("20.00", "2.00")])
    assert refund_result(to_shopify(client, "refunds/create", second))["reversed"] == 2
    third = shopify_refund(refund_id=3, amount="10.00", items=[("10.00", "0.00")])
    assert refund_result(to_shopify(client, "refunds/create", third)) == {
        "reversed": 0, "kept": 0, "reason": "already_reversed"}
    assert reversals(services) == 2


def test_a_multi_currency_refund_is_compared_with_what_the_buyer_paid_in_their_currency(
        shopify, client, services, demo):
    """Shop in USD, buyer in EUR: the transactions are in EUR (63.00 of 70.00 USD), the
    refunded lines' subtotal in the shop's money."""
    to_shopify(client, "orders/paid", shopify_order(codes=[demo["code"]], presentment="EUR",
                                                    rate="0.9"))
    shipping = shopify_refund(refund_id=1, amount="4.50", currency="EUR", shipping="5.00",
                              rate="0.9")
    assert refund_result(to_shopify(client, "refunds/create", shipping))["kept"] == 6000
    rest = shopify_refund(refund_id=2, amount="58.50", currency="EUR",
                          items=[("60.00", "5.00")], rate="0.9")
    assert refund_result(to_shopify(client, "refunds/create", rest))["reversed"] == 2
    with services.db.session() as session:
        conversion = session.scalar(select(Conversion))
        assert (conversion.refunded_presentment, conversion.refunded_amount,
                conversion.refunded_subtotal) == (6300, 0, 6000)
    other = shopify_refund(refund_id=3, amount="1.00", currency="GBP")
    refused = to_shopify(client, "refunds/create", other)
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == \
        "refund_currency"


def test_a_refund_of_more_than_was_paid_is_refused_with_what_is_left(shopify, client, demo):
    to_shopify(client, "orders/paid", shopify_order(codes=[demo["code"]]))
    answer = to_shopify(client, "refunds/create", shopify_refund(amount="70.01"))
    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == "refund_exceeds_order"
    assert answer.get_json()["error"]["details"]["refundable"] == 7000


@pytest.mark.parametrize("topic, body, field", [
    ("refunds/create", shopify_refund(amount="1e30"), "out of range"),
    ("orders/paid", shopify_order(total="1e30"), "out of range"),
    ("orders/paid", shopify_order(customer_id="7" * 200), "100 characters"),
    ("customers/create", shopify_customer("7" * 200), "100 characters"),  # type: ignore[arg-type]
    ("refunds/create", shopify_refund(refund_key="9" * 200), "100 characters"),
])
def test_out_of_range_shopify_values_are_a_422_with_the_reason(shopify, client, demo, topic,
                                                               body, field):
    answer = to_shopify(client, topic, body)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert field in answer.get_json()["error"]["message"]


# --- WooCommerce -------------------------------------------------------------------------

def test_a_full_woocommerce_refund_with_shipping_reverses_once(woo, client, services, demo):
    to_woo(client, woo, woo_order(codes=[demo["code"]]))  # 65.00 with 5.00 shipping
    with services.db.session() as session:
        conversion = session.scalar(select(Conversion))
        assert (conversion.amount, conversion.total_amount) == (6000, 6500)
    refunded = woo_order(codes=[demo["code"]], status="refunded",
                         refunds=[{"id": 735, "reason": "", "total": "-65.00"}])
    assert refund_result(to_woo(client, woo, refunded))["reversed"] == 2  # was 422
    assert to_woo(client, woo, refunded).get_json()["results"][-1]["replayed"] is True
    assert reversals(services) == 2


def test_a_woocommerce_shipping_refund_never_reverses_and_a_later_item_refund_may(
        woo, client, services, demo):
    to_woo(client, woo, woo_order(codes=[demo["code"]], total="30.00", tax="2.00"))
    shipping = [{"id": 740, "reason": "late", "total": "-7.00"}]  # shipping 5 + tax 2
    assert refund_result(to_woo(client, woo, woo_order(
        codes=[demo["code"]], total="30.00", tax="2.00", refunds=shipping)))["kept"] == 2300
    # WooCommerce lists the newest refund first; the older one is answered from before.
    item = [{"id": 741, "reason": "broken", "total": "-4.00"}, *shipping]
    assert refund_result(to_woo(client, woo, woo_order(
        codes=[demo["code"]], total="30.00", tax="2.00", refunds=item)))["reversed"] == 2
    assert reversals(services) == 2


def test_a_partial_woocommerce_refund_keeping_the_minimum_reverses_nothing(woo, client,
                                                                          services, demo):
    to_woo(client, woo, woo_order(codes=[demo["code"]]))
    partial = woo_order(codes=[demo["code"]], refunds=[{"id": 736, "total": "-30.00"}])
    assert refund_result(to_woo(client, woo, partial)) == {
        "reversed": 0, "reason": "order_still_qualifies", "kept": 3500}
    assert reversals(services) == 0


@pytest.mark.parametrize("body, field", [
    (woo_order(total="1e30"), "out of range"),
    (woo_order(refunds=[{"id": 1, "total": "-1e30"}]), "out of range"),
    (woo_order(customer_id="7" * 200), "100 characters"),
    (woo_order(order_id="7" * 200), "100 characters"),
])
def test_out_of_range_woocommerce_values_are_a_422_with_the_reason(woo, client, demo, body,
                                                                   field):
    answer = to_woo(client, woo, {**body, "coupon_lines": [{"code": demo["code"]}]})
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert field in answer.get_json()["error"]["message"]
