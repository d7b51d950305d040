"""Every assistant in core/assistants.py is one complete folder (docs/assistants.md), the one
webhook serves exactly those, and a URL shape an assistant does not have is a 404."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.assistants import ASSISTANTS, NAMES, SPEAKERS, VARIANTS, of_variant, speaker_of
from voice.platform import AssistantPlatform
from voice.platforms import module, of_variant_module

PLATFORMS = Path(__file__).resolve().parent.parent / "voice" / "platforms"


@pytest.mark.parametrize("name", NAMES)
def test_each_listed_assistant_has_every_part_its_folder_must_hold(name: str, services) -> None:
    assert isinstance(module(name, "webhook").platform(services), AssistantPlatform)
    assert module(name, "webhook").platform(services).name == name
    for part, names in (("simulate", ("build", "headers", "read", "understood")),
                        ("connect", ("configure", "shown", "try_headers")),
                        ("preview", ("blocks",))):
        loaded = module(name, part)
        assert all(callable(getattr(loaded, n, None)) for n in names), (name, part)
    page = (PLATFORMS / name / "connect.html").read_text(encoding="utf-8")
    for macro in ("steps", "fields", "try_extra", "try_note"):
        assert f"{{% macro {macro}(" in page, (name, macro)


@pytest.mark.parametrize("key", VARIANTS)
def test_every_variant_has_an_export_in_its_assistants_folder(key: str) -> None:
    assert callable(of_variant_module(key, "export").EXPORTS[key])


def test_a_name_outside_the_list_is_no_assistant() -> None:
    with pytest.raises(KeyError):
        module("marusia", "webhook")
    with pytest.raises(KeyError):
        of_variant("marusia")
    assert speaker_of("dialogflow-cx") == "google" and speaker_of("console") == "console"
    assert tuple(dict.fromkeys(a.speaker for a in ASSISTANTS)) == SPEAKERS


def test_a_secret_token_segment_is_404_for_an_assistant_whose_url_has_none(client) -> None:
    for assistant in ASSISTANTS:
        path = f"/{assistant.name}/demo" + ("" if assistant.path_token else "/some-token")
        assert client.post(path, json={}).status_code == 404


def test_a_path_that_names_no_assistant_is_not_the_webhook(client) -> None:
    assert client.post("/marusia/demo", json={}).status_code in (404, 405)
