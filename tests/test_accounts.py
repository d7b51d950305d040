"""Shops onboard themselves: sign-up with email verification through the outbox, password
rules, reset by emailed link, invitations with roles, the create-shop one-time link, and
the signed links refusing forgery, reuse and age."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from core import password_policy, signed_tokens
from core.messaging.worker import Worker
from core.models import Message, Program, Shop, StaffUser
from tests.conftest import REPO
from tests.support.keys import HASH_KEY, SECRET_KEY
from tests.support.staff import PASSWORD, last_link, mails, post, sign_in, sign_up

EMAIL = "anna@books.example"


@pytest.fixture
def signup_on(services):  # type: ignore[no-untyped-def]
    services.settings = services.settings.with_(allow_signup=True)
    return services


def test_signup_is_a_404_unless_allowed(client) -> None:
    assert client.get("/signup").status_code == 404
    assert client.post("/signup", data={}).status_code in (400, 404)


def test_signup_names_each_field_that_needs_attention(client, signup_on) -> None:
    page = sign_up(client, name="", slug="-Bad Slug-", email="not-an-email", password="short")
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    for message in ("Give the shop a name", "lowercase letters, digits and dashes",
                    "valid email address"):
        assert message in text
    with signup_on.db.session() as session:
        assert session.scalars(select(Shop).where(Shop.slug != "demo")).all() == []


@pytest.mark.parametrize(("password", "reason"), [
    ("short-pass", "at least 12"),
    ("password1234", "most common"),
    ("qwertyuiop123!", "most common"),
    ("111111111111", "most common"),
    ("anna-loves-books", "email address"),
])
def test_weak_passwords_are_refused_with_the_reason(client, signup_on, password,
                                                    reason) -> None:
    page = sign_up(client, password=password)
    assert page.status_code == 422 and reason in page.get_data(as_text=True)


def test_the_common_password_list_ships_with_ten_thousand_entries() -> None:
    common = password_policy.common_passwords()
    assert len(common) == 10_000 and "password" in common and "iloveyou" in common


def test_sign_up_verify_from_the_outbox_then_sign_in(client, signup_on) -> None:
    created = sign_up(client)
    assert created.status_code == 200 and "Check your email" in created.get_data(as_text=True)
    with signup_on.db.session() as session:
        shop = session.scalar(select(Shop).where(Shop.slug == "annas-books"))
        owner = session.scalar(select(StaffUser).where(StaffUser.email == EMAIL))
        assert owner.role == "owner" and owner.shop_id == shop.id
        assert owner.email_verified_at is None
        assert session.scalar(select(Program).where(Program.shop_id == shop.id)).active
    refused = sign_in(client, EMAIL)
    assert refused.status_code == 401 and "Confirm your email" in refused.get_data(as_text=True)
    assert client.post("/console/login", data={"email": EMAIL}).status_code in (400, 401)

    # the worker sends it (sandbox: kept), with the link in the text
    Worker(signup_on).run_once()
    [mail] = mails(signup_on, "staff_verify", EMAIL)
    assert mail.status == "sent" and mail.context["link"] in mail.rendered["text"]
    outbox = client.get("/sandbox/outbox").get_data(as_text=True)
    assert mail.context["link"] in outbox

    assert client.get(last_link(signup_on, "staff_verify")).status_code == 200
    again = client.get(last_link(signup_on, "staff_verify"))
    assert "already confirmed" in again.get_data(as_text=True)
    signed = sign_in(client, EMAIL)
    assert signed.status_code == 302 and signed.headers["Location"] == "/"
    assert client.get("/settings/annas-books").status_code == 200


def test_a_taken_slug_or_email_is_refused(client, signup_on) -> None:
    sign_up(client)
    page = sign_up(client, email="other@books.example")
    assert page.status_code == 422 and "That address is taken" in page.get_data(as_text=True)
    page = sign_up(client, slug="annas-books-2")
    assert "An account with this email exists" in page.get_data(as_text=True)


def test_a_forged_or_expired_verification_link_is_refused(client, signup_on, clock) -> None:
    sign_up(client)
    link = last_link(signup_on, "staff_verify")
    token = link.rsplit("/", 1)[1]
    body, sig = token.split(".")
    forged = f"/verify/{body}.{sig[:-2]}xx"
    assert client.get(forged).status_code == 400
    other_key = signed_tokens.make("another-secret", "staff-verify", {"s": 1, "e": EMAIL},
                                   clock(), timedelta(days=1))
    assert client.get(f"/verify/{other_key}").status_code == 400
    clock.advance(days=3)
    expired = client.get(link)
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)


def _verified_owner(client, services) -> None:  # type: ignore[no-untyped-def]
    sign_up(client)
    client.get(last_link(services, "staff_verify"))


def test_a_password_reset_link_works_once_and_expires(client, signup_on, clock) -> None:
    _verified_owner(client, signup_on)
    answer = post(client, "/password/forgot", {"email": EMAIL}, page="/password/forgot")
    unknown = post(client, "/password/forgot", {"email": "nobody@books.example"},
                   page="/password/forgot")
    # the same words either way: the page does not tell which accounts exist
    assert answer.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert len(mails(signup_on, "staff_reset")) == 1
    link = last_link(signup_on, "staff_reset")
    new = "plum-ferry-quiet-window-7"
    bad = post(client, link, {"password": new, "confirm": new + "x"}, page=link)
    assert bad.status_code == 422 and "differ" in bad.get_data(as_text=True)
    done = post(client, link, {"password": new, "confirm": new}, page=link)
    assert done.status_code == 302
    assert client.get(link).status_code == 400  # used
    post(client, "/logout", page="/account")
    assert sign_in(client, EMAIL).status_code == 401  # the old password is gone
    assert sign_in(client, EMAIL, new).status_code == 302

    post(client, "/password/forgot", {"email": EMAIL}, page="/password/forgot")
    clock.advance(hours=2)
    assert client.get(last_link(signup_on, "staff_reset")).status_code == 400


def test_a_password_change_ends_the_other_sessions(app, signup_on) -> None:
    first, second = app.test_client(), app.test_client()
    _verified_owner(first, signup_on)
    sign_in(first, EMAIL)
    sign_in(second, EMAIL)
    assert second.get("/account").status_code == 200
    post(first, "/password/forgot", {"email": EMAIL}, page="/password/forgot")
    link = last_link(signup_on, "staff_reset")
    new = "plum-ferry-quiet-window-7"
    post(first, link, {"password": new, "confirm": new}, page=link)
    assert first.get("/account").status_code == 200  # the one that changed it
    assert second.get("/account").status_code == 302  # signed out


def test_an_invited_support_user_opens_the_console_but_not_settings(client, signup_on) -> None:
    _verified_owner(client, signup_on)
    sign_in(client, EMAIL)
    invited = post(client, "/settings/annas-books/team/invite",
                   {"email": "sam@books.example", "role": "support"}, page="/account")
    assert invited.status_code == 200 and "Invitation sent" in invited.get_data(as_text=True)
    post(client, "/logout", page="/account")
    link = last_link(signup_on, "staff_invite", "sam@books.example")
    accepted = post(client, link, {"display_name": "Sam", "password": PASSWORD,
                                   "confirm": PASSWORD}, page=link)
    assert accepted.status_code == 302
    assert client.get(link).status_code == 400  # the invitation works once
    assert client.get("/console/").status_code == 200
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/settings/annas-books").status_code == 403
    assert client.get("/settings/annas-books/team").status_code == 403
    assert client.get("/settings/demo").status_code == 403


def test_only_an_owner_manages_the_team_and_a_shop_keeps_one_owner(client,
                                                                     signup_on) -> None:
    _verified_owner(client, signup_on)
    sign_in(client, EMAIL)
    with signup_on.db.session() as session:
        owner_id = session.scalar(select(StaffUser.id).where(StaffUser.email == EMAIL))
    demote = post(client, f"/settings/annas-books/team/{owner_id}/role", {"role": "manager"},
                  page="/account")
    assert demote.status_code == 422 and "at least one owner" in demote.get_data(as_text=True)
    bad_role = post(client, "/settings/annas-books/team/invite",
                    {"email": "x@books.example", "role": "admin"}, page="/account")
    assert bad_role.status_code == 422 and "Choose owner" in bad_role.get_data(as_text=True)


def test_deleting_the_shop_needs_its_slug_typed_again(client, signup_on) -> None:
    _verified_owner(client, signup_on)
    sign_in(client, EMAIL)
    wrong = post(client, "/settings/annas-books/delete", {"confirm": "annas"}, page="/account")
    assert wrong.status_code == 422
    gone = post(client, "/settings/annas-books/delete", {"confirm": "annas-books"},
                page="/account")
    assert gone.status_code == 200
    with signup_on.db.session() as session:
        assert session.scalar(select(Shop).where(Shop.slug == "annas-books")) is None
        assert session.scalar(select(StaffUser).where(StaffUser.email == EMAIL)) is None
    assert client.get("/account").status_code == 302  # the account went with it


def test_every_post_without_the_csrf_token_is_refused(client, signup_on) -> None:
    _verified_owner(client, signup_on)
    sign_in(client, EMAIL)
    for path, data in (("/settings/annas-books", {"name": "X"}),
                       ("/settings/annas-books/keys/api", {"role": "manager"}),
                       ("/settings/annas-books/team/invite", {"email": "e@x.example"}),
                       ("/login", {"email": EMAIL, "password": PASSWORD}),
                       ("/signup", {"name": "n"})):
        refused = client.post(path, data=data)
        assert refused.status_code == 400, path
        forged = client.post(path, data={**data, "csrf_token": "forged"})
        assert forged.status_code == 400, path


def test_sign_in_never_follows_a_next_to_another_site(client, signup_on) -> None:
    _verified_owner(client, signup_on)
    answer = post(client, "/login", {"email": EMAIL, "password": PASSWORD,
                                     "next": "//evil.example/x"})
    assert answer.headers["Location"] == "/"


def test_create_shop_prints_a_one_time_link_where_the_owner_chooses_a_password(
        database, services, app, client) -> None:
    env = {**os.environ, "DATABASE_URL": database.url, "SECRET_KEY": SECRET_KEY,
           "HASH_KEY": HASH_KEY, "BASE_URL": "https://refer.test"}
    run = subprocess.run([sys.executable, "-m", "fulfillment", "create-shop", "--name",
                          "Café Nord", "--slug", "cafe-nord", "--owner-email",
                          "Olga@Cafe.example"], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    link = run.stdout.strip().splitlines()[-1]
    assert link.startswith("https://refer.test/welcome/")
    path = urlsplit(link).path
    chosen = post(client, path, {"display_name": "Olga", "password": PASSWORD,
                                 "confirm": PASSWORD}, page=path)
    assert chosen.status_code == 302
    assert client.get("/settings/cafe-nord").status_code == 200
    assert client.get(path).status_code == 400  # one time
    with services.db.session() as session:
        owner = session.scalar(select(StaffUser).where(StaffUser.email == "olga@cafe.example"))
        assert owner.role == "owner"
        assert session.scalar(select(Message.kind).where(
            Message.recipient == "olga@cafe.example")) == "staff_verify"

    again = subprocess.run([sys.executable, "-m", "fulfillment", "create-shop", "--name", "X",
                            "--slug", "cafe-nord", "--owner-email", "x@cafe.example"],
                           cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "slug: That address is taken" in again.stderr
    assert "Traceback" not in again.stderr


def test_deleting_a_shop_with_referrals_rewards_and_messages_removes_all_of_it(
        client, demo, services, clock) -> None:
    from core import staff_accounts
    from core.models import Customer, LedgerEntry, Referral
    from tests.support.events import ShopBackend

    backend = ShopBackend(client, demo["webhook_secret"], clock)
    backend.signup("f1", demo["code"], email="f1@example.org")
    backend.order("f1", "o1", 6000)
    with services.db.session() as session:
        shop_id = session.scalar(select(Shop.id).where(Shop.slug == "demo"))
        assert session.scalars(select(LedgerEntry)).all()
        staff_accounts.delete_shop(session, shop_id=shop_id, confirm_slug="demo")
    with services.db.session() as session:
        for model in (Shop, Customer, Referral, LedgerEntry, Program, StaffUser):
            assert session.scalars(select(model)).all() == [], model


def test_the_sign_in_page_is_throttled_like_the_console(client, signup_on) -> None:
    _verified_owner(client, signup_on)
    answers = [sign_in(client, EMAIL, "wrong-password-here").status_code for _ in range(7)]
    assert answers[0] == 401 and answers[-1] == 429
    assert sign_in(client, EMAIL).status_code == 429  # even the right password waits


def test_account_pages_carry_the_page_security_policy(client, signup_on) -> None:
    for path in ("/login", "/signup", "/password/forgot", "/sandbox/outbox"):
        policy = client.get(path).headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
