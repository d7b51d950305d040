"""One language model feeds every platform: each intent has samples in every locale, every
slot a sample uses exists, and the Alexa package for a shop passes Amazon's rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from voice import model as language_model
from voice.exports import ShopVoiceInfo
from voice.platforms.alexa.export import export, interaction_model, validate
from voice.turn import LAUNCH, SESSION_ENDED, Intent

LM = language_model.load()


def test_the_dialogs_intent_enum_names_exactly_the_models_intents_and_two_pseudo_intents():
    assert {str(i) for i in Intent} == {*LM.intents, LAUNCH, SESSION_ENDED}


@pytest.mark.parametrize("locale", list(LM.locales))
def test_every_intent_has_samples_in_every_locale(locale: str):
    samples = LM.locale(locale).samples
    missing = [i.name for i in LM.intents.values() if i.has_samples and not samples.get(i.name)]
    assert missing == []


@pytest.mark.parametrize("locale", list(LM.locales))
def test_every_slot_a_sample_uses_is_declared_on_its_intent(locale: str):
    for intent, samples in LM.locale(locale).samples.items():
        assert intent in LM.intents, f"{locale}: samples for unknown intent {intent}"
        for sample in samples:
            for slot in language_model.slots_in(sample):
                assert slot in LM.intents[intent].slots, f"{locale} {intent}: {sample}"


@pytest.mark.parametrize("locale", list(LM.locales))
def test_no_sample_belongs_to_two_intents(locale: str):
    seen: dict[str, str] = {}
    for intent, samples in LM.locale(locale).samples.items():
        for sample in samples:
            assert seen.setdefault(sample.lower(), intent) == intent, sample


def demo_info() -> ShopVoiceInfo:
    return ShopVoiceInfo(slug="demo", name="Demo Shop", base_url="https://refer.test",
                         invocation_names={"en": "demo shop", "de": "demo laden"})


def test_the_demo_skill_package_has_the_ask_cli_layout(tmp_path: Path):
    written = export(demo_info(), tmp_path)
    package = tmp_path / "skill-package"
    assert package / "skill.json" in written
    manifest = json.loads((package / "skill.json").read_text())["manifest"]
    assert manifest["apis"]["custom"]["endpoint"]["uri"] == "https://refer.test/alexa/demo"
    for locale in ("en-US", "en-GB", "de-DE"):
        data = json.loads((package / "interactionModels" / "custom" / f"{locale}.json")
                          .read_text())["interactionModel"]["languageModel"]
        assert data["invocationName"] == ("demo laden" if locale == "de-DE" else "demo shop")
        names = {i["name"] for i in data["intents"]}
        assert {"ShareProgram", "SendInvite", "AMAZON.HelpIntent", "AMAZON.FallbackIntent",
                "AMAZON.NavigateHomeIntent"} <= names
        assert "WhatCanYouDo" not in names  # Alice only


def _model(**changes: Any) -> dict[str, Any]:
    model = interaction_model("en-US", "demo shop")
    model["interactionModel"]["languageModel"].update(changes)
    return model


@pytest.mark.parametrize("name", ["alexa shop", "open demo", "demo skill", "shop for",
                                  "Demo Shop", "x", "demo shop 2"])
def test_the_validator_refuses_invocation_names_amazon_refuses(name: str):
    assert validate(_model(invocationName=name)) != []


def test_the_validator_finds_duplicate_utterances_and_undeclared_slots():
    model = _model()
    intents = model["interactionModel"]["languageModel"]["intents"]
    share = next(i for i in intents if i["name"] == "ShareProgram")
    explain = next(i for i in intents if i["name"] == "ExplainProgram")
    explain["samples"].append(share["samples"][0])
    share["samples"].append("send it by {carrier}")
    share["slots"].append({"name": "mood", "type": "MOOD"})
    problems = " | ".join(validate(model))
    assert "duplicate utterance" in problems
    assert "{carrier}" in problems
    assert "undeclared type MOOD" in problems


def test_the_validator_accepts_the_generated_models():
    for locale in ("en-US", "en-GB", "de-DE"):
        assert validate(interaction_model(locale, "demo shop")) == []


def test_export_models_cli_writes_the_demo_package(tmp_path: Path, demo, services,
                                                   monkeypatch: pytest.MonkeyPatch):
    from fulfillment.cli import main

    monkeypatch.setenv("DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("SECRET_KEY", services.settings.secret_key)
    monkeypatch.setenv("HASH_KEY", services.settings.hash_key)
    # Alexa calls only public https on 443: the export refuses a plain-http BASE_URL and
    # says how to get an https one; with one, it writes the package.
    monkeypatch.setenv("BASE_URL", "http://127.0.0.1:8000")
    refused = CliRunner().invoke(main, ["export-models", "alexa", "--shop", "demo",
                                        "--out", str(tmp_path)])
    assert refused.exit_code == 1 and "https" in refused.output
    assert not (tmp_path / "skill-package").exists()
    monkeypatch.setenv("BASE_URL", "https://refer.example")
    result = CliRunner().invoke(main, ["export-models", "alexa", "--shop", "demo",
                                       "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "skill-package" / "interactionModels" / "custom" / "de-DE.json").exists()
    bad = CliRunner().invoke(main, ["export-models", "alexa", "--shop", "nope",
                                    "--out", str(tmp_path)])
    assert bad.exit_code == 1 and "nope" in bad.output
