"""The store pages a manager uses: /connect/<shop>/woocommerce and /connect/<shop>/shopify.
Fields are checked at save with a real call to the store (its refusal in the form, nothing
saved), the webhook secret we made is shown once, the status names the last verified
delivery and the last refusal with its reason, dead-letter rows can be processed again, and
the store can be disconnected."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from core.models import StoreConnection
from tests.support.fake_stores import FakeStore, fake_woocommerce
from tests.support.store_samples import woo_delivery, woo_order
from tests.test_shopify_app import csrf, staff_login

KEY, SECRET = "ck_0123456789abcdef0123456789abcdef01234567", "cs_fedcba9876543210fedcba98765"


@pytest.fixture
def woo(services, client, demo) -> Iterator[FakeStore]:  # type: ignore[no-untyped-def]
    with fake_woocommerce(KEY, SECRET) as fake:
        services.adapters.allow_private_store_urls = True
        staff_login(client, demo)
        yield fake


def save_woo(client, woo: FakeStore, secret: str = SECRET):  # type: ignore[no-untyped-def]
    return client.post("/connect/demo/woocommerce", data={
        "store_url": woo.url, "consumer_key": KEY, "consumer_secret": secret,
        "csrf_token": csrf(client, "woocommerce")})


def test_wrong_keys_are_shown_in_the_form_and_nothing_is_saved(woo, client, services):
    answer = save_woo(client, woo, secret="cs_wrong")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'id="e-consumer_key"' in page
    assert "did not accept the test call" in page and "read/write access" in page
    with services.db.session() as session:
        assert session.scalar(select(StoreConnection)) is None


def test_a_plain_http_store_is_refused_outside_tests(woo, client, services):
    services.adapters.allow_private_store_urls = False
    answer = save_woo(client, woo)
    assert answer.status_code == 422 and 'id="e-store_url"' in answer.get_data(as_text=True)


def test_saved_keys_show_the_secret_once_then_status_refusal_retry_and_disconnect(
        woo, client, services, demo):
    saved = save_woo(client, woo)
    page = saved.get_data(as_text=True)
    assert saved.status_code == 200 and "the store answered our test call" in page
    with services.db.session() as session:
        conn = session.scalar(select(StoreConnection))
        secret = services.box.open(conn.webhook_secret_sealed)
    assert secret in page  # shown once, here
    assert secret not in client.get("/connect/demo/woocommerce").get_data(as_text=True)

    raw, headers = woo_delivery(secret, "order.updated",
                                woo_order(codes=[demo["code"]], total="1e30"),
                                delivery_id="d-refused")
    assert client.post("/woocommerce/demo/webhooks", data=raw, headers=headers).status_code \
        == 422
    page = client.get("/connect/demo/woocommerce").get_data(as_text=True)
    assert 'id="last-delivery"' in page and "none yet" not in page.split(
        'id="last-delivery"')[1].split("</li>")[0]
    refusal = page.split('id="last-refusal"')[1].split("</li>")[0]
    assert "out of range" in refusal
    assert "d-refused" in page.split('id="inbox"')[1]
    row_id = page.split('id="delivery-')[1].split('"')[0]
    again = client.post(f"/connect/demo/woocommerce/inbox/{row_id}/retry",
                        data={"csrf_token": csrf(client, "woocommerce")})
    assert "Refused again" in again.get_data(as_text=True)

    gone = client.post("/connect/demo/woocommerce/disconnect",
                       data={"csrf_token": csrf(client, "woocommerce")})
    assert gone.status_code == 303
    assert 'id="not-connected"' in client.get("/connect/demo/woocommerce").get_data(
        as_text=True)
    assert client.post("/woocommerce/demo/webhooks", data=raw, headers={
        **headers, "X-WC-Webhook-Delivery-ID": "d-after"}).status_code == 404


def test_the_shopify_page_without_an_app_says_how_to_set_one_up(client, demo):
    staff_login(client, demo)
    page = client.get("/connect/demo/shopify").get_data(as_text=True)
    assert "SHOPIFY_API_KEY and SHOPIFY_API_SECRET unset" in page
    assert "before 2026-01-01" in page  # the legacy path says who it is for


def test_a_forged_form_is_refused(woo, client):
    answer = client.post("/connect/demo/woocommerce", data={"store_url": woo.url,
                                                            "consumer_key": KEY,
                                                            "consumer_secret": SECRET})
    assert answer.status_code in (400, 403)
