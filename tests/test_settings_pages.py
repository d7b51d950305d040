"""Settings: general fields validated per field (https landing outside local), API keys
and webhook secrets shown once, rotated and revoked, and a support-role key that reads
but cannot change anything."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from core.accounts import Role
from core.models import Shop, ShopCredential, StaffUser
from core.passwords import hash_password
from tests.support.staff import sign_in_cookie

GOOD = {"name": "Demo Shop", "locales": ["en-US", "de-DE"], "currency": "EUR",
        "timezone": "Europe/Berlin", "landing_url": "https://shop.example/welcome",
        "link_base_url": "https://go.shop.example", "invocation_en": "demo shop",
        "invocation_de": "demo laden", "invocation_ru": ""}


@pytest.fixture
def manager(client, services, demo) -> Any:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        shop_id = session.scalar(select(Shop.id).where(Shop.slug == "demo"))
        row = StaffUser(shop_id=shop_id, email="mia@demo.example", role="manager",
                        password_hash=hash_password("x" * 12),
                        email_verified_at=services.clock())
        session.add(row)
        session.flush()
        staff_id = row.id
    with client.session_transaction() as browser:
        sign_in_cookie(browser, services, staff_id, "tok")
    return client


def _post(client: Any, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={"csrf_token": "tok", **data})


def not_local(services: Any) -> None:
    changes: dict[str, Any] = {"messaging_mode": "live"}
    if hasattr(services.settings, "sandbox"):
        changes["sandbox"] = False
    services.settings = services.settings.with_(**changes)


def test_general_settings_are_saved_and_seen_by_the_shop(manager, services) -> None:
    saved = _post(manager, "/settings/demo", GOOD)
    assert saved.status_code == 200 and "Saved." in saved.get_data(as_text=True)
    with services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        assert (shop.currency, shop.timezone, shop.landing_url, shop.link_base_url) == (
            "EUR", "Europe/Berlin", "https://shop.example/welcome", "https://go.shop.example")
        assert shop.settings["locales"] == ["en-US", "de-DE"]
        assert shop.settings["invocation_names"] == {"en": "demo shop", "de": "demo laden"}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "Give the shop a name"),
    ("currency", "XYZ", "ISO 4217"),
    ("timezone", "Mars/Olympus", "time zone name"),
    ("landing_url", "http://shop.example/", "https://"),
    ("landing_url", "javascript:alert(1)", "https://"),
    ("landing_url", "https://shop.example:99999/", "not a valid URL"),
    ("link_base_url", "ftp://go.example", "https://"),
    ("invocation_en", "shop 42", "lower-case letters, spaces"),
    ("invocation_en", "Crumb & Co", "Try “crumb and co”"),
    ("invocation_en", "alexa shop", "wake words"),
    ("locales", "xx-XX", "Choose at least one"),
])
def test_each_bad_field_is_named_and_nothing_is_saved(manager, services, field, value,
                                                      message) -> None:
    not_local(services)
    page = _post(manager, "/settings/demo", {**GOOD, field: value})
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert f'id="e-{field}"' in text and message in text
    with services.db.session() as session:
        assert session.scalar(select(Shop.currency).where(Shop.slug == "demo")) == "USD"


def test_in_the_sandbox_a_local_http_landing_page_is_fine(manager, services) -> None:
    assert _post(manager, "/settings/demo", {**GOOD, "landing_url": "http://127.0.0.1:8000/"}
                 ).status_code == 200


def _shown(page: Any, prefix: str) -> list[str]:
    return [s for s in re.findall(prefix + r"[\w-]+", page.get_data(as_text=True))
            if len(s) > 20]


def test_an_api_key_is_shown_once_works_with_its_role_and_stops_when_revoked(
        manager, services, client) -> None:
    made = _post(manager, "/settings/demo/keys/api", {"role": "support", "label": "reports"})
    [key] = _shown(made, "rk_")
    listing = manager.get("/settings/demo/keys").get_data(as_text=True)
    assert key not in listing and key[:8] in listing and "reports" in listing
    auth = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/kpis", headers=auth).status_code == 200
    refused = client.put("/api/v1/program", headers=auth, json={"hold_days": 7})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "key_role"
    with services.db.session() as session:
        key_id = session.scalar(select(ShopCredential.id).where(
            ShopCredential.prefix == key[:8]))
    _post(manager, f"/settings/demo/keys/{key_id}/revoke", {})
    assert client.get("/api/v1/kpis", headers=auth).status_code == 401


def test_an_api_key_cannot_be_an_owner_key(manager) -> None:
    page = _post(manager, "/settings/demo/keys/api", {"role": "owner"})
    assert page.status_code == 422 and "Choose manager" in page.get_data(as_text=True)


@pytest.mark.parametrize("role, label, field", [
    ("owner", "", "role"), (Role.OWNER, "", "role"), ("", "", "role"),
    ("support", "x" * 101, "label"),
])
def test_issuing_an_api_key_refuses_owner_roles_and_long_labels_for_every_caller(
        services, demo, role: object, label: str, field: str) -> None:
    """The rule lives in core, so the settings page and any other caller share it."""
    from core import credentials
    from core.errors import FieldErrors

    with services.db.session() as session:
        shop_id = session.scalar(select(Shop.id).where(Shop.slug == "demo"))
        before = session.scalar(select(func.count()).select_from(ShopCredential))
    with pytest.raises(FieldErrors) as refused:
        credentials.issue_api_key(services, shop_id, role=role, label=label)
    assert list(refused.value.fields) == [field]
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(ShopCredential)) == before


def test_a_long_api_key_label_is_refused_on_the_page(manager) -> None:
    page = _post(manager, "/settings/demo/keys/api", {"role": "support", "label": "x" * 101})
    assert page.status_code == 422 and "at most 100 characters" in page.get_data(as_text=True)


def test_a_rotated_webhook_secret_is_shown_once_and_the_old_one_overlaps(
        manager, services, demo) -> None:
    from core import credentials

    page = _post(manager, "/settings/demo/keys/webhook-secret", {})
    [secret] = _shown(page, "whsec_")
    with services.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
        live = credentials.webhook_secrets(session, shop, services.box, services.clock)
    assert secret in live and demo["webhook_secret"] in live  # 7 days of overlap
    assert secret not in manager.get("/settings/demo/keys").get_data(as_text=True)


def test_another_shops_key_cannot_be_revoked(manager, services) -> None:
    from core import credentials

    with services.db.session() as session:
        other = Shop(slug="other", name="Other", landing_url="https://o.example/")
        session.add(other)
        session.flush()
        credentials.add_api_key(session, other, "rk_other-key-0000000000000000000000")
        key_id = session.scalar(select(ShopCredential.id).where(
            ShopCredential.shop_id == other.id))
    assert _post(manager, f"/settings/demo/keys/{key_id}/revoke", {}).status_code == 404
    with services.db.session() as session:
        assert session.get(ShopCredential, key_id).revoked_at is None
