"""The Alice image job never floods the log: in the sandbox (the demo) it hands images to a
local stand-in instead of calling Yandex with a made-up token, saying so once; when the
configured Yandex is unreachable each queued image costs one warning per backed-off attempt,
never a traceback."""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from core import alice_images
from core.models import ExternalImage
from core.sandbox import is_sandbox
from core.services import Services
from fulfillment.app import create_app
from fulfillment.simulator.turns import Simulator
from tests.support.http_servers import free_port

PASSES = 6


@pytest.fixture
def simulator(services: Services, demo) -> Simulator:  # type: ignore[no-untyped-def]
    return Simulator(create_app(services=services), services)


def share_on_a_screen(simulator: Simulator) -> dict:
    return simulator.say(simulator.start("alice", "demo", "ru-RU", screen=True),
                         "поделись реферальной программой").response["response"]


def image_row(services: Services) -> ExternalImage:
    with services.db.session() as session:
        row = session.scalar(select(ExternalImage))
        session.expunge_all()
        return row


def test_in_the_sandbox_the_job_uses_the_local_stand_in_and_says_so_in_one_line(
        simulator, services, clock, caplog):
    assert is_sandbox(services.settings) and alice_images.api_url(services) is None
    assert "card" not in share_on_a_screen(simulator)
    caplog.set_level(logging.DEBUG)  # not even a connection attempt from urllib3
    job = alice_images.upload_job(services)
    ready = 0
    for _ in range(PASSES):
        ready += job()
        clock.advance(seconds=5)
    assert ready == 1
    assert len(caplog.records) <= 1 and not any(r.exc_info for r in caplog.records)
    assert "stand-in" in caplog.text
    row = image_row(services)
    assert row.status == "ready" and row.image_id.startswith("sandbox/") and row.attempts == 1
    card = share_on_a_screen(simulator)["card"]
    assert card["type"] == "BigImage" and card["image_id"] == row.image_id


def test_an_unreachable_yandex_costs_one_warning_per_attempt_and_no_traceback(
        simulator, services, clock, caplog):
    services.adapters.yandex_dialogs_url = f"http://127.0.0.1:{free_port()}"  # nobody there
    share_on_a_screen(simulator)
    caplog.set_level(logging.INFO)  # what `serve` logs at
    job = alice_images.upload_job(services)
    for _ in range(PASSES):  # half a second apart: the first retry is at least 5 s away
        assert job() == 0
        clock.advance(seconds=0.5)
    assert len(caplog.records) == 1 and caplog.records[0].exc_info is None
    assert "unreachable" in caplog.text and "Traceback" not in caplog.text
    row = image_row(services)
    assert (row.status, row.attempts) == ("pending", 1) and row.next_attempt_at > clock()
    assert "card" not in share_on_a_screen(simulator)


def test_the_alice_images_command_in_the_sandbox_uploads_to_the_stand_in(simulator, services,
                                                                      clock):

    from fulfillment.cli import main
    from fulfillment.cli.services import CliOptions

    share_on_a_screen(simulator)
    env = {"DATABASE_URL": services.settings.database_url,
           "SECRET_KEY": services.settings.secret_key, "HASH_KEY": services.settings.hash_key,
           "BASE_URL": services.base_url, "YANDEX_DIALOGS_URL": "", "SANDBOX": "1"}
    result = CliRunner().invoke(main, ["alice-images", "--once"], env=env,
                                obj=CliOptions(clock=clock),
                                catch_exceptions=False)  # on the test's clock
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "sandbox: QR images go to the local stand-in, not to Yandex (set YANDEX_DIALOGS_URL "
        "to upload for real)", "uploaded 1"]
    assert image_row(services).image_id.startswith("sandbox/")
