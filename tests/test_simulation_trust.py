"""Console simulation on a live deployment, without SANDBOX (issue 26, item 2): the
simulator's requests never leave the process and are trusted only there (a capture object
in the request's WSGI environ, which no HTTP client can set), and what its turns queue is
sent by the sandbox channel, never a real one. SANDBOX stays off, so nothing else is
weakened: requests from outside are verified as before."""

from __future__ import annotations

import json

from sqlalchemy import select

from core.messaging.worker import Worker
from core.models import Message
from fulfillment.simulator.turns import Simulator
from tests.support.alexa import envelope
from tests.test_secrets import _deployment


class RealTelegram:
    """Stands for the live channel: records what would have reached a real chat."""

    name = "telegram"

    def __init__(self) -> None:
        self.sent: list[object] = []

    def send(self, message: object) -> str:
        self.sent.append(message)
        return "real-1"


def test_the_console_simulates_a_share_on_a_live_deployment_and_sends_nothing_real(
        database, clock) -> None:
    live = _deployment(database, clock)
    assert (live.services.settings.sandbox, live.services.settings.messaging_mode) == (
        False, "live")
    simulator = Simulator(live.app, live.services)
    conv = simulator.start("alexa", live.demo["shop"], "en-US", user="alex")
    shared = simulator.say(conv, "share the referral program")
    assert shared.status == 200 and shared.messages, shared.response

    real = RealTelegram()
    Worker(live.services, channels={"telegram": real, "email": real, "sms": real,
                                    "whatsapp": real}).run_once()
    assert real.sent == []  # nothing reached a real channel
    with live.services.db.session() as session:
        rows = session.scalars(select(Message)).all()
        assert rows and all(m.context.get("simulated") for m in rows)
        assert {(m.status, (m.provider_message_id or "")[:8]) for m in rows} == {
            ("sent", "sandbox-")}  # sent, by the sandbox channel
    live.services.clicks.close()


def test_a_request_from_outside_cannot_claim_the_simulators_trust(database, clock) -> None:
    live = _deployment(database, clock)
    body = json.dumps(envelope(skill_id=live.demo["skill_ids"]["alexa"],
                               user_id=live.demo["voice_users"]["alexa"],
                               intent="ShareProgram", now=live.services.clock())).encode()
    for claim in ({"X-Referrals-Turn-Capture": "1"}, {"Referrals.Turn-Capture": "yes"},
                  {"Turn-Capture": "trusted"}):
        answer = live.client.post("/alexa/demo", data=body, content_type="application/json",
                                  headers=claim,
                                  environ_base={"HTTP_REFERRALS.TURN_CAPTURE": "trusted"})
        assert answer.status_code == 400, claim
        assert answer.get_json()["error"]["code"] == "verification_failed"
    with live.services.db.session() as session:
        assert session.scalars(select(Message)).all() == []
    live.services.clicks.close()
