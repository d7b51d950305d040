"""Sign-in pages under attack (issue 26): redirects after sign-in stay on this site, a
throttled sign-in says when to come back, a reset link works once however many clients use
it at the same moment."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.support.staff import PASSWORD, last_link, post, sign_in, sign_up

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
