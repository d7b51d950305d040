"""A Dialogflow CX agent in CX's JSON package layout (Agent settings > Restore from a zip of
this folder): agent.json, intents/<name>/<name>.json with trainingPhrases/<lang>.json,
entityTypes/channel, webhooks/referrals.json, and the Default Start Flow routing the Default
Welcome Intent and every intent of ours to the webhook with the intent's name as the
fulfillment tag (the layout of agents exported from the CX console).

Where the dialog asks for one value alone (voice/model/intents.yaml `dialog_slots` elicit: the
weekday of SetReminder, the code of ProvideCode) the intent's route goes to a page of
flows/<flow>/pages/<page>.json whose form asks for it (CX's own form filling, as Alexa gets
Dialog.ElicitSlot and ES a required parameter); once the form is FINAL the page calls our
webhook with the intent's tag and the filled parameter, then returns to the start page.
Layout: https://cloud.google.com/dialogflow/cx/docs/reference/json-export ; the page's fields:
https://cloud.google.com/dialogflow/cx/docs/reference/rest/v3/projects.locations.agents.flows.pages
(checked against the dialogflowcx_v3 protobufs in tests/test_dialogflow_cx_forms.py)."""

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
    prompt_in,
    sample_parts,
    stable_id,
)

START_FLOW = "Default Start Flow"
WELCOME = "Default Welcome Intent"
WELCOME_ID = "00000000-0000-0000-0000-000000000000"  # CX's fixed id for it
# Special pages go by their console names in the JSON package (Google's dfcx-scrapi reads
# exported agents with "Start Page", "End Flow", "End Session", "Current Page", "Previous Page").
START_PAGE = "Start Page"
WEBHOOK = "referrals"
FINAL = '$page.params.status = "FINAL"'  # every required form parameter is filled
WELCOME_PHRASES = {"en": ["hi", "hello", "hey", "start"],
                   "de": ["hallo", "guten tag", "hi", "starten"],
                   "ru": ["привет", "здравствуй", "начать", "запусти навык"]}


def agent_files(shop: ShopVoiceInfo) -> dict[str, Any]:
    lm = language_model.load()
    files: dict[str, Any] = {
        "agent.json": {"displayName": f"{shop.name} referrals", "defaultLanguageCode": "en",
                       "supportedLanguageCodes": SUPPORTED_LANGUAGES, "timeZone": shop.timezone,
                       "startFlow": START_FLOW, "enableStackdriverLogging": False},
        f"webhooks/{WEBHOOK}.json": {
            "name": stable_id(shop.slug, "webhook"), "displayName": WEBHOOK,
            # The service agent signs an ID token for the webhook URL: what our verifier
            # checks (voice.platforms.dialogflow.id_token; audience = this URL by default).
            "genericWebService": {"uri": shop.webhook("dialogflow"),
                                  "serviceAgentAuth": "ID_TOKEN"},
            "timeout": "5s"},  # a Duration in protobuf JSON
        f"intents/{WELCOME}/{WELCOME}.json": {"name": WELCOME_ID, "displayName": WELCOME,
                                              "priority": 500000},
    }
    routes = [_route(WELCOME)]
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
        asked = [slot for slot in lm.dialog_slots.get(name, language_model.DialogSlots()).elicit
                 if slot in intent.slots]
        if asked:
            page = form_page(shop, name, asked)
            files[f"flows/{START_FLOW}/pages/{page['displayName']}.json"] = page
            # No webhook here: the page asks, and calls it once the value is there (in this
            # same turn when the utterance already carried it: "remind me on friday").
            routes.append({"intent": name, "targetPage": page["displayName"]})
        else:
            routes.append(_route(name))
    files[f"flows/{START_FLOW}/{START_FLOW}.json"] = {
        "name": "00000000-0000-0000-0000-000000000000", "displayName": START_FLOW,
        "transitionRoutes": routes,
        "eventHandlers": [
            {"event": "sys.no-match-default", "triggerFulfillment": {
                "webhook": WEBHOOK, "tag": "Fallback"}},
            {"event": "sys.no-input-default", "triggerFulfillment": {
                "webhook": WEBHOOK, "tag": "Fallback"}}],
        "nluSettings": {"modelType": "MODEL_TYPE_STANDARD", "classificationThreshold": 0.3}}
    return files


def _route(intent: str) -> dict[str, Any]:
    """An intent answered by our webhook, tagged with its name. The route leaves any form page
    for the start page: a change of subject drops the question (the dialog answers it)
    instead of CX asking for the day again after our answer."""
    return {"intent": intent, "triggerFulfillment": {"webhook": WEBHOOK, "tag": intent},
            "targetPage": START_PAGE}


def _said(slot: str, reask: bool = False) -> dict[str, Any]:
    """A fulfillment speaking the dialog's question in each agent language (the JSON package
    keeps one message per language, each with its languageCode)."""
    return {"messages": [{"text": {"text": [prompt_in(slot, locale, reask)]},
                          "languageCode": language}
                         for language, locale in EXPORT_LOCALES.items()]}


def page_name(intent: str, slots: list[str]) -> str:
    return f"{intent} {' '.join(slots)}"


def form_page(shop: ShopVoiceInfo, intent: str, slots: list[str]) -> dict[str, Any]:
    """The page that asks for the intent's value(s) with CX form filling, then hands them to
    the webhook tagged as the intent route would be."""
    lm = language_model.load()
    parameters = [{"displayName": slot, "required": True,
                   "entityType": entity_of(lm.intents[intent].slots[slot]),
                   "fillBehavior": {
                       "initialPromptFulfillment": _said(slot),
                       "repromptEventHandlers": [
                           {"event": event, "triggerFulfillment": _said(slot, reask=True)}
                           for event in ("sys.no-match-default", "sys.no-input-default")]}}
                  for slot in slots]
    return {"name": stable_id(shop.slug, "page", intent, *slots),
            "displayName": page_name(intent, slots),
            "form": {"parameters": parameters},
            "transitionRoutes": [{"condition": FINAL,
                                  "triggerFulfillment": {"webhook": WEBHOOK, "tag": intent},
                                  "targetPage": START_PAGE}]}


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
