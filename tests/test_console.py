"""The support console: staff sign in with their own accounts, every POST carries a CSRF
token, a shop's staff see only their shop, and a conversation typed here goes through the
real webhooks and can be saved as a YAML test."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from core.models import ConsoleSession, ConsoleTurn, Shop, StaffUser
from core.passwords import hash_password


def signed_in(client, demo: dict[str, Any]) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post("/console/login", data={"email": demo["staff"]["email"],
                                                   "password": demo["staff"]["password"],
                                                   "csrf_token": token})
    assert response.status_code == 302
    page = client.get("/console").get_data(as_text=True)
    return re.search(r'data-csrf="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def test_the_console_requires_signing_in(client):
    assert client.get("/console").status_code == 302
    assert client.post("/console/api/say", json={}).status_code in (400, 401)


def test_a_wrong_password_is_refused(client, demo):
    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post("/console/login", data={"email": demo["staff"]["email"],
                                                   "password": "guess", "csrf_token": token})
    assert response.status_code == 401 and "Wrong email or password" in response.get_data(True)


def test_a_post_without_the_csrf_token_is_refused(client, demo):
    signed_in(client, demo)
    response = client.post("/console/api/say", json={"shop": "demo", "text": "help"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf"


def test_a_share_typed_in_the_console_runs_the_real_webhook_and_can_be_saved(client, demo):
    csrf = signed_in(client, demo)
    headers = {"X-CSRF-Token": csrf}
    first = client.post("/console/api/say", headers=headers, json={
        "shop": "demo", "platform": "alexa", "locale": "en-US", "user": "alex",
        "screen": True, "text": "share the referral program", "new": True}).get_json()
    assert first["intent"] == "ShareProgram" and first["qr"] == demo["qr_png"]
    assert first["request"]["request"]["type"] == "IntentRequest"
    outbox = client.get("/console/api/outbox?shop=demo").get_json()
    assert [(m["kind"], m["to"]) for m in outbox] == [("invite_self", "+15555550100")]
    client.post("/console/api/say", headers=headers, json={
        "shop": "demo", "platform": "alexa", "locale": "en-US", "user": "alex", "text": "no"})
    saved = yaml.safe_load(client.get("/console/api/save").get_data(as_text=True))
    assert saved["assistants"] == ["alexa"] and [t["say"] for t in saved["turns"]] == [
        "share the referral program", "no"]
    assert saved["turns"][0]["expect"]["messages"][0]["kind"] == "invite_self"


SAY = {"shop": "demo", "platform": "alexa", "locale": "en-US", "user": "alex", "text": "help"}


def _demo_staff(services, demo) -> StaffUser:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    with services.db.session() as session:
        row = session.scalar(select(StaffUser).where(StaffUser.email == demo["staff"]["email"]))
        session.expunge(row)
        return row  # type: ignore[no-any-return]


def test_a_console_session_ends_when_the_password_changes(client, demo, services):
    csrf = signed_in(client, demo)
    assert client.post("/console/api/say", headers={"X-CSRF-Token": csrf},
                       json=SAY).status_code == 200
    staff = _demo_staff(services, demo)
    with services.db.session() as session:  # reset elsewhere (another browser, the CLI)
        session.get(StaffUser, staff.id).password_hash = hash_password("a-new-long-password")
    refused = client.post("/console/api/say", headers={"X-CSRF-Token": csrf}, json=SAY)
    assert refused.status_code in (400, 401)  # signed out (and its CSRF token gone with it)
    assert client.get("/console").status_code == 302


def test_a_console_session_ends_when_the_staff_member_is_removed(client, demo, services):
    from core import staff_accounts

    csrf = signed_in(client, demo)
    staff = _demo_staff(services, demo)
    with services.db.session() as session:
        session.add(StaffUser(shop_id=staff.shop_id, email="keeper@demo.example",
                              role="owner", password_hash=hash_password("x" * 12)))
        session.flush()
        staff_accounts.remove(session, shop_id=staff.shop_id, staff_id=staff.id)
    refused = client.post("/console/api/say", headers={"X-CSRF-Token": csrf}, json=SAY)
    assert refused.status_code in (400, 401)
    assert client.get("/console").status_code == 302


def test_a_cookie_without_a_server_side_session_is_signed_out(client, demo, services):
    """A validly signed cookie naming a staff id but no session token signs nobody in."""
    staff = _demo_staff(services, demo)
    with client.session_transaction() as cookie:
        cookie["staff_id"], cookie["csrf"] = staff.id, "tok"
    assert client.post("/console/api/say", headers={"X-CSRF-Token": "tok"},
                       json=SAY).status_code == 401
    assert client.get("/console").status_code == 302


def test_a_shops_staff_cannot_use_another_shop(client, demo, services):
    with services.db.session() as session:
        other = Shop(slug="other", name="Other Shop", landing_url="https://o.example")
        session.add(other)
        session.flush()
        session.add(StaffUser(shop_id=other.id, email="staff@other.example",
                              password_hash=hash_password("other-pass"),
                              email_verified_at=services.clock()))
    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post("/console/login", data={"email": "staff@other.example",
                                        "password": "other-pass", "csrf_token": token})
    page = client.get("/console").get_data(as_text=True)
    assert "Other Shop" in page and "Demo Shop" not in page
    csrf = re.search(r'data-csrf="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post("/console/api/say", headers={"X-CSRF-Token": csrf},
                           json={"shop": "demo", "text": "help"})
    assert response.status_code == 403
    assert client.get("/console/api/outbox?shop=demo").status_code == 403


@pytest.mark.parametrize("platform", ["dialogflow-es", "dialogflow-cx", "alice"])
def test_every_assistant_is_available_in_the_console(client, demo, platform):
    csrf = signed_in(client, demo)
    result = client.post("/console/api/say", headers={"X-CSRF-Token": csrf}, json={
        "shop": "demo", "platform": platform, "locale": "ru-RU", "user": "alex",
        "text": "что ты умеешь", "new": True}).get_json()
    assert "Скажите:" in result["speech"]


def test_signing_out_deletes_the_conversation_it_leaves(client, demo, services):
    csrf = signed_in(client, demo)
    client.post("/console/api/say", headers={"X-CSRF-Token": csrf}, json={
        "shop": "demo", "platform": "alexa", "locale": "en-US", "user": "alex",
        "text": "share the referral program", "new": True})

    def rows() -> tuple[int, int]:
        with services.db.session() as uow:
            return (uow.scalar(select(func.count()).select_from(ConsoleSession)) or 0,
                    uow.scalar(select(func.count()).select_from(ConsoleTurn)) or 0)

    assert rows() == (1, 1)
    assert client.post("/console/logout", data={"csrf_token": csrf}).status_code == 302
    assert rows() == (0, 0)
    assert client.get("/console/api/outbox?shop=demo").status_code in (302, 401)
