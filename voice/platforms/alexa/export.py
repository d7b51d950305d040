"""The Alexa skill for one shop as an ASK CLI v2 project that `ask deploy` takes as it is:
ask-resources.json (the skill package only: the endpoint is ours, no Lambda) and
skill-package/skill.json + skill-package/interactionModels/custom/<locale>.json.

The endpoint is BASE_URL's (https, certificate from a trusted authority: "Trusted"), the
permissions are every one the dialog asks for (profile: phone and email; reminders), the
privacy policy and terms links are the shop's pages here, and the invocation name is the
shop's saved one or one made valid from its name (core.invocation_names, the rule Settings
uses). `endpoint_problem()` refuses an http:// or private endpoint with what to do; `validate()`
applies Amazon's interaction-model rules so a shop finds a problem here, not in the console."""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core import invocation_names
from voice import model as language_model
from voice.exports import ShopVoiceInfo

ALEXA_LOCALES = ("en-US", "en-GB", "de-DE")
REQUIRED_BUILTINS = ("AMAZON.CancelIntent", "AMAZON.HelpIntent", "AMAZON.StopIntent",
                     "AMAZON.NavigateHomeIntent", "AMAZON.FallbackIntent")
# Every permission the dialog uses: the customer's phone and email (voice.platforms.alexa
# profile) and reminders (voice.platforms.alexa.reminders).
PERMISSIONS = ("alexa::profile:mobile_number:read", "alexa::profile:email:read",
               "alexa::alerts:reminders:skill:readwrite")
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")
ASK_RESOURCES = {"askcliResourcesVersion": "2020-03-31",
                 "profiles": {"default": {"skillMetadata": {"src": "./skill-package"}}}}
# Invocation name rules (Amazon, "Choose the invocation name for a custom skill").
LAUNCH_WORDS = {"launch", "ask", "tell", "load", "begin", "enable", "open", "start", "play",
                "resume", "run", "use"}
CONNECTING_WORDS = {"to", "from", "in", "using", "with", "about", "for", "that", "by", "if",
                    "and", "whether"}
WAKE_WORDS = {"alexa", "amazon", "echo", "computer", "skill", "app"}
INVOCATION_RE = re.compile(r"^[a-zäöüß][a-zäöüß .']*[a-zäöüß.]$")
SAMPLE_RE = re.compile(r"^[\w' .\-{}äöüß]+$")
NAME_RE = re.compile(r"^[A-Za-z_]+$")


def interaction_model(locale: str, invocation_name: str) -> dict[str, Any]:
    lm = language_model.load()
    loc = lm.locale(locale)
    intents = []
    for intent in lm.intents.values():
        if not intent.on("alexa"):
            continue
        entry: dict[str, Any] = {"name": intent.name_on("alexa"), "samples": []}
        if intent.slots:
            entry["slots"] = [{"name": slot, "type": lm.slot_types[t].name_on("alexa")}
                              for slot, t in intent.slots.items()]
        if not intent.builtin.get("alexa"):  # Amazon's own samples cover its built-ins
            entry["samples"] = list(dict.fromkeys(loc.samples.get(intent.name, ())))
        intents.append(entry)
    types = []
    for name, slot_type in lm.slot_types.items():
        if slot_type.kind != "custom" or slot_type.name_on("alexa").startswith("AMAZON."):
            continue  # a custom type Alexa has built in (WEEKDAY: AMAZON.DayOfWeek)
        types.append({"name": name, "values": [
            {"id": value.id, "name": {"value": value.synonyms[0],
                                      "synonyms": list(value.synonyms[1:])}}
            for value in loc.slot_values.get(name, ())]})
    dialog, prompts = dialog_model(locale, intents)
    return {"interactionModel": {"languageModel": {
        "invocationName": invocation_name, "intents": intents, "types": types},
        "dialog": dialog, "prompts": prompts}}


# What the user says when asked for the one value ("friday", "on friday"): Alexa's slot
# samples for Dialog.ElicitSlot.
SLOT_SAMPLES = {"en": {"weekday": ["{weekday}", "on {weekday}", "every {weekday}"],
                       "pin": ["{pin}", "the code is {pin}", "it's {pin}"]},
                "de": {"weekday": ["{weekday}", "am {weekday}", "jeden {weekday}"],
                       "pin": ["{pin}", "der code ist {pin}", "er lautet {pin}"]}}


