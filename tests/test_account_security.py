"""Sign-in pages under attack (issue 26): redirects after sign-in stay on this site, a
throttled sign-in says when to come back, a reset link works once however many clients use
it at the same moment."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from tests.support.staff import PASSWORD, csrf, last_link, post, sign_in, sign_up

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
