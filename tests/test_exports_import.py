"""The assistant packages a new shop downloads import as they are, checked by the platforms'
own published models: the Alexa project (ASK CLI v2: ask-resources.json + skill-package/)
through ask-smapi-model's SkillManifestEnvelope and InteractionModelData, the Dialogflow CX
agent's files through the dialogflowcx_v3 protobuf messages (json_format.ParseDict, unknown
fields refused), the Dialogflow ES agent's entities through the v2 messages.

Defects this proves fixed (issue 23): a shop name with "&" answered 500; the endpoint was
http://127.0.0.1 with certificate type "Wildcard", no ask-resources.json, no reminders
permission; Dialogflow ES came as a zip inside a zip with a fixed Europe/Moscow time zone;
the CX webhook lacked the service-agent auth our verifier requires; the Alice export ignored
the Russian name saved in Settings."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_model_runtime.serializer import DefaultSerializer
from ask_smapi_model.v1.skill.interaction_model.interaction_model_data import (
    InteractionModelData,
)
from ask_smapi_model.v1.skill.manifest.skill_manifest_envelope import SkillManifestEnvelope
from google.cloud.dialogflow_v2.types import EntityType as EsEntityType
from google.cloud.dialogflowcx_v3.types import Agent, EntityType, Flow, Intent, Page, Webhook
from google.protobuf import json_format
from sqlalchemy import select

from core import assistant_setup, staff_accounts
from core.models import Shop, StaffUser
from tests.conftest import REPO
from tests.support.cx_package import without_message_languages
from tests.support.keys import HASH_KEY, SECRET_KEY
from tests.support.staff import PASSWORD, sign_in_cookie
from voice.platforms.dialogflow import connect as dialogflow_connect

ASK = DefaultSerializer()


@pytest.fixture
def crumb(client, services) -> Any:  # type: ignore[no-untyped-def]
    """A brand-new shop named with "&", its owner signed in."""
    with services.db.session() as db:
        created = staff_accounts.sign_up(db, services, name="Crumb & Co Bakery", slug="crumb",
                                         email="owner@crumb.example", password=PASSWORD)
        owner = db.get(StaffUser, created.owner_id)
        assert owner is not None
        owner.email_verified_at = services.clock()
        shop = db.get(Shop, created.shop_id)
        assert shop is not None
        shop.timezone = "Europe/Berlin"
    with client.session_transaction() as browser:
        sign_in_cookie(browser, services, created.owner_id, "tok")
    return client


def _zip(client: Any, platform: str) -> zipfile.ZipFile:
    answer = client.get(f"/dashboard/crumb/export/{platform}.zip")
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return zipfile.ZipFile(io.BytesIO(answer.data))


def _json(archive: zipfile.ZipFile, name: str) -> Any:
    return json.loads(archive.read(name))


def _round_trips(document: dict[str, Any], model: type) -> None:
    """Amazon's model reads every field (an unknown key is dropped, a bad enum raises), so
    reading and writing back the document unchanged means the model takes all of it."""
    parsed = ASK.deserialize(json.dumps(document), model)
    assert ASK.serialize(parsed) == document


def test_the_alexa_project_imports_with_ask_cli_and_amazons_models(crumb, services) -> None:
    archive = _zip(crumb, "alexa")
    assert _json(archive, "ask-resources.json") == {
        "askcliResourcesVersion": "2020-03-31",
        "profiles": {"default": {"skillMetadata": {"src": "./skill-package"}}}}
    skill = _json(archive, "skill-package/skill.json")
    _round_trips(skill, SkillManifestEnvelope)
    endpoint = skill["manifest"]["apis"]["custom"]["endpoint"]
    assert endpoint == {"uri": "https://refer.test/alexa/crumb", "sslCertificateType": "Trusted"}
    granted = {p["name"] for p in skill["manifest"]["permissions"]}
    used = set()
    for source in (REPO / "voice" / "platforms" / "alexa").glob("*.py"):
        used |= set(re.findall(r'"(alexa::[a-z_:]+)"', source.read_text()))
    assert {"alexa::alerts:reminders:skill:readwrite", "alexa::profile:email:read",
            "alexa::profile:mobile_number:read"} <= used <= granted
    for locale, legal in skill["manifest"]["privacyAndCompliance"]["locales"].items():
        for url in (legal["privacyPolicyUrl"], legal["termsOfUseUrl"]):
            page = crumb.get(url.removeprefix("https://refer.test"))
            assert page.status_code == 200 and "Crumb &amp; Co Bakery" in page.get_data(
                as_text=True), (locale, url)
    for locale in ("en-US", "en-GB", "de-DE"):
        model = _json(archive, f"skill-package/interactionModels/custom/{locale}.json")
        _round_trips(model, InteractionModelData)
        expected = "crumb und co bakery" if locale == "de-DE" else "crumb and co bakery"
        assert model["interactionModel"]["languageModel"]["invocationName"] == expected


def test_the_saved_invocation_name_is_used_when_amazon_takes_it(crumb, services) -> None:
    with services.db.session() as db:
        shop = db.scalars(select(Shop).where(Shop.slug == "crumb")).one()
        shop.settings = {**shop.settings, "invocation_names": {"en": "crumb bakery"}}
    model = _json(_zip(crumb, "alexa"), "skill-package/interactionModels/custom/en-US.json")
    assert model["interactionModel"]["languageModel"]["invocationName"] == "crumb bakery"


@pytest.mark.parametrize("base", ["http://127.0.0.1:8000", "https://127.0.0.1",
                                  "https://localhost:8443", "https://shop.example:8443"])
def test_an_endpoint_alexa_cannot_call_is_refused_with_what_to_do(crumb, services,
                                                                  base) -> None:
    services.settings = services.settings.with_(base_url=base)
    answer = crumb.get("/dashboard/crumb/export/alexa.zip")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422 and answer.mimetype == "text/html"
    assert "Alexa calls only a public https address" in text and "cloudflared tunnel" in text


def test_the_dialogflow_es_agent_is_one_zip_restore_takes(crumb, services) -> None:
    archive = _zip(crumb, "dialogflow-es")
    names = archive.namelist()
    assert "agent.json" in names and not any(n.endswith(".zip") for n in names)
    agent = _json(archive, "agent.json")
    assert agent["defaultTimezone"] == "Europe/Berlin"
    assert agent["language"] == "en" and set(agent["supportedLanguages"]) == {"de", "ru"}
    assert agent["webhook"]["url"] == "https://refer.test/dialogflow/crumb"
    for language in ("en", "de", "ru"):
        said = [n for n in names if n.endswith(f"_usersays_{language}.json")]
        assert len(said) >= 5, language
        for name in [n for n in names if n.endswith(f"_entries_{language}.json")]:
            for entry in _json(archive, name):
                json_format.ParseDict(entry, EsEntityType.Entity.pb()())


def test_the_dialogflow_cx_agent_reads_as_cx_messages_with_service_agent_auth(
        crumb, services) -> None:
    archive = _zip(crumb, "dialogflow-cx")
    files = {n: _json(archive, n) for n in archive.namelist() if n.endswith(".json")}
    message_of = {"agent.json": Agent, "webhooks/": Webhook, "flows/": Flow}
    for name, content in files.items():
        if "/trainingPhrases/" in name:
            language = name.rsplit("/", 1)[1].removesuffix(".json")
            for phrase in content["trainingPhrases"]:
                # The package keeps each phrase's language beside the message's fields (CX
                # exports do); the message itself has id, parts and repeatCount.
                phrase = dict(phrase)
                assert phrase.pop("languageCode") == language
                json_format.ParseDict(phrase, Intent.TrainingPhrase.pb()())
        elif "/pages/" in name:  # a form page (export_cx.form_page)
            json_format.ParseDict(without_message_languages(content), Page.pb()())
        elif "/entities/" in name:
            for entity in content["entities"]:
                json_format.ParseDict(entity, EntityType.Entity.pb()())
        elif name.startswith("intents/"):
            json_format.ParseDict(content, Intent.pb()())
        elif name.startswith("entityTypes/"):
            json_format.ParseDict(content, EntityType.pb()())
        else:
            kind = next(m for prefix, m in message_of.items() if name.startswith(prefix))
            json_format.ParseDict(content, kind.pb()())
    agent = files["agent.json"]
    assert agent["timeZone"] == "Europe/Berlin"
    assert set(agent["supportedLanguageCodes"]) == {"de", "ru"}
    service = files["webhooks/referrals.json"]["genericWebService"]
    assert service == {"uri": "https://refer.test/dialogflow/crumb",
                       "serviceAgentAuth": "ID_TOKEN"}
    with services.db.session() as db:
        shop_id = db.scalar(select(Shop.id).where(Shop.slug == "crumb"))
    # The ID token's audience is the webhook URL; the shop's audience defaults to it.
    shown = assistant_setup.shown(services, shop_id, "dialogflow-cx", dialogflow_connect.shown)
    assert shown["dialogflow_audience"] == service["uri"]


def test_the_alice_package_carries_the_saved_russian_name_and_phrases(crumb, services) -> None:
    with services.db.session() as db:
        shop = db.scalars(select(Shop).where(Shop.slug == "crumb")).one()
        shop.settings = {**shop.settings, "invocation_names": {"ru": "крошка и компания"}}
    archive = _zip(crumb, "alice")
    settings = _json(archive, "crumb-alice/skill-settings.json")
    assert settings["activation_name"] == "крошка и компания"
    assert "Алиса, запусти навык «крошка и компания»" in settings["activation_phrases"]
    readme = archive.read("crumb-alice/README.md").decode()
    assert "Activation name (Имя для активации): крошка и компания" in readme


def test_the_cli_export_refuses_an_http_base_url_in_one_sentence(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "BASE_URL": "http://127.0.0.1:8000", "SECRET_KEY": SECRET_KEY,
           "HASH_KEY": HASH_KEY, "SANDBOX": "1", "EMBEDDED_WORKER": "0"}
    for args in (["db", "upgrade"], ["demo"]):
        subprocess.run([sys.executable, "-m", "fulfillment", *args], cwd=REPO, env=env,
                       check=True, capture_output=True, timeout=120)
    out = subprocess.run([sys.executable, "-m", "fulfillment", "export-models", "alexa",
                          "--shop", "demo", "--out", str(tmp_path / "out")], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "Alexa calls only a public https address" in out.stderr