def dialog_model(locale: str, intents: list[dict[str, Any]]) -> tuple[dict[str, Any],
                                                                      list[dict[str, Any]]]:
    """The dialog model the Dialog.ElicitSlot / ConfirmSlot directives need (Amazon:
    "Dialog Interface Reference", dialog directive requirements): each slot the dialog asks
    for alone or reads back, with its prompt; the skill decides every turn itself
    (delegationStrategy SKILL_RESPONSE). Slot samples go on the language model's slot."""
    from voice.i18n import translator  # the prompts in the locale's words

    lm = language_model.load()
    t = translator(locale)
    texts = {"weekday": t._("On which day of the week should I remind you?"),
             "pin": t._("Please say the six digits of the code."),
             "phone": t._("Shall I send it?"), "email": t._("Shall I send it?")}
    by_name = {i["name"]: i for i in intents}
    samples = SLOT_SAMPLES.get(locale.split("-")[0], SLOT_SAMPLES["en"])
    dialog_intents, prompts = [], []
    for neutral, wanted in lm.dialog_slots.items():
        name = lm.intents[neutral].name_on("alexa")
        slots = []
        for slot, slot_type in lm.intents[neutral].slots.items():
            entry: dict[str, Any] = {"name": slot, "type": lm.slot_types[slot_type].name_on(
                "alexa"), "confirmationRequired": False, "elicitationRequired": False,
                "prompts": {}}
            for kind, names in (("elicitation", wanted.elicit), ("confirmation", wanted.confirm)):
                if slot in names:
                    prompt_id = f"{kind.capitalize()}.Slot.{name}.{slot}"
                    entry["prompts"][kind] = prompt_id
                    prompts.append({"id": prompt_id, "variations": [
                        {"type": "PlainText", "value": texts[slot]}]})
            slots.append(entry)
            if slot in wanted.elicit and slot in samples and name in by_name:
                for declared in by_name[name].get("slots", []):
                    if declared["name"] == slot:
                        declared["samples"] = samples[slot]
        dialog_intents.append({"name": name, "confirmationRequired": False, "prompts": {},
                               "slots": slots})
    return {"intents": dialog_intents, "delegationStrategy": "SKILL_RESPONSE"}, prompts


def invocation_for(shop: ShopVoiceInfo, locale: str) -> str:
    """The shop's saved name for the locale's language if Amazon takes it, else one made
    valid from the shop's name ("Crumb & Co" -> "crumb and co")."""
    saved = shop.invocation_names.get(locale.split("-")[0], "")
    if saved and not invocation_names.problems(saved, locale):
        return saved
    return invocation_names.alexa_name(saved or shop.name, locale).name


class EndpointRefused(ValueError):
    """The skill's endpoint is one Alexa cannot call; the message says what to do."""


def endpoint_problem(uri: str) -> str | None:
    """None when Alexa can call `uri`; else a sentence saying what to do. Alexa calls only
    https on port 443, with a certificate from a trusted authority, at a public address
    (Amazon: "Host a custom skill as a web service"). No DNS here: exports run offline."""
    fix = ("Alexa calls only a public https address on port 443. For a trial, run a tunnel "
           "(for example `cloudflared tunnel --url http://127.0.0.1:8000`), set BASE_URL to "
           "the https address it prints, restart, and download the skill again.")
    parts = urlsplit(uri)
    host = (parts.hostname or "").lower()
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        private = host == "localhost" or host.endswith(LOCAL_SUFFIXES) or "." not in host
    else:
        private = not literal.is_global
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme != "https" or private or port not in (None, 443):
        return f"The skill's endpoint would be {uri}. {fix}"
    return None


def manifest(shop: ShopVoiceInfo) -> dict[str, Any]:
    locales = {}
    privacy = {}
    for locale in ALEXA_LOCALES:
        invocation = invocation_for(shop, locale)
        privacy[locale] = {"privacyPolicyUrl": shop.page("privacy"),
                           "termsOfUseUrl": shop.page("terms")}
        german = locale.startswith("de")
        locales[locale] = {
            "name": f"{shop.name} Empfehlungen" if german else f"{shop.name} Referrals",
            "summary": (f"Empfehlen Sie {shop.name} weiter." if german
                        else f"Share {shop.name}'s referral program with friends."),
            "description": (f"Teilen Sie Ihren Einladungslink von {shop.name} per Sprache."
                            if german else f"Get your personal {shop.name} invite link and QR "
                            "code by voice, or send it straight to a friend."),
            "examplePhrases": (
                [f"Alexa, öffne {invocation}", f"Alexa, frage {invocation} nach meinem "
                 "Empfehlungscode", "wie funktioniert das"] if german else
                [f"Alexa, open {invocation}", f"Alexa, ask {invocation} to share the "
                 "referral program", "how does it work"]),
            "keywords": ["referral", "invite", shop.name.lower()],
        }
    return {"manifest": {
        "manifestVersion": "1.0",
        "publishingInformation": {
            "locales": locales, "isAvailableWorldwide": False,
            "distributionCountries": ["US", "GB", "DE"], "category": "SHOPPING",
            "testingInstructions": "Say: share the referral program.",
        },
        "apis": {"custom": {
            "endpoint": {"uri": shop.webhook("alexa"), "sslCertificateType": "Trusted"},
            "interfaces": [{"type": "ALEXA_PRESENTATION_APL", "supportedViewports": [
                {"mode": "HUB", "shape": "RECTANGLE", "minWidth": 1024, "maxWidth": 1280,
                 "minHeight": 600, "maxHeight": 800}]}],
        }},
        "permissions": [{"name": p} for p in PERMISSIONS],
        "privacyAndCompliance": {"allowsPurchases": False, "usesPersonalInfo": True,
                                 "isChildDirected": False, "isExportCompliant": True,
                                 "containsAds": False, "locales": privacy},
    }}


