"""Signed fuzz of both stores' webhooks: damaged versions of each platform's documented
example payloads (tests/support/store_samples.py), with out-of-range values among the
replacements ("1e30" amounts, 200-character ids, negative and huge numbers), signed the way
the store signs them so they get past verification and reach the mappers, the inbox and
core. Every answer is a 2xx or a 4xx with a reason: zero 5xx."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from core.config import Settings, ShopifyAppSettings
from tests.support.damaged import _REMOVE, _apply, _paths, json_values
from tests.support.fake_stores import fake_woocommerce
from tests.support.store_samples import (
    shopify_customer,
    shopify_delivery,
    shopify_order,
    shopify_refund,
    sign,
    woo_order,
)

API_KEY, API_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "shpss_the-apps-own-secret-0123456789"
LEGACY_SECRET = "shpss_app-secret-that-signs-webhooks"
DOMAIN = "demo-shop.myshopify.com"
KEY, SECRET = "ck_0123456789abcdef0123456789abcdef01234567", "cs_fedcba9876543210fedcba98765"
EXTREMES = st.sampled_from(["1e30", "-1e30", "1E+400", "0.000000001", "-5.00", "NaN",
                            "Infinity", 10**30, -1, 2**63, 1.5e308, "7" * 200, "",
                            "x" * 5000, {"amount": "1e30"}, [], None, True])
REPLACEMENTS = json_values | EXTREMES | st.just(_REMOVE)


def damaged(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    edit = st.tuples(st.sampled_from(_paths(base)), REPLACEMENTS)
    return st.lists(edit, min_size=1, max_size=3).map(lambda edits: _apply(base, edits))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(shopify_app=ShopifyAppSettings(api_key=API_KEY,
                                                         api_secret=API_SECRET))


def shopify_samples(code: str) -> list[tuple[str, dict[str, Any]]]:
    # customers/redact and customers/data_request after Shopify's examples
    # (https://shopify.dev/docs/apps/build/compliance/privacy-law-compliance).
    redact = {"shop_id": 954889, "shop_domain": DOMAIN, "orders_to_redact": [1],
              "customer": {"id": 191167, "email": "john@example.com", "phone": "555-625-1199"}}
    return [("orders/paid", shopify_order(codes=[code])),
            ("orders/paid", shopify_order(order_id=2, codes=[code], presentment="EUR",
                                          rate="0.9")),
            ("refunds/create", shopify_refund(amount="70.00", items=[("60.00", "5.00")],
                                              shipping="5.00")),
            ("customers/create", shopify_customer()),
            ("customers/redact", redact),
            ("customers/data_request", {**redact, "data_request": {"id": 9999}})]


@pytest.fixture
def shopify_connected(client, demo) -> None:  # type: ignore[no-untyped-def]
    answer = client.put("/api/v1/store", headers={"Authorization": f"Bearer {demo['api_key']}"},
                        json={"platform": "shopify", "shop_domain": DOMAIN,
                              "access_token": "shpat_x", "webhook_secret": LEGACY_SECRET})
    assert answer.status_code == 200


@pytest.mark.parametrize("route", ["/shopify/demo/webhooks", "/shopify/webhooks"])
def test_signed_damaged_shopify_deliveries_never_get_a_500(client, demo, shopify_connected,
                                                           route: str) -> None:
    secret = API_SECRET if route == "/shopify/webhooks" else LEGACY_SECRET
    samples = shopify_samples(demo["code"])
    answered: Counter[int] = Counter()
    for topic, body in samples[:1]:  # a real order first, so refunds meet a conversion
        raw, headers = shopify_delivery(secret, topic, body)
        answered[client.post(route, data=raw, headers=headers).status_code] += 1

    @examples(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=st.sampled_from(samples).flatmap(
        lambda sample: st.tuples(st.just(sample[0]), damaged(sample[1]))))
    def post(case: tuple[str, dict[str, Any]]) -> None:
        topic, body = case
        raw, headers = shopify_delivery(secret, topic, body, webhook_id=str(uuid.uuid4()))
        response = client.post(route, data=raw, headers=headers)
        answered[response.status_code] += 1
        assert response.status_code < 500, (topic, body, response.get_data(as_text=True))
        if response.status_code >= 400:
            assert response.get_json()["error"]["message"]  # a reason, always

    post()
    assert sum(n for status, n in answered.items() if status >= 500) == 0
    assert answered[200] and answered[422]  # the damage reached the mappers both ways


@pytest.fixture
def woo_secret(client, demo, services) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with fake_woocommerce(KEY, SECRET) as fake:
        services.adapters.allow_private_store_urls = True
        answer = client.put("/api/v1/store",
                            headers={"Authorization": f"Bearer {demo['api_key']}"},
                            json={"platform": "woocommerce", "store_url": fake.url,
                                  "consumer_key": KEY, "consumer_secret": SECRET})
        yield answer.get_json()["webhook_secret"]


def test_signed_damaged_woocommerce_deliveries_never_get_a_500(client, demo,
                                                               woo_secret: str) -> None:
    base = woo_order(codes=[demo["code"]], status="refunded",
                     refunds=[{"id": 735, "reason": "damaged", "total": "-65.00"}])
    answered: Counter[int] = Counter()

    def send(body: Any, topic: str = "order.updated") -> int:
        raw = json.dumps(body).encode()
        response = client.post("/woocommerce/demo/webhooks", data=raw, headers={
            "Content-Type": "application/json", "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Signature": sign(woo_secret, raw),
            "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex})
        answered[response.status_code] += 1
        assert response.status_code < 500, (body, response.get_data(as_text=True))
        return response.status_code

    send(woo_order(codes=[demo["code"]]))

    @examples(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=damaged(base) | json_values,
           topic=st.sampled_from(["order.updated", "order.created", "order.deleted"]))
    def post(body: Any, topic: str) -> None:
        send(body, topic)

    post()
    assert sum(n for status, n in answered.items() if status >= 500) == 0
    assert answered[200] and answered[422]
