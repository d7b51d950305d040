"""A Dialogflow CX agent in CX's JSON package layout (Agent settings > Restore from a zip of
this folder): agent.json, intents/<name>/<name>.json with trainingPhrases/<lang>.json,
entityTypes/channel, webhooks/referrals.json, and the Default Start Flow routing the Default
Welcome Intent and every intent of ours to the webhook with the intent's name as the
fulfillment tag (the layout of agents exported from the CX console)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from voice import model as language_model
from voice.exports import ShopVoiceInfo
from voice.platforms.dialogflow.export_common import (
    EXPORT_LOCALES,
    SUPPORTED_LANGUAGES,
    entity_of,
    example_for,
    sample_parts,
    stable_id,
)

START_FLOW = "Default Start Flow"
WELCOME = "Default Welcome Intent"
WELCOME_ID = "00000000-0000-0000-0000-000000000000"  # CX's fixed id for it
WELCOME_PHRASES = {"en": ["hi", "hello", "hey", "start"],
                   "de": ["hallo", "guten tag", "hi", "starten"],
                   "ru": ["привет", "здравствуй", "начать", "запусти навык"]}


def agent_files(shop: ShopVoiceInfo) -> dict[str, Any]:
    lm = language_model.load()
    files: dict[str, Any] = {
        "agent.json": {"displayName": f"{shop.name} referrals", "defaultLanguageCode": "en",
                       "supportedLanguageCodes": SUPPORTED_LANGUAGES, "timeZone": shop.timezone,
                       "startFlow": START_FLOW, "enableStackdriverLogging": False},
        "webhooks/referrals.json": {
            "name": stable_id(shop.slug, "webhook"), "displayName": "referrals",
            # The service agent signs an ID token for the webhook URL: what our verifier
            # checks (voice.platforms.dialogflow.id_token; audience = this URL by default).
            "genericWebService": {"uri": shop.webhook("dialogflow"),
                                  "serviceAgentAuth": "ID_TOKEN"},
            "timeout": "5s"},  # a Duration in protobuf JSON
        f"intents/{WELCOME}/{WELCOME}.json": {"name": WELCOME_ID, "displayName": WELCOME,
                                              "priority": 500000},
    }
    routes = [{"intent": WELCOME, "triggerFulfillment": {"webhook": "referrals",
                                                         "tag": WELCOME}}]
    for language in EXPORT_LOCALES:
        files[f"intents/{WELCOME}/trainingPhrases/{language}.json"] = {"trainingPhrases": [
            {"id": stable_id(shop.slug, WELCOME, language, text), "parts": [{"text": text}],
             "repeatCount": 1, "languageCode": language} for text in WELCOME_PHRASES[language]]}
    for type_name, slot_type in lm.slot_types.items():
        if slot_type.kind != "custom":
            continue
        entity = type_name.lower()
        files[f"entityTypes/{entity}/{entity}.json"] = {
            "name": stable_id(shop.slug, entity), "displayName": entity,
            "kind": "KIND_MAP", "autoExpansionMode": "AUTO_EXPANSION_MODE_UNSPECIFIED"}
        for language, locale in EXPORT_LOCALES.items():
            files[f"entityTypes/{entity}/entities/{language}.json"] = {"entities": [
                {"value": v.id, "synonyms": [v.id, *v.synonyms]}
                for v in lm.locale(locale).slot_values.get(type_name, ())]}
    for name, intent in lm.intents.items():
        if not intent.on("dialogflow") or not intent.has_samples:
            continue
        params = [{"id": slot, "entityType": entity_of(t)}
                  for slot, t in intent.slots.items()]
        files[f"intents/{name}/{name}.json"] = {"name": stable_id(shop.slug, "intent", name),
                                                "displayName": name, "priority": 500000,
                                                "parameters": params}
        for language, locale in EXPORT_LOCALES.items():
            phrases = []
            for sample in lm.locale(locale).samples.get(name, ()):
                parts = [{"text": text} if slot is None else
                         {"text": example_for(intent.slots[slot], language, locale),
                          "parameterId": slot} for text, slot in sample_parts(sample)]
                phrases.append({"id": stable_id(shop.slug, name, language, sample),
                                "parts": parts, "repeatCount": 1, "languageCode": language})
            files[f"intents/{name}/trainingPhrases/{language}.json"] = {
                "trainingPhrases": phrases}
        routes.append({"intent": name, "triggerFulfillment": {"webhook": "referrals",
                                                              "tag": name}})
    files[f"flows/{START_FLOW}/{START_FLOW}.json"] = {
        "name": "00000000-0000-0000-0000-000000000000", "displayName": START_FLOW,
        "transitionRoutes": routes,
        "eventHandlers": [
            {"event": "sys.no-match-default", "triggerFulfillment": {
                "webhook": "referrals", "tag": "Fallback"}},
            {"event": "sys.no-input-default", "triggerFulfillment": {
                "webhook": "referrals", "tag": "Fallback"}}],
        "nluSettings": {"modelType": "MODEL_TYPE_STANDARD", "classificationThreshold": 0.3}}
    return files


def export(shop: ShopVoiceInfo, out: Path) -> list[Path]:
    folder = out / f"{shop.slug}-dialogflow-cx-agent"
    written = []
    files = agent_files(shop)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    target = out / f"{shop.slug}-dialogflow-cx-agent.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            archive.writestr(name, json.dumps(content, indent=2, ensure_ascii=False))
    written += [folder, target]
    return written
