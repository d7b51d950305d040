"""Console replay of an uploaded YAML conversation (issue 26, items 5 and 6): aliases are
refused (511 bytes of nested anchors ran 1,800 turns), the file, the turns and the turns
times assistants are bounded, and a malformed file is a 422 with the reason, never a 500."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from core.models import Shop, StaffUser
from tests.support.staff import sign_in_cookie


@pytest.fixture
def console(client, services, demo):  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        staff_id = session.scalar(select(StaffUser.id).join(Shop, Shop.id == StaffUser.shop_id)
                                  .where(Shop.slug == demo["shop"]))
    with client.session_transaction() as cookie:
        sign_in_cookie(cookie, services, staff_id, "tok")
    return client


def _replay(console, text: str):  # type: ignore[no-untyped-def]
    return console.post("/console/api/replay", headers={"X-CSRF-Token": "tok"},
                        data={"file": (io.BytesIO(text.encode()), "case.yaml")},
                        content_type="multipart/form-data")


def _refused(answer, says: str) -> None:  # type: ignore[no-untyped-def]
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert says in answer.get_json()["error"]["message"]


def test_aliases_are_refused_before_anything_runs(console, demo) -> None:
    aliased = (f"shop: {demo['shop']}\nturn: &t {{say: help}}\n"
               f"turns: [{', '.join(['*t'] * 30)}]\n")
    _refused(_replay(console, aliased), "anchors and aliases")


def test_turns_that_are_not_a_list_of_turns_are_a_422(console, demo) -> None:
    for turns in ("42", "help", "[1, 2]", "[]"):
        _refused(_replay(console, f"shop: {demo['shop']}\nturns: {turns}\n"),
                 "turns must be a list")


def test_too_many_turns_or_assistants_times_turns_are_refused(console, demo) -> None:
    many = "".join("  - say: help\n" for _ in range(101))
    _refused(_replay(console, f"shop: {demo['shop']}\nturns:\n{many}"), "At most 100 turns")
    sixty = "".join("  - say: help\n" for _ in range(60))
    _refused(_replay(console, f"shop: {demo['shop']}\nassistants: [alexa, dialogflow-es, "
                              f"dialogflow-cx, alice]\nturns:\n{sixty}"), "turns times")


def test_an_oversized_file_is_refused(console, demo) -> None:
    padding = "# " + "x" * 70_000 + "\n"
    _refused(_replay(console, f"{padding}shop: {demo['shop']}\nturns:\n  - say: help\n"),
             "over 64 KB")


def test_a_plain_conversation_still_replays(console, demo) -> None:
    answer = _replay(console, f"shop: {demo['shop']}\nturns:\n  - say: help\n"
                              "    expect: {intent: Help}\n")
    assert answer.status_code == 200
    [outcome] = answer.get_json()
    assert outcome["passed"] and len(outcome["turns"]) == 1
