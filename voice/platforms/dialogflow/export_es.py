"""A Dialogflow ES agent zip (Settings > Export and Import > Import from zip): agent.json,
package.json, intents/<name>.json with <name>_usersays_<lang>.json, entities/channel.json
with channel_entries_<lang>.json. English is the default language, German and Russian
supported."""

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

SPECIAL = {"Launch": "Default Welcome Intent", "Fallback": "Default Fallback Intent"}


def _intent(shop: ShopVoiceInfo, name: str) -> dict[str, Any]:
    lm = language_model.load()
    intent = lm.intents.get(name)
    display = SPECIAL.get(name, name)
    asked = lm.dialog_slots.get(name, language_model.DialogSlots()).elicit
    parameters = [{"id": stable_id(shop.slug, name, slot), "required": slot in asked,
                   "dataType": entity_of(t), "name": slot, "value": f"${slot}", "isList": False,
                   **({"prompts": _prompts(slot)} if slot in asked else {})}
                  for slot, t in (intent.slots.items() if intent else [])]
    return {"id": stable_id(shop.slug, "intent", name), "name": display, "auto": True,
            "contexts": [], "responses": [{"resetContexts": False, "action": name,
                                           "affectedContexts": [], "parameters": parameters,
                                           "messages": [], "speech": []}],
            # A form parameter (the value the dialog asks for alone: the weekday, the
            # code): Dialogflow keeps the intent open until it is filled and asks the webhook
            # for each prompt, so the dialog still decides what is said.
            "priority": 500000, "webhookUsed": True, "webhookForSlotFilling": bool(asked),
            "fallbackIntent": name == "Fallback",
            "events": [{"name": "WELCOME"}] if name == "Launch" else []}


def _prompts(slot: str) -> list[dict[str, str]]:
    """The prompt in each agent language (used only if the webhook does not answer)."""
    return [{"lang": language, "value": prompt_in(slot, locale)}
            for language, locale in EXPORT_LOCALES.items()]


def _usersays(shop: ShopVoiceInfo, name: str, language: str) -> list[dict[str, Any]]:
    lm = language_model.load()
    locale = EXPORT_LOCALES[language]
    intent = lm.intents[name]
    out = []
    for n, sample in enumerate(lm.locale(locale).samples.get(name, ())):
        data = []
        for text, slot in sample_parts(sample):
            if slot is None:
                data.append({"text": text, "userDefined": False})
            else:
                slot_type = intent.slots[slot]
                meta = entity_of(slot_type)
                data.append({"text": example_for(slot_type, language, locale), "alias": slot,
                             "meta": meta, "userDefined": True})
        out.append({"id": stable_id(shop.slug, name, language, str(n)), "data": data,
                    "isTemplate": False, "count": 0, "lang": language, "updated": 0})
    return out


def agent_files(shop: ShopVoiceInfo, es_header: str = "X-Dialogflow-Secret"
                ) -> dict[str, Any]:
    lm = language_model.load()
    files: dict[str, Any] = {
        "package.json": {"version": "1.0.0"},
        "agent.json": {
            "description": f"{shop.name} referral program", "language": "en",
            "supportedLanguages": SUPPORTED_LANGUAGES, "defaultTimezone": shop.timezone,
            "webhook": {"url": shop.webhook("dialogflow"),
                        "headers": {es_header: "<paste the shop's Dialogflow ES secret>"},
                        "available": True, "useForDomains": False,
                        "cloudFunctionsEnabled": False, "cloudFunctionsInitialized": False},
            "isPrivate": True, "mlMinConfidence": 0.3, "apiVersion": "v2",
            "enableOnePlatformResponses": True, "enableSpellCorrection": False},
    }
    for type_name in _custom_types():
        entity = type_name.lower()
        files[f"entities/{entity}.json"] = {
            "id": stable_id(shop.slug, "entity", entity), "name": entity,
            "isOverridable": True, "isEnum": False, "isRegexp": False,
            "automatedExpansion": False, "allowFuzzyExtraction": False}
        for language, locale in EXPORT_LOCALES.items():
            files[f"entities/{entity}_entries_{language}.json"] = [
                {"value": v.id, "synonyms": [v.id, *v.synonyms]}
                for v in lm.locale(locale).slot_values.get(type_name, ())]
    for name in [*lm.intents, "Launch"]:
        intent = lm.intents.get(name)
        if intent is not None and not intent.on("dialogflow"):
            continue
        display = SPECIAL.get(name, name)
        files[f"intents/{display}.json"] = _intent(shop, name)
        if intent is not None and intent.has_samples:
            for language in EXPORT_LOCALES:
                files[f"intents/{display}_usersays_{language}.json"] = _usersays(
                    shop, name, language)
    return files


def _custom_types() -> list[str]:
    return [n for n, t in language_model.load().slot_types.items() if t.kind == "custom"]


def export(shop: ShopVoiceInfo, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{shop.slug}-dialogflow-es-agent.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(agent_files(shop).items()):
            archive.writestr(name, json.dumps(content, indent=2, ensure_ascii=False))
    return [target]
