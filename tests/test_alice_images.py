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
from fulfillment.simulate import Simulator
from tests.support.fake_yandex import fake_dialogs


@pytest.fixture
def simulator(services: Services, demo) -> Simulator:  # type: ignore[no-untyped-def]
    return Simulator(create_app(services=services), services)


def test_the_qr_card_appears_once_the_upload_job_has_run(simulator, services, clock):
    token = demo_secrets(services)["alice_oauth_token"]
    with fake_dialogs(token) as yandex:
        services.extras["yandex_dialogs_url"] = yandex.url
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
