"""Alice shows the QR only after it is uploaded to Yandex, which happens outside the webhook:
the first answer carries text and the link button, a job uploads (retrying 429 and 5xx),
and later answers carry a BigImage card."""

from __future__ import annotations

import pytest

from core import alice_images
from core.alice_images import DialogsImageClient, UploadError
from core.demo import demo_secrets
from core.services import Services
from fulfillment.app import create_app
from fulfillment.simulator.turns import Simulator
from tests.support.fake_yandex import fake_dialogs


@pytest.fixture
def simulator(services: Services, demo) -> Simulator:  # type: ignore[no-untyped-def]
    return Simulator(create_app(services=services), services)


def test_the_qr_card_appears_once_the_upload_job_has_run(simulator, services, clock):
    token = demo_secrets(services)["alice_oauth_token"]
    with fake_dialogs(token) as yandex:
        services.adapters.yandex_dialogs_url = yandex.url
        yandex.failures = [429, 503]
        conv = simulator.start("alice", "demo", "ru-RU", screen=True)
        first = simulator.say(conv, "поделись реферальной программой")
        assert "card" not in first.response["response"]
        assert first.response["response"]["buttons"][0]["url"] == first.link
        assert alice_images.upload_pending(services) == 0  # 429: retried later
        clock.advance(minutes=5)
        assert alice_images.upload_pending(services) == 0  # 503: retried later
        clock.advance(minutes=5)
        assert alice_images.upload_pending(services) == 1
        again = simulator.say(simulator.start("alice", "demo", "ru-RU", screen=True),
                              "поделись реферальной программой")
        card = again.response["response"]["card"]
        assert card["type"] == "BigImage" and card["image_id"] == "1027858/img1"
        assert 1024 <= yandex.uploads[0] <= 1024 * 1024
        # the console draws the card as the device shows it: the QR Yandex holds
        assert first.image is None and again.image and again.image.endswith(".png")
        assert again.card and again.card["title"]


def test_without_a_screen_there_is_no_card_and_nothing_to_upload(simulator, services):
    conv = simulator.start("alice", "demo", "ru-RU", screen=False)
    result = simulator.say(conv, "поделись реферальной программой")
    assert "card" not in result.response["response"]
    assert alice_images.upload_pending(services) == 0


@pytest.mark.parametrize("size", [100, 2 * 1024 * 1024])
def test_images_outside_one_kilobyte_to_one_megabyte_are_refused_before_upload(size):
    with fake_dialogs("t") as yandex:
        client = DialogsImageClient("t", yandex.url)
        with pytest.raises(UploadError) as info:
            client.upload("skill", b"x" * size)
        assert not info.value.retryable and yandex.uploads == []


def test_a_wrong_oauth_token_is_a_permanent_failure():
    with fake_dialogs("right") as yandex:
        with pytest.raises(UploadError) as info:
            DialogsImageClient("wrong", yandex.url).upload("skill", b"x" * 2048)
        assert not info.value.retryable


def test_the_uploaded_image_is_the_qr_of_the_invite_link(simulator, services):
    from tests.support.qr_decode import decode_png

    with fake_dialogs(demo_secrets(services)["alice_oauth_token"]) as yandex:
        services.adapters.yandex_dialogs_url = yandex.url
        shared = simulator.say(simulator.start("alice", "demo", "ru-RU", screen=True),
                               "поделись реферальной программой")
        assert alice_images.upload_pending(services) == 1
        [link] = decode_png(yandex.images[0])
        assert link.split("?")[0] == shared.link.split("?")[0]


def test_a_full_skill_quota_is_refused_without_uploading():
    with fake_dialogs("t") as yandex:
        yandex.used = 100 * 1024 * 1024 - 1000
        with pytest.raises(UploadError) as info:
            DialogsImageClient("t", yandex.url).upload("skill", b"x" * 2048)
        assert not info.value.retryable and "quota" in str(info.value)
        assert yandex.uploads == []


def test_an_upload_that_keeps_failing_stops_after_its_attempts_and_the_link_still_works(
        simulator, services, clock):
    from sqlalchemy import select

    from core.models import ExternalImage

    with fake_dialogs(demo_secrets(services)["alice_oauth_token"]) as yandex:
        services.adapters.yandex_dialogs_url = yandex.url
        yandex.failures = [500] * alice_images.MAX_ATTEMPTS
        simulator.say(simulator.start("alice", "demo", "ru-RU", screen=True),
                      "поделись реферальной программой")
        for _ in range(alice_images.MAX_ATTEMPTS + 2):
            assert alice_images.upload_pending(services) == 0
            clock.advance(hours=2)
        with services.db.session() as session:
            row = session.scalar(select(ExternalImage))
            assert (row.status, row.attempts) == ("failed", alice_images.MAX_ATTEMPTS)
            assert "500" in (row.last_error or "")
        again = simulator.say(simulator.start("alice", "demo", "ru-RU", screen=True),
                              "поделись реферальной программой")
        assert "card" not in again.response["response"]
        assert again.response["response"]["buttons"][0]["url"] == again.link


def test_the_alice_images_job_command_uploads_what_the_webhook_queued(simulator, services,
                                                                      clock):
    from click.testing import CliRunner

    from fulfillment.cli import main
    from fulfillment.cli.services import CliOptions

    with fake_dialogs(demo_secrets(services)["alice_oauth_token"]) as yandex:
        simulator.say(simulator.start("alice", "demo", "ru-RU", screen=True),
                      "поделись реферальной программой")
        env = {"DATABASE_URL": services.settings.database_url,
               "SECRET_KEY": services.settings.secret_key,
               "HASH_KEY": services.settings.hash_key, "BASE_URL": services.base_url,
               "YANDEX_DIALOGS_URL": yandex.url}
        result = CliRunner().invoke(main, ["alice-images", "--once"], env=env,
                                    obj=CliOptions(clock=clock),
                                    catch_exceptions=False)  # on the test's clock
        assert result.exit_code == 0 and "uploaded 1" in result.output, result.output
        assert len(yandex.images) == 1
