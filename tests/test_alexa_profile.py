"""When the customer granted Alexa the profile permission, pairing skips asking for the
address: the code goes to the account's mobile number (still confirmed by saying it back).
Without the permission, Alexa gets a permissions card and the customer is asked by voice.
The Customer Profile API is a local server speaking Amazon's documented paths."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select

from core.models import Message
from fulfillment.app import create_app
from fulfillment.simulator.sandbox_keys import sandbox_keys
from tests.support.alexa import envelope
from tests.support.http_servers import JsonHandler, serve
from voice.platforms.alexa.profile import EMAIL, MOBILE, ProfileClient


@contextmanager
def profile_api(granted: bool) -> Iterator[str]:
    class Handler(JsonHandler):
        def do_GET(self) -> None:
            if self.headers.get("Authorization") != "Bearer test-token" or not granted:
                body, status = {"code": "ACCESS_DENIED", "message": "no consent"}, 403
            elif self.path == MOBILE:
                body, status = {"countryCode": "+49", "phoneNumber": "30901820"}, 200
            elif self.path == EMAIL:
                body, status = "owner@example.de", 200
            else:
                body, status = {"message": "not found"}, 404
            self.reply(status, body)

    with serve(Handler) as url:
        yield url


def share_as_new_visitor(services, demo, clock, endpoint: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    services.adapters.alexa_profile = ProfileClient(allowed_hosts=("127.0.0.1",))
    client = create_app(services=services).test_client()
    body = json.dumps(envelope(skill_id=demo["skill_ids"]["alexa"],
                               user_id=demo["voice_users_unlinked"]["alexa"],
                               intent="ShareProgram", now=clock(),
                               api_endpoint=endpoint)).encode()
    keys = sandbox_keys(services)
    response = client.post("/alexa/demo", data=body, headers={
        **keys.alexa_headers(body), "Content-Type": "application/json"})
    assert response.status_code == 200
    return response.get_json()


def test_a_granted_profile_sends_the_code_to_the_accounts_mobile(services, demo, clock):
    with profile_api(granted=True) as endpoint:
        answer = share_as_new_visitor(services, demo, clock, endpoint)
    assert "six-digit code" in answer["response"]["outputSpeech"]["ssml"]
    with services.db.session() as session:
        [message] = session.scalars(select(Message)).all()
        assert (message.kind, message.recipient) == ("pairing_code", "+4930901820")
        assert message.evidence["from_profile"] is True


def test_without_consent_alexa_shows_the_permissions_card_and_asks_by_voice(services, demo,
                                                                           clock):
    with profile_api(granted=False) as endpoint:
        answer = share_as_new_visitor(services, demo, clock, endpoint)
    card = answer["response"]["card"]
    assert card["type"] == "AskForPermissionsConsent"
    assert "alexa::profile:mobile_number:read" in card["permissions"]
    assert "phone number or email" in answer["response"]["outputSpeech"]["ssml"]


def test_a_profile_endpoint_that_is_not_amazons_is_never_called(services, demo, clock):
    client = ProfileClient()
    assert client.lookup("http://127.0.0.1:9", "test-token") is None
    assert client.lookup("https://evil.example", "test-token") is None
