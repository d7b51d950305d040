"""Sign-in pages under attack (issue 26): redirects after sign-in stay on this site, a
throttled sign-in says when to come back, a reset link works once however many clients use
it at the same moment."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from tests.support.staff import PASSWORD, csrf, last_link, mails, post, sign_in, sign_up

EMAIL = "anna@books.example"


@pytest.fixture
def signup_on(services):  # type: ignore[no-untyped-def]
    services.settings = services.settings.with_(allow_signup=True)
    return services


def _verified_owner(client, services) -> None:  # type: ignore[no-untyped-def]
    sign_up(client)
    client.get(last_link(services, "staff_verify"))


@pytest.mark.parametrize("target", [
    "/\t/evil.example/x", "/\n/evil.example/x", "/\r\n/evil.example", "/ /evil.example",
    "/\\evil.example/x", "/\\/evil.example", "//evil.example/x",
    "https://evil.example/", "/https://evil.example", "\t//evil.example",
    "/%09/evil.example/x"])
def test_sign_in_redirects_only_to_a_path_on_this_site(client, signup_on, target) -> None:
    """`next=/%09/evil.example/x` answered `Location: //evil.example/x` (item 7)."""
    _verified_owner(client, signup_on)
    answer = post(client, "/login", {"email": EMAIL, "password": PASSWORD, "next": target})
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert not location.scheme and not location.netloc, answer.headers["Location"]
    assert location.path.startswith("/") and not location.path.startswith("//")
    assert not any(ch in answer.headers["Location"] for ch in "\t\n\r\\ ")


def test_a_same_site_next_is_still_followed(client, signup_on) -> None:
    _verified_owner(client, signup_on)
    answer = post(client, "/login", {"email": EMAIL, "password": PASSWORD,
                                     "next": "/settings/annas-books?tab=team"})
    assert answer.headers["Location"] == "/settings/annas-books?tab=team"


def test_a_throttled_sign_in_says_when_to_try_again(client, signup_on) -> None:
    """/login answered 429 without Retry-After (item 13)."""
    _verified_owner(client, signup_on)
    answers = [sign_in(client, EMAIL, "wrong-password-here") for _ in range(7)]
    throttled = answers[-1]
    assert throttled.status_code == 429
    seconds = int(throttled.headers["Retry-After"])
    assert seconds >= 1 and f"Try again in {seconds} second" in throttled.get_data(as_text=True)


def test_one_reset_link_used_by_eight_clients_at_once_sets_one_password(
        app, signup_on) -> None:
    """Eight clients posting one reset link at the same moment set 8 passwords and got 8
    sessions (item 8): the token is consumed atomically, so exactly one wins."""
    owner = app.test_client()
    _verified_owner(owner, signup_on)
    post(owner, "/password/forgot", {"email": EMAIL}, page="/password/forgot")
    link = last_link(signup_on, "staff_reset")
    clients = [app.test_client() for _ in range(8)]
    tokens = [csrf(c, link) for c in clients]
    start = threading.Barrier(len(clients))

    def use(index: int) -> int:
        password = f"plum-ferry-quiet-window-{index}"
        start.wait()
        return clients[index].post(link, data={"csrf_token": tokens[index], "password":
                                               password, "confirm": password}).status_code

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        answers = list(pool.map(use, range(len(clients))))
    assert sorted(answers) == [302] + [400] * 7
    winner = answers.index(302)
    signed_in = [c.get("/account").status_code for c in clients]
    assert signed_in.count(200) == 1 and signed_in[winner] == 200
    assert sign_in(app.test_client(), EMAIL, f"plum-ferry-quiet-window-{winner}"
                   ).status_code == 302


# --- sessions end on the server (item 3) ----------------------------------------------

def _copied_cookie(app, source):  # type: ignore[no-untyped-def]
    """A second browser holding a copy of `source`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", source.get_cookie("session").value)
    return thief


def test_a_copied_cookie_stops_working_after_sign_out(app, signup_on) -> None:
    owner = app.test_client()
    _verified_owner(owner, signup_on)
    sign_in(owner, EMAIL)
    thief = _copied_cookie(app, owner)
    assert thief.get("/account").status_code == 200
    post(owner, "/logout", page="/account")
    assert thief.get("/account").status_code == 302  # signed out on the server
    assert thief.get("/settings/annas-books").status_code == 302


