"""The exports a shop imports: a Dialogflow ES agent zip, a CX agent package and Alice
grammars, built from the one language model in English, German (Dialogflow) and Russian."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from voice import model as language_model
from voice.exports import ShopVoiceInfo, exporter

SHOP = ShopVoiceInfo(slug="demo", name="Demo Shop", base_url="https://refer.test",
                     invocation_names={"en": "demo shop", "ru": "магазин демо"},
                     skill_ids={"alice": "skill-1"})


def test_the_es_zip_has_every_intent_with_english_german_and_russian_phrases(tmp_path: Path):
    [zip_path] = exporter("dialogflow-es")(SHOP, tmp_path)
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        agent = json.loads(archive.read("agent.json"))
        share = json.loads(archive.read("intents/ShareProgram.json"))
        phrases_ru = json.loads(archive.read("intents/ShareProgram_usersays_ru.json"))
        invite_en = json.loads(archive.read("intents/SendInvite_usersays_en.json"))
        phrases_de = json.loads(archive.read("intents/ShareProgram_usersays_de.json"))
        invite_de = json.loads(archive.read("intents/SendInvite_usersays_de.json"))
        weekday_de = json.loads(archive.read("entities/weekday_entries_de.json"))
        remind = json.loads(archive.read("intents/SetReminder.json"))
    assert agent["webhook"]["url"] == "https://refer.test/dialogflow/demo"
    assert agent["language"] == "en" and agent["supportedLanguages"] == ["de", "ru"]
    assert {"package.json", "entities/channel.json", "entities/channel_entries_ru.json",
            "entities/channel_entries_de.json", "intents/Default Welcome Intent.json"} <= names
    assert "teile das empfehlungsprogramm" in [
        "".join(d["text"] for d in p["data"]) for p in phrases_de]
    assert {d["text"] for p in invite_de for d in p["data"] if d.get("alias") == "phone"} == {
        "+49 30 901820"}
    assert {"value": "friday", "synonyms": ["friday", "freitag", "freitags", "am freitag"]} \
        in weekday_de
    [day] = remind["responses"][0]["parameters"]  # a form parameter, asked via the webhook
    assert day["required"] is True and remind["webhookForSlotFilling"] is True
    assert {"lang": "de", "value": "An welchem Wochentag soll ich Sie erinnern?"} in day["prompts"]
    assert share["webhookUsed"] is True
    assert share["responses"][0]["parameters"][0]["dataType"] == "@channel"
    texts = ["".join(d["text"] for d in p["data"]) for p in phrases_ru]
    assert "поделись реферальной программой" in texts
    tagged = [d for p in invite_en for d in p["data"] if d.get("alias") == "phone"]
    assert tagged and tagged[0]["meta"] == "@sys.phone-number"


def test_the_cx_package_routes_every_intent_to_the_webhook_by_tag(tmp_path: Path):
    folder, zip_path = exporter("dialogflow-cx")(SHOP, tmp_path)
    flow = json.loads((folder / "flows/Default Start Flow/Default Start Flow.json").read_text())
    pages = {p.stem: json.loads(p.read_text())
             for p in (folder / "flows/Default Start Flow/pages").glob("*.json")}
    # An intent whose value the dialog asks for alone goes to its form page, which calls
    # the webhook with the intent's tag once the value is filled (test_dialogflow_cx_forms).
    tags = {(r.get("triggerFulfillment") or pages[r["targetPage"]]["transitionRoutes"][0][
        "triggerFulfillment"])["tag"] for r in flow["transitionRoutes"]}
    lm = language_model.load()
    assert {"ShareProgram", "SendInvite", "ExplainProgram", "MyReferrals", "Help",
            "Stop", "Default Welcome Intent", "SetReminder", "ProvideCode"} <= tags
    assert tags <= {*lm.intents, "Default Welcome Intent"}
    for route in flow["transitionRoutes"]:  # every routed intent is in the package
        name = route["intent"]
        assert (folder / f"intents/{name}/{name}.json").exists(), name
        assert (folder / f"intents/{name}/trainingPhrases/ru.json").exists(), name
        assert (folder / f"intents/{name}/trainingPhrases/de.json").exists(), name
    agent = json.loads((folder / "agent.json").read_text())
    assert agent["supportedLanguageCodes"] == ["de", "ru"]
    assert {h["event"] for h in flow["eventHandlers"]} == {"sys.no-match-default",
                                                          "sys.no-input-default"}
    webhook = json.loads((folder / "webhooks/referrals.json").read_text())
    assert webhook["genericWebService"]["uri"] == "https://refer.test/dialogflow/demo"
    assert webhook["timeout"] == "5s"  # protobuf JSON for a Duration (what CX reads)
    phrases = json.loads((folder / "intents/SendInvite/trainingPhrases/ru.json").read_text())
    assert any(part.get("parameterId") == "phone" for p in phrases["trainingPhrases"]
               for part in p["parts"])
    assert zipfile.ZipFile(zip_path).testzip() is None


def test_alice_grammars_cover_the_custom_intents_and_leave_builtins_to_yandex(tmp_path):
    written = exporter("alice")(SHOP, tmp_path)
    names = {p.name for p in written}
    assert "ShareProgram.grammar" in names and "Help.grammar" not in names
    share = (tmp_path / "demo-alice/intents/ShareProgram.grammar").read_text()
    assert share.startswith("root:\n    поделись реферальной программой")
    assert "source: $Channel\n        type: Channel" in share
    remind = (tmp_path / "demo-alice/intents/SetReminder.grammar").read_text()
    assert "\n    $Weekday\n" in remind and "\n    по $Weekday\n" in remind  # the day alone
    code = (tmp_path / "demo-alice/intents/ProvideCode.grammar").read_text()
    assert "type: YANDEX.NUMBER" in code and "$Pin:\n    $YANDEX.NUMBER" in code
    entity = (tmp_path / "demo-alice/entities/Channel.txt").read_text()
    assert entity.startswith("entity Channel:\n    values:\n")
    assert "        telegram:\n            телеграм\n" in entity
    readme = (tmp_path / "demo-alice/README.md").read_text()
    assert "https://refer.test/alice/demo" in readme and "YANDEX.WHAT_CAN_YOU_DO" in readme