def validate(model: dict[str, Any]) -> list[str]:
    """Amazon's documented rules; returns the problems found (empty when importable)."""
    problems: list[str] = []
    lm_json = model["interactionModel"]["languageModel"]
    invocation = lm_json.get("invocationName", "")
    words = invocation.split()
    if not 2 <= len(invocation) <= 50:
        problems.append("invocation name must be 2 to 50 characters")
    if not INVOCATION_RE.match(invocation):
        problems.append("invocation name may hold only lower-case letters, spaces, "
                        "apostrophes and periods")
    if words and (words[0] in LAUNCH_WORDS or words[-1] in CONNECTING_WORDS):
        problems.append("invocation name must not start with a launch word or end with a "
                        "connecting word")
    if WAKE_WORDS & set(words):
        problems.append("invocation name must not contain a wake word, 'skill' or 'app'")
    declared = {t["name"] for t in lm_json.get("types", [])}
    names = {i["name"] for i in lm_json["intents"]}
    for required in REQUIRED_BUILTINS:
        if required not in names:
            problems.append(f"required built-in intent {required} is missing")
    seen: dict[str, str] = {}
    for intent in lm_json["intents"]:
        name = intent["name"]
        if not name.startswith("AMAZON.") and not NAME_RE.match(name):
            problems.append(f"intent name {name!r} may hold only letters and underscores")
        if not name.startswith("AMAZON.") and not intent.get("samples"):
            problems.append(f"custom intent {name} has no sample utterances")
        slots = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for slot, slot_type in slots.items():
            if not NAME_RE.match(slot):
                problems.append(f"slot name {slot!r} in {name} is invalid")
            if not slot_type.startswith("AMAZON.") and slot_type not in declared:
                problems.append(f"slot {slot} in {name} uses undeclared type {slot_type}")
        for sample in intent.get("samples", []):
            key = sample.lower().strip()
            if key in seen:
                problems.append(f"duplicate utterance {sample!r} in {name} and {seen[key]}")
            seen[key] = name
            if not SAMPLE_RE.match(sample) or re.search(r"\d", sample):
                problems.append(f"utterance {sample!r} in {name} has characters Alexa refuses")
            used = language_model.slots_in(sample)
            for slot in used:
                if slot not in slots:
                    problems.append(f"utterance {sample!r} uses slot {{{slot}}} that {name} "
                                    "does not declare")
            search = [s for s in used if slots.get(s) == "AMAZON.SearchQuery"]
            if search and (len(used) > 1 or sample.strip() == f"{{{search[0]}}}"):
                problems.append(f"utterance {sample!r}: an AMAZON.SearchQuery slot needs a "
                                "carrier phrase and no other slot")
    return problems


def export(shop: ShopVoiceInfo, out: Path) -> list[Path]:
    """The ASK CLI v2 project under `out`; EndpointRefused (nothing written) when Alexa
    could not call BASE_URL, ValueError when the model breaks Amazon's rules."""
    refused = endpoint_problem(shop.webhook("alexa"))
    if refused:
        raise EndpointRefused(refused)
    package = out / "skill-package"
    models = package / "interactionModels" / "custom"
    models.mkdir(parents=True, exist_ok=True)
    resources = out / "ask-resources.json"
    resources.write_text(json.dumps(ASK_RESOURCES, indent=2) + "\n", encoding="utf-8")
    written = [resources]
    skill = package / "skill.json"
    skill.write_text(json.dumps(manifest(shop), indent=2, ensure_ascii=False) + "\n",
                     encoding="utf-8")
    written.append(skill)
    for locale in ALEXA_LOCALES:
        built = interaction_model(locale, invocation_for(shop, locale))
        problems = validate(built)
        if problems:
            raise ValueError(f"{locale}: " + "; ".join(problems))
        path = models / f"{locale}.json"
        path.write_text(json.dumps(built, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


EXPORTS = {"alexa": export}
