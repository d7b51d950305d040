"""On Alexa, a confirmed weekly reminder is also created through Alexa's Reminders API when
the customer granted the permission (a local server speaking the documented API: POST and
DELETE /v1/alerts/reminders, Bearer token, 201 with an alertToken); without it, Alexa gets a
permissions card and the reminder still comes as our message. "Stop reminding me" deletes
the Alexa copy too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select

from core.models import Reminder
from fulfillment.app import create_app
from fulfillment.simulator.sandbox_keys import sandbox_keys
from tests.support.alexa import envelope
from tests.support.http_servers import JsonHandler, serve
from voice.platforms.alexa.reminders import PATH, PERMISSION, RemindersClient


@contextmanager
def reminders_api(granted: bool, seen: list[tuple[str, str, Any]]) -> Iterator[str]:
    class Handler(JsonHandler):
        def _authorized(self) -> bool:
            return self.headers.get("Authorization") == "Bearer test-token" and granted

        def do_POST(self) -> None:
            body = json.loads(self.body() or b"{}")
            seen.append(("POST", self.path, body))
            if not self._authorized():
                self.reply(401, {"code": "UNAUTHORIZED", "message": "no permission"})
            elif self.path != PATH or body.get("trigger", {}).get("type") != "SCHEDULED_ABSOLUTE":
                self.reply(400, {"code": "INVALID_REQUEST"})
            else:
                self.reply(201, {"alertToken": "alert-123", "createdTime": body["requestTime"],
                                 "status": "ON", "version": "1"})

        def do_DELETE(self) -> None:
            seen.append(("DELETE", self.path, None))
            self.reply(200 if self._authorized() else 401, {})

    with serve(Handler) as url:
        yield url


class AlexaTalk:
    def __init__(self, services: Any, demo: dict[str, Any], clock: Any, endpoint: str) -> None:
        services.adapters.alexa_reminders = RemindersClient(allowed_hosts=("127.0.0.1",))
        self.client = create_app(services=services).test_client()
        self.services, self.demo, self.clock, self.endpoint = services, demo, clock, endpoint
        self.attributes: dict[str, Any] = {}

    def say(self, intent: str, **slots: str) -> dict[str, Any]:
        body = json.dumps(envelope(skill_id=self.demo["skill_ids"]["alexa"],
                                   user_id=self.demo["voice_users"]["alexa"], intent=intent,
                                   slots=slots, attributes=self.attributes, now=self.clock(),
                                   api_endpoint=self.endpoint)).encode()
        keys = sandbox_keys(self.services)
        response = self.client.post("/alexa/demo", data=body, headers={
            **keys.alexa_headers(body), "Content-Type": "application/json"})
        assert response.status_code == 200
        answer = response.get_json()
        self.attributes = answer.get("sessionAttributes") or {}
        return answer


def test_a_granted_permission_puts_the_reminder_on_alexa_and_stop_removes_it(
        services, demo, clock):
    seen: list[tuple[str, str, Any]] = []
    with reminders_api(True, seen) as endpoint:
        talk = AlexaTalk(services, demo, clock, endpoint)
        asked = talk.say("SetReminder", weekday="friday")
        assert "every Friday" in asked["response"]["outputSpeech"]["ssml"]
        done = talk.say("AMAZON.YesIntent")
        assert "on your Alexa reminders too" in done["response"]["outputSpeech"]["ssml"]
        [(method, path, body)] = seen
        assert (method, path) == ("POST", PATH)
        assert body["trigger"]["timeZoneId"] == "America/New_York"
        assert body["trigger"]["recurrence"]["recurrenceRules"] == [
            "FREQ=WEEKLY;BYDAY=FR;BYHOUR=10;BYMINUTE=0;BYSECOND=0"]
        assert body["trigger"]["scheduledTime"].endswith("T10:00:00.000")
        assert body["alertInfo"]["spokenInfo"]["content"][0]["locale"] == "en-US"
        with services.db.session() as session:
            [reminder] = session.scalars(select(Reminder)).all()
            assert reminder.alexa_alert_token == "alert-123"
        talk.say("StopReminders")
        assert seen[-1][:2] == ("DELETE", f"{PATH}/alert-123")


def test_without_the_permission_alexa_shows_a_permissions_card_and_the_message_remains(
        services, demo, clock):
    seen: list[tuple[str, str, Any]] = []
    with reminders_api(False, seen) as endpoint:
        talk = AlexaTalk(services, demo, clock, endpoint)
        talk.say("SetReminder", weekday="friday")
        done = talk.say("AMAZON.YesIntent")
    card = done["response"]["card"]
    assert card["type"] == "AskForPermissionsConsent" and card["permissions"] == [PERMISSION]
    assert "allow reminders" in done["response"]["outputSpeech"]["ssml"]
    with services.db.session() as session:
        [reminder] = session.scalars(select(Reminder)).all()
        assert reminder.active and reminder.alexa_alert_token is None


def test_the_client_refuses_an_endpoint_that_is_not_amazons():
    client = RemindersClient()
    assert client.create("https://evil.example", "t", {}).status == "failed"
    assert client.create("http://127.0.0.1:9", "t", {}).status == "failed"
