"""Console and YAML tests without side effects on real data (issue 27): each console session
has its own fresh "new voice user", so completing a pairing there leaves the next session's
new; the YAML file saved from that session refers to the pairing code it was sent
(`${pairing_code}`) and passes on replay, run after run; the project's own pairing cases
still pass after a console pairing, twice in a row."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select

from core.models import Message, PairingChallenge, VoiceIdentity
from fulfillment.simulator import conversations
from tests.conftest import REPO
from tests.test_console import signed_in

NEW = {"shop": "demo", "platform": "alexa", "locale": "en-US", "user": "new"}


def _pair_in_console(client, services, headers) -> dict:  # type: ignore[no-untyped-def]
    client.post("/console/api/say", headers=headers,
                json={**NEW, "text": "share the referral program", "new": True})
    client.post("/console/api/say", headers=headers,
                json={**NEW, "text": "my email is new dot visitor at example dot com"})
    with services.db.session() as session:
        pin = session.scalars(select(Message).where(Message.kind == "pairing_code")
                              .order_by(Message.id.desc())).first().context["pairing_code"]
    done = client.post("/console/api/say", headers=headers,
                       json={**NEW, "text": f"the code is {pin}"}).get_json()
    assert "linked" in done["speech"], done["speech"]
    return done


def test_each_console_session_has_its_own_new_voice_user(client, demo, services):
    headers = {"X-CSRF-Token": signed_in(client, demo)}
    _pair_in_console(client, services, headers)
    again = client.post("/console/api/say", headers=headers,
                        json={**NEW, "text": "share the referral program", "new": True})
    assert "link this device" in again.get_json()["speech"]  # new again, not the paired one
    with services.db.session() as session:
        users = [v.assistant_user_id for v in session.scalars(select(VoiceIdentity))
                 if v.assistant_user_id.startswith("sandbox-new-")]
    assert users == []  # the paired conversation is over: its link went with it; the
    # next session's voice user is not linked


def _left_by_fresh_voice_users(services) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        links = session.scalars(select(VoiceIdentity.assistant_user_id)).all()
        pairings = session.scalars(select(PairingChallenge.assistant_user_id)).all()
    return (sum(u.startswith("sandbox-new-") for u in links),
            sum(u.startswith("sandbox-new-") for u in pairings))


def _real_links(services) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        return sorted((v.assistant_user_id, v.customer_id)
                      for v in session.scalars(select(VoiceIdentity))
                      if not v.assistant_user_id.startswith("sandbox-new-"))


def test_console_sign_out_removes_what_its_new_voice_user_paired(client, demo, services):
    headers = {"X-CSRF-Token": signed_in(client, demo)}
    real = _real_links(services)
    _pair_in_console(client, services, headers)
    assert _left_by_fresh_voice_users(services) == (1, 1)  # linked while the session lasts
    assert client.post("/console/logout",
                       data={"csrf_token": headers["X-CSRF-Token"]}).status_code == 302
    assert _left_by_fresh_voice_users(services) == (0, 0)
    assert _real_links(services) == real  # Alex's own voice identities are untouched


def test_the_merchant_sign_out_ends_the_console_pairing_too(client, demo, services):
    headers = {"X-CSRF-Token": signed_in(client, demo)}
    _pair_in_console(client, services, headers)
    assert client.post("/logout", data={"csrf_token": headers["X-CSRF-Token"]},
                       headers=headers).status_code in (302, 303)
    assert _left_by_fresh_voice_users(services) == (0, 0)


def test_resetting_the_console_removes_its_new_voice_users_pairing(client, demo, services):
    headers = {"X-CSRF-Token": signed_in(client, demo)}
    _pair_in_console(client, services, headers)
    assert client.post("/console/api/reset", headers=headers).status_code == 200
    assert _left_by_fresh_voice_users(services) == (0, 0)


def test_an_idle_console_session_leaves_no_pairing_behind(client, demo, services, clock):
    """Never signed out: the next save anywhere (an hour later) removes the idle one."""
    headers = {"X-CSRF-Token": signed_in(client, demo)}
    _pair_in_console(client, services, headers)
    clock.advance(hours=1, minutes=1)
    client.post("/console/api/say", headers=headers,
                json={**NEW, "user": "alex", "text": "hello", "new": True})
    assert _left_by_fresh_voice_users(services) == (0, 0)


def test_the_saved_session_refers_to_its_pairing_code_and_replays_twice(client, demo,
                                                                         services):
    headers = {"X-CSRF-Token": signed_in(client, demo)}
    _pair_in_console(client, services, headers)
    text = client.get("/console/api/save").get_data(as_text=True)
    spec = yaml.safe_load(text)
    assert spec["turns"][2]["say"] == "the code is ${pairing_code}", text
    for run in range(2):
        outcome = conversations.run_isolated(services, f"saved-{run}", spec, "alexa")
        assert outcome.passed, outcome.failures


def test_the_projects_pairing_cases_pass_twice_after_a_console_pairing(client, demo,
                                                                        services):
    headers = {"X-CSRF-Token": signed_in(client, demo)}
    _pair_in_console(client, services, headers)
    files = [REPO / "tests" / "conversations" / f"pairing_{lang}.yaml" for lang in ("en", "ru")]
    for _ in range(2):
        for path in files:
            for name, spec, assistant in conversations.cases(Path(path)):
                outcome = conversations.run_isolated(services, name, spec, assistant)
                assert outcome.passed, (name, outcome.failures)


def test_a_reference_nothing_produced_is_a_failure_not_a_pass(services, demo):
    spec = {"shop": "demo", "user": "alex", "turns": [
        {"say": "the code is ${pairing_code}", "expect": {}}]}
    outcome = conversations.run_isolated(services, "dangling", spec, "alexa")
    assert not outcome.passed
    assert "${pairing_code} was not produced" in outcome.failures[0]


def test_signing_out_everywhere_ends_the_console_on_every_device(app, demo, services):
    """A pairing done in the console on another device goes too."""
    laptop, phone = app.test_client(), app.test_client()
    laptop_headers = {"X-CSRF-Token": signed_in(laptop, demo)}
    _pair_in_console(phone, services,
                     {"X-CSRF-Token": signed_in(phone, demo)})
    assert _left_by_fresh_voice_users(services) == (1, 1)
    answer = laptop.post("/logout/everywhere", data={"csrf_token": laptop_headers[
        "X-CSRF-Token"]}, headers=laptop_headers)
    assert answer.status_code == 200, answer.status_code
    assert _left_by_fresh_voice_users(services) == (0, 0)
