"""Alice intents in Yandex's grammar syntax, one file per intent to paste into the skill's
"Интенты" tab (the id is the file name), plus the Channel entity and a README. The webhook
also understands utterances without a matched grammar (local NLU), so these grammars make
recognition better, not possible."""

from __future__ import annotations

import json
import re
from pathlib import Path

from voice import model as language_model
from voice.exports import ShopVoiceInfo

# Slot source non-terminal and type per slot type. The channel is the custom entity Channel
# (entities/Channel.txt, created first), so Alice sends its value id ("sms"), not the word.
# Every custom slot type is an entity of the same name (Channel, Weekday).
SLOT_SOURCES = {"CHANNEL": "$Channel", "PHONE": "$Phone", "EMAIL": "$Email", "NUMBER": "$Pin",
                "WEEKDAY": "$Weekday"}
SLOT_TYPES = {"CHANNEL": "Channel", "PHONE": "YANDEX.STRING", "EMAIL": "YANDEX.STRING",
              "NUMBER": "YANDEX.NUMBER", "WEEKDAY": "Weekday"}
FILLERS = {"PHONE": "$Phone:\n    .+\n", "EMAIL": "$Email:\n    .+\n",
           "NUMBER": "$Pin:\n    $YANDEX.NUMBER\n"}


ELICITED = {"weekday": ("{weekday}", "в {weekday}", "во {weekday}", "по {weekday}",
                        "каждый {weekday}", "каждую {weekday}")}


def grammar(name: str, locale: str = "ru-RU") -> str:
    lm = language_model.load()
    intent = lm.intents[name]
    lines = ["root:"]

    def source(match: re.Match[str]) -> str:
        return SLOT_SOURCES[intent.slots[match.group(1)]]

    samples = list(lm.locale(locale).samples.get(name, ()))
    for slot in lm.dialog_slots.get(name, language_model.DialogSlots()).elicit:
        # The answer to "on which day?" said alone («пятница», «по пятницам»): Alice has no
        # slot elicitation, so the grammar takes the bare value as this intent.
        samples += [s for s in ELICITED.get(slot, ()) if s not in samples]
    for sample in samples:
        lines.append("    " + re.sub(r"\{(\w+)\}", source, sample))
    text = "\n".join(lines) + "\n"
    if intent.slots:
        text += "slots:\n"
        for slot, slot_type in intent.slots.items():
            text += (f"    {slot}:\n        source: {SLOT_SOURCES[slot_type]}\n"
                     f"        type: {SLOT_TYPES[slot_type]}\n")
        for slot_type in sorted(set(intent.slots.values())):
            text += FILLERS.get(slot_type, "")
    return text


def channel_entity(locale: str = "ru-RU") -> str:
    return entity("CHANNEL", locale)


def entity(type_name: str, locale: str = "ru-RU") -> str:
    lm = language_model.load()
    lines = [f"entity {SLOT_TYPES[type_name]}:", "    values:"]
    for value in lm.locale(locale).slot_values.get(type_name, ()):
        lines.append(f"        {value.id}:")
        lines += [f"            {synonym}" for synonym in value.synonyms]
    return "\n".join(lines) + "\n"


def activation_name(shop: ShopVoiceInfo) -> str:
    """The Russian name the shop saved in Settings (invocation name, ru); else its name."""
    return shop.invocation_names.get("ru") or " ".join(shop.name.lower().split())


def activation_phrases(name: str) -> list[str]:
    """What a customer says to Alice to open the skill and to share in one go (Yandex
    Dialogs: "Примеры запросов" start with the activation phrase and the name)."""
    return [f"Алиса, запусти навык «{name}»", f"Алиса, попроси {name} поделиться "
            "реферальной программой", f"Алиса, спроси у {name}, как работает программа"]


def export(shop: ShopVoiceInfo, out: Path) -> list[Path]:
    folder = out / f"{shop.slug}-alice"
    (folder / "intents").mkdir(parents=True, exist_ok=True)
    written = []
    lm = language_model.load()
    for name, intent in lm.intents.items():
        if intent.builtin.get("alice") or not intent.has_samples or not intent.on("alice"):
            continue  # YANDEX.HELP and friends are built in
        path = folder / "intents" / f"{name}.grammar"
        path.write_text(grammar(name), encoding="utf-8")
        written.append(path)
    entities = []
    for type_name, slot_type in lm.slot_types.items():
        if slot_type.kind == "custom":
            path = folder / "entities" / f"{SLOT_TYPES[type_name]}.txt"
            path.parent.mkdir(exist_ok=True)
            path.write_text(entity(type_name), encoding="utf-8")
            entities.append(path)
    name = activation_name(shop)
    phrases = activation_phrases(name)
    settings = folder / "skill-settings.json"
    settings.write_text(json.dumps({
        "activation_name": name, "activation_phrases": phrases,
        "webhook_url": shop.webhook("alice")}, ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8")
    readme = folder / "README.md"
    readme.write_text(
        f"# {shop.name}: Alice skill settings\n\n"
        f"- Webhook URL: {shop.webhook('alice')}\n"
        f"- Skill id in our settings: {shop.skill_ids.get('alice', '(set alice_skill_id)')}\n"
        f"- Activation name (Имя для активации): {name}\n"
        "- Activation phrases (Примеры запросов):\n"
        + "".join(f"  - {phrase}\n" for phrase in phrases) + "\n"
        "Create the entities from `entities/` (Channel.txt, Weekday.txt) first, then one "
        "intent per file in "
        "`intents/` (intent id = file name without `.grammar`). YANDEX.HELP, "
        "YANDEX.WHAT_CAN_YOU_DO, YANDEX.CONFIRM, YANDEX.REJECT and YANDEX.REPEAT are built "
        "in and already answered.\n", encoding="utf-8")
    return [*written, *entities, settings, readme]


EXPORTS = {"alice": export}
