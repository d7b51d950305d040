"""Salute's dialog state lives in the database (core.voice_sessions), not in a worker: a
read-back started on one app and confirmed on a second app over the same database (two
gunicorn workers) sends exactly one invite; a state past Salute's 10-minute session or from
another session is not used; erasing the customer removes theirs; retention drops old rows.
Requests are the developers.sber.ru samples of tests/test_salute_protocol.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from core import privacy
from core.clock import FrozenClock
from core.config import Settings
from core.db import Database
from core.models import Message, Shop, VoiceSession
from core.services import Services, bootstrap
from core.voice_sessions import MAX_STATE_CHARS, VoiceSessions, caller_key
from tests.test_salute_protocol import addressed, post, sample, url

READ_BACK = ["отправь приглашение другу", "+7 912 345 67 89"]
FRIEND = "+79123456789"


@pytest.fixture
def second_worker(settings: Settings, database: Database,
                  clock: FrozenClock) -> Iterator[Any]:
    """Another app on the same database, with its own engine and its own platforms, as a
    second gunicorn worker has."""
    from fulfillment.app import create_app

    db = Database(database.url)
    services = bootstrap(settings, db=db, clock=clock, background_clicks=False)
    app = create_app(services=services)
    app.config["TESTING"] = True
    yield app.test_client()
    services.close()
    db.dispose()


def turn(client: Any, demo: dict[str, Any], phrase: str, *, first: bool = False,
         user: str | None = None, session_id: str | None = None) -> str:
    body = addressed(sample("message_to_skill_share_speaker.json"), demo,
                     user=user or demo["voice_users"]["salute"], text_said=phrase)
    body["payload"]["new_session"] = first
    if session_id is not None:
        body["sessionId"] = session_id
    response = post(client, url(demo), body)
    assert response.status_code == 200, response.data
    return str(response.get_json()["payload"]["pronounceText"])


def invites(services: Services) -> list[str]:
    with services.db.session() as session:
        return list(session.scalars(select(Message.recipient).where(
            Message.kind == "invite_friend")))


def states(services: Services) -> int:
    with services.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(VoiceSession)) or 0)


def read_back(client: Any, demo: dict[str, Any], **kw: Any) -> None:
    for i, phrase in enumerate(READ_BACK):
        turn(client, demo, phrase, first=i == 0, **kw)


def test_read_back_on_one_worker_confirmed_on_another_sends_exactly_one_invite(
        client: Any, second_worker: Any, demo: dict[str, Any], services: Services) -> None:
    read_back(client, demo)
    assert invites(services) == []
    said = turn(second_worker, demo, "да")
    assert invites(services) == [FRIEND], said
    turn(client, demo, "да")  # the first worker holds no stale copy of the read-back
    assert invites(services) == [FRIEND]


def test_turns_alternating_between_workers_continue_one_conversation(
        client: Any, second_worker: Any, demo: dict[str, Any], services: Services) -> None:
    turn(client, demo, READ_BACK[0], first=True)
    turn(second_worker, demo, READ_BACK[1])
    turn(client, demo, "да")
    assert invites(services) == [FRIEND]


def test_a_state_idle_past_the_salute_session_is_not_used(
        client: Any, second_worker: Any, demo: dict[str, Any], services: Services,
        clock: FrozenClock) -> None:
    read_back(client, demo)
    clock.advance(minutes=10, seconds=1)
    turn(second_worker, demo, "да")
    assert invites(services) == []


def test_a_state_idle_just_under_the_salute_session_is_used(
        client: Any, second_worker: Any, demo: dict[str, Any], services: Services,
        clock: FrozenClock) -> None:
    read_back(client, demo)
    clock.advance(minutes=9, seconds=59)
    turn(second_worker, demo, "да")
    assert invites(services) == [FRIEND]


def test_a_state_from_another_salute_session_is_not_used(
        client: Any, second_worker: Any, demo: dict[str, Any], services: Services) -> None:
    read_back(client, demo)
    turn(second_worker, demo, "да", session_id="another-session-of-the-same-user")
    assert invites(services) == []


def test_two_callers_keep_their_own_states(
        client: Any, demo: dict[str, Any], services: Services) -> None:
    read_back(client, demo)
    turn(client, demo, "да", user=demo["voice_users_unlinked"]["salute"])
    assert invites(services) == []
    assert states(services) == 2


def test_the_table_holds_no_salute_user_id_and_the_session_end_forgets_the_state(
        client: Any, demo: dict[str, Any], services: Services) -> None:
    read_back(client, demo)
    with services.db.session() as session:
        rows = session.scalars(select(VoiceSession)).all()
        dumped = json.dumps([[r.caller, r.session_id, r.state] for r in rows],
                            ensure_ascii=False)
    assert len(rows) == 1 and demo["voice_users"]["salute"] not in dumped
    closing = addressed(sample("close_app_speaker.json"), demo,
                        user=demo["voice_users"]["salute"])
    assert post(client, url(demo), closing).status_code == 200
    assert states(services) == 0


def test_erasing_the_customer_removes_their_salute_state_and_no_one_elses(
        client: Any, demo: dict[str, Any], services: Services) -> None:
    read_back(client, demo)  # alex, linked by the demo
    read_back(client, demo, user=demo["voice_users_unlinked"]["salute"])
    with services.db.session() as session:
        shop_id = int(session.scalar(select(Shop.id).where(Shop.slug == "demo")) or 0)
    exported = privacy.export(services, shop_id, "alex")["voice_sessions"]
    assert [s["assistant"] for s in exported] == ["salute"]
    assert exported[0]["state"]["dialog"]["contact"]["value"] == FRIEND
    outcome = privacy.erase(services, shop_id, "alex")
    assert outcome.erased["voice_sessions"] == 1
    hash_key = services.settings.hash_key
    with services.db.session() as session:
        callers = set(session.scalars(select(VoiceSession.caller)))
    assert callers == {caller_key(hash_key, "salute", demo["voice_users_unlinked"]["salute"])}
    turn(client, demo, "да")
    assert invites(services) == []


def test_retention_drops_states_older_than_any_session(
        client: Any, demo: dict[str, Any], services: Services, clock: FrozenClock) -> None:
    read_back(client, demo)
    assert privacy.prune(services).voice_sessions == 0
    clock.advance(hours=1, seconds=1)
    assert privacy.prune(services).voice_sessions == 1
    assert states(services) == 0


def test_an_oversized_state_drops_the_last_speech_first(
        demo: dict[str, Any], services: Services) -> None:
    with services.db.session() as session:
        shop_id = int(session.scalar(select(Shop.id).where(Shop.slug == "demo")) or 0)
    store = VoiceSessions(services, "salute", privacy.VOICE_SESSIONS_KEPT)
    big = {"dialog": {"awaiting": "friend_confirm", "contact": {"value": FRIEND},
                      "last": [["say", "x" * MAX_STATE_CHARS]]}}
    store.save(shop_id, "caller", "s1", big)
    assert store.load(shop_id, "caller", "s1") == {"dialog": {**big["dialog"], "last": []}}
    store.save(shop_id, "caller", "s1", {"dialog": {"heard": "y" * MAX_STATE_CHARS}})
    assert store.load(shop_id, "caller", "s1") == {}
