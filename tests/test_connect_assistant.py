"""Connect your assistant: the page says what to paste where, stores what we need (secrets
hashed or sealed), and its live status flips on a sandbox-signed request through the real
webhook and names the reason of a refusal; the try-it box speaks through the simulator.
Only managers and owners of that shop open it."""

from __future__ import annotations

import dataclasses
import re

import pytest

from core import assistant_status, referrals
from core.models import StaffUser
from core.passwords import hash_password
from fulfillment.simulator.turns import Simulator
from tests.test_dashboard import sign_in

OTHER_SKILL = "amzn1.ask.skill.11111111-2222-4333-8444-555555555555"


def csrf(client, path: str = "/connect/demo/alexa") -> str:  # type: ignore[no-untyped-def]
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def status(client, platform: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return client.get(f"/connect/demo/{platform}/status").get_json()


@pytest.fixture
def simulator(app, services, demo) -> Simulator:  # type: ignore[no-untyped-def]
    return Simulator(app, services)


def test_the_alexa_status_turns_green_on_a_signed_request_and_names_a_refusal(
        client, demo, simulator, services):
    sign_in(client, demo)
    page = client.get("/connect/demo/alexa").get_data(as_text=True)
    assert "https://refer.test/alexa/demo" in page and demo["skill_ids"]["alexa"] in page
    assert "No verified request from Alexa yet." in page
    assert status(client, "alexa")["state"] == "waiting"

    conv = simulator.start("alexa", "demo", "en-US")
    assert simulator.say(conv, "how does the referral program work").status == 200
    green = status(client, "alexa")
    assert green["state"] == "ok" and green["accepted"]["intent"] == "ExplainProgram"
    assert green["accepted"]["locale"] == "en-US"
    assert green["accepted"]["at"] == services.clock().isoformat()

    forged = dataclasses.replace(conv, skill_id=OTHER_SKILL)
    assert simulator.say(forged, "help").status == 400
    red = status(client, "alexa")
    assert red["state"] == "refused" and red["accepted"]["intent"] == "ExplainProgram"
    assert red["refused"]["reason"] == (f"skill id mismatch: the request is for {OTHER_SKILL}, "
                                        f"this shop has {demo['skill_ids']['alexa']}")
    assert "skill id mismatch" in client.get("/connect/demo/alexa").get_data(as_text=True)


def test_dialogflow_and_alice_refusals_say_why(client, demo, services):
    sign_in(client, demo)
    client.post("/dialogflow/demo", json={"fulfillmentInfo": {"tag": "x"}, "sessionInfo": {}},
                headers={"Authorization": "Bearer not-a-token"})
    cx = status(client, "dialogflow-cx")  # a CX body: its status line, not ES's
    assert cx["state"] == "refused" and cx["refused"]["reason"].startswith("ID token rejected")
    assert status(client, "dialogflow-es")["state"] == "waiting"
    client.post("/dialogflow/demo", json={"queryResult": {"queryText": "hi"}},
                headers={"X-Dialogflow-Secret": "wrong"})
    assert status(client, "dialogflow-es")["refused"]["reason"] == (
        "no valid ID token, header secret or basic auth")
    body = {"meta": {"locale": "ru-RU"}, "version": "1.0",
            "session": {"new": True, "message_id": 0, "session_id": "s", "skill_id": "x",
                        "application": {"application_id": "a"}, "user": {"user_id": "u"}},
            "request": {"command": "", "original_utterance": "", "type": "SimpleUtterance"}}
    assert client.post("/alice/demo", json=body).status_code == 403
    assert status(client, "alice")["refused"]["reason"] == (
        "skill id mismatch: the request names another skill")


def test_a_flood_of_refusals_is_one_row_written_once(services, demo):
    recorder = assistant_status.StatusRecorder(services.db, background=False)
    for n in range(500):
        recorder.note_refused("demo", "alexa", services.clock(), f"reason {n}")
    recorder.note_refused("no-such-shop", "alexa", services.clock(), "x")
    recorder.note_refused("demo", "not-a-platform", services.clock(), "x")
    assert recorder.flush() == 1
    assert recorder.flush() == 0
    with services.db.session() as session:
        shop = referrals.shop_by_slug(session, "demo")
    row = assistant_status.statuses(services, shop.id)["alexa"]
    assert (row.refused_reason, row.refused_count) == ("reason 499", 500)


def test_saving_a_skill_id_validates_and_the_webhook_follows_it(client, demo, simulator):
    sign_in(client, demo)
    token = csrf(client)
    bad = client.post("/connect/demo/alexa", data={"csrf_token": token,
                                                    "alexa_skill_id": "my skill"})
    assert bad.status_code == 422 and "An Alexa skill id looks like" in bad.get_data(as_text=True)
    assert client.post("/connect/demo/alexa", data={"alexa_skill_id": OTHER_SKILL}
                       ).status_code == 400  # no CSRF token
    good = client.post("/connect/demo/alexa", data={"csrf_token": token,
                                                     "alexa_skill_id": OTHER_SKILL})
    assert good.status_code == 200 and 'id="saved"' in good.get_data(as_text=True)
    conv = simulator.start("alexa", "demo", "en-US")
    assert conv.skill_id == OTHER_SKILL and simulator.say(conv, "help").status == 200
    old = dataclasses.replace(conv, skill_id=demo["skill_ids"]["alexa"])
    assert simulator.say(old, "help").status == 400  # the webhook's cache was refreshed


def test_the_alice_token_is_sealed_and_the_es_secret_shown_once(client, demo, services,
                                                                 simulator):
    sign_in(client, demo)
    token = csrf(client)
    answer = client.post("/connect/demo/alice", data={
        "csrf_token": token, "alice_skill_id": "00000000-0000-4000-8000-00000000a11c",
        "alice_oauth_token": "y0_AgAAAAB-this-is-a-token-1234"})
    assert answer.status_code == 200
    with services.db.session() as session:
        stored = referrals.shop_by_slug(session, "demo").settings
    assert "y0_AgAAAAB" not in str(stored)
    assert services.box.open(stored["alice_oauth_token"]) == "y0_AgAAAAB-this-is-a-token-1234"
    assert "y0_AgAAAAB" not in client.get("/connect/demo/alice").get_data(as_text=True)

    made = client.post("/connect/demo/dialogflow-es", data={
        "csrf_token": token, "dialogflow_es_header": "X-Shop-Secret", "regenerate": "1"})
    secret = re.search(r'<code class="secret">([^<]+)</code>',
                       made.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert secret not in client.get("/connect/demo/dialogflow-es").get_data(as_text=True)
    tried = client.post("/connect/demo/dialogflow-es/try", headers={"X-CSRF-Token": token},
                        json={"text": "help", "locale": "en-US", "es_secret": secret})
    assert tried.status_code == 200 and tried.get_json()["status"] == 200
    assert status(client, "dialogflow-es")["state"] == "ok"
    wrong = client.post("/connect/demo/dialogflow-es/try", headers={"X-CSRF-Token": token},
                        json={"text": "help", "locale": "en-US", "es_secret": "guess"})
    assert wrong.get_json()["status"] == 401
    assert status(client, "dialogflow-es")["state"] == "refused"


def test_the_try_it_box_answers_through_the_simulator(client, demo):
    sign_in(client, demo)
    token = csrf(client)
    said = client.post("/connect/demo/alexa/try", headers={"X-CSRF-Token": token},
                       json={"text": "how does the referral program work", "locale": "en-US"})
    data = said.get_json()
    assert data["status"] == 200 and "Your friend gets 10% off" in data["speech"]
    assert data["ssml"].startswith("<speak>") and data["intent"] == "ExplainProgram"
    assert client.post("/connect/demo/alexa/try", headers={"X-CSRF-Token": token},
                       json={"text": "x", "locale": "ru-RU"}).status_code == 422
    assert client.post("/connect/demo/alexa/try", json={"text": "x"}).status_code == 400


def test_only_managers_of_that_shop_open_the_connect_pages(app, client, demo, services):
    assert client.get("/connect/demo/alexa").status_code == 302
    with services.db.session() as session:
        shop = referrals.shop_by_slug(session, "demo")
        session.add(StaffUser(shop_id=shop.id, email="support@demo.test", role="support",
                              password_hash=hash_password("support-password-123"),
                              email_verified_at=services.clock()))
    sign_in(client, {"staff": {"email": "support@demo.test",
                               "password": "support-password-123"}})
    assert client.get("/connect/demo/alexa").status_code == 403
    assert client.get("/program/demo").status_code == 403
    assert client.get("/dashboard/demo").status_code == 200  # support reads KPIs
    assert client.get("/dashboard/demo/export/alexa.zip").status_code == 403
    owner = app.test_client()
    sign_in(owner, demo)
    assert owner.get("/connect/demo/alexa").status_code == 200
    assert owner.get("/connect/other/alexa").status_code == 403
    assert owner.get("/connect/demo/siri").status_code == 404
