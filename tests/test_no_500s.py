"""The 500s the second attack test found (issue 26, item 6): each becomes a 4xx with a
reason or succeeds once. The races run real threads against the real database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from core.models import Customer, Program, Shop, StaffUser
from tests.support.staff import csrf, sign_in_cookie


def _at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    start = threading.Barrier(count)

    def run(index: int) -> Any:
        start.wait()
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@pytest.fixture
def auth(demo: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {demo['api_key']}"}


def test_a_non_ascii_csrf_header_on_the_console_sign_in_is_a_400(client) -> None:
    for token in ("é", "Ж", "токен"):
        answer = client.post("/console/login", headers={"X-CSRF-Token": token},
                             data={"email": "a@b.example", "password": "x"})
        assert answer.status_code == 400, token
        assert answer.get_json()["error"]["code"] == "csrf"


def test_a_console_say_body_that_is_not_an_object_is_a_400(client, services, demo) -> None:
    with services.db.session() as session:
        staff_id = session.scalar(select(StaffUser.id).join(Shop, Shop.id == StaffUser.shop_id)
                                  .where(Shop.slug == demo["shop"]))
    with client.session_transaction() as cookie:
        sign_in_cookie(cookie, services, staff_id, "tok")
    for body in ('"help"', "42", "[1, 2]"):
        answer = client.post("/console/api/say", data=body, content_type="application/json",
                             headers={"X-CSRF-Token": "tok"})
        assert answer.status_code == 400, body
        assert "JSON object" in answer.get_json()["error"]["message"]


def test_a_double_clicked_sign_up_makes_one_shop_and_names_what_is_taken(
        app, services) -> None:
    services.settings = services.settings.with_(allow_signup=True)
    clients = [app.test_client() for _ in range(2)]
    tokens = [csrf(c, "/signup") for c in clients]
    form = {"name": "Anna's Books", "slug": "annas-books", "email": "anna@books.example",
            "password": "violet-harbour-lantern-42"}

    answers = _at_once(2, lambda i: clients[i].post(
        "/signup", data={**form, "csrf_token": tokens[i]}))
    assert sorted(a.status_code for a in answers) == [200, 422]
    refused = next(a for a in answers if a.status_code == 422).get_data(as_text=True)
    assert "That address is taken" in refused or "An account with this email" in refused
    with services.db.session() as session:
        assert session.scalar(select(func.count(Shop.id)).where(Shop.slug == "annas-books")) == 1


def test_concurrent_program_publishes_each_make_one_version(app, auth, services) -> None:
    """14 of 20 concurrent PUT /api/v1/program were 500s."""
    clients = [app.test_client() for _ in range(12)]
    answers = _at_once(len(clients), lambda i: clients[i].put(
        "/api/v1/program", headers=auth, json={"friend_reward_amount": 5 + i}))
    assert [a.status_code for a in answers] == [201] * len(clients)
    assert sorted(a.get_json()["version"] for a in answers) == list(range(2, 14))
    with services.db.session() as session:
        active = session.scalars(select(Program).where(Program.active.is_(True))).all()
        assert [p.version for p in active] == [13]


def test_concurrent_first_saves_of_one_customer_make_one_customer(app, auth, services) -> None:
    clients = [app.test_client() for _ in range(10)]
    answers = _at_once(len(clients), lambda i: clients[i].put(
        "/api/v1/customers/new-buyer-7", headers=auth, json={"name": f"Buyer {i}"}))
    assert [a.status_code for a in answers] == [200] * len(clients)
    with services.db.session() as session:
        assert session.scalar(select(func.count(Customer.id)).where(
            Customer.external_id == "new-buyer-7")) == 1