def test_sign_out_everywhere_ends_every_session_of_the_account(app, signup_on) -> None:
    laptop, phone = app.test_client(), app.test_client()
    _verified_owner(laptop, signup_on)
    sign_in(laptop, EMAIL)
    sign_in(phone, EMAIL)
    copy = _copied_cookie(app, phone)
    assert post(laptop, "/logout/everywhere", page="/account").status_code == 200
    for browser in (laptop, phone, copy):
        assert browser.get("/account").status_code == 302
    assert sign_in(phone, EMAIL).status_code == 302  # signing in again works


def test_removing_a_member_or_changing_their_role_ends_their_sessions(
        app, signup_on) -> None:
    from core import staff_accounts
    from core.models import StaffUser

    owner = app.test_client()
    _verified_owner(owner, signup_on)
    sign_in(owner, EMAIL)
    for email, change in (("mia@books.example", "role"), ("leo@books.example", "remove")):
        post(owner, "/settings/annas-books/team/invite", {"email": email, "role": "manager"},
             page="/settings/annas-books/team")
        member = app.test_client()
        link = last_link(signup_on, "staff_invite", email)
        post(member, link, {"password": PASSWORD, "confirm": PASSWORD,
                            "display_name": "M"}, page=link)
        copy = _copied_cookie(app, member)
        assert copy.get("/settings/annas-books").status_code == 200
        with signup_on.db.session() as session:
            staff = session.query(StaffUser).filter_by(email=email).one()
            if change == "role":
                staff_accounts.change_role(session, shop_id=staff.shop_id, staff_id=staff.id,
                                           role="support")
            else:
                staff_accounts.remove(session, shop_id=staff.shop_id, staff_id=staff.id)
        assert copy.get("/account").status_code == 302, change
        assert member.get("/account").status_code == 302, change


# --- limits on sign-up and password reset (item 4) ------------------------------------

def _second_worker(services):  # type: ignore[no-untyped-def]
    """Another web worker on the same database: its own app and caches, no shared memory."""
    from core.services import bootstrap
    from fulfillment.app import create_app

    other = bootstrap(services.settings, db=services.db, clock=services.clock,
                      background_clicks=False)
    app = create_app(services=other)
    app.config["TESTING"] = True
    return app.test_client()


def test_sign_ups_from_one_client_are_limited_across_workers(client, signup_on) -> None:
    """40 shops and 40 verification mails in 5.5 s from one client (item 4)."""
    other_worker = _second_worker(signup_on)
    answers = [sign_up(client if n % 2 else other_worker, slug=f"shop-{n}",
                       email=f"owner{n}@books.example") for n in range(14)]
    codes = [a.status_code for a in answers]
    assert codes == [200] * 10 + [429] * 4
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert len(mails(signup_on, "staff_verify")) == 10


def test_reset_mails_to_one_address_are_limited_whoever_asks(client, signup_on, clock) -> None:
    """40 reset mails to one address in 1.4 s (item 4): three an hour, from any client."""
    _verified_owner(client, signup_on)
    answers = []
    for n in range(8):
        answers.append(post(client, "/password/forgot", {"email": EMAIL},
                            page="/password/forgot",
                            environ_base={"REMOTE_ADDR": f"203.0.113.{n}"}))
    assert [a.status_code for a in answers] == [200] * 3 + [429] * 5
    retry = int(answers[-1].headers["Retry-After"])
    assert 0 < retry <= 3600
    assert len(mails(signup_on, "staff_reset", EMAIL)) == 3
    clock.advance(seconds=retry)
    again = post(client, "/password/forgot", {"email": EMAIL}, page="/password/forgot")
    assert again.status_code == 200 and len(mails(signup_on, "staff_reset", EMAIL)) == 4


def test_an_unknown_address_is_limited_exactly_like_a_known_one(client, signup_on) -> None:
    answers = [post(client, "/password/forgot", {"email": "nobody@books.example"},
                    page="/password/forgot").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
