"""The language model, read from YAML: intents.yaml (intents, slots, platform names) plus one
file of sample utterances and slot values per locale. Exports and the local NLU read this, so
a sample added here reaches Alexa, Dialogflow, Alice and the console alike.

paraphrases/<locale>.yaml adds what only the local understanding learns from: many more
phrasings per intent (the platforms' own models generalize; ours is a nearest-sample matcher
and knows only the words its samples use) and `out_of_scope` sentences that must do nothing
(speech about other things that shares our words: "share this song", "the wifi code")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from core.assistants import NAMES

MODEL_DIR = Path(__file__).resolve().parent
SLOT_RE = re.compile(r"\{(\w+)\}")
LOCALES = ("en-US", "en-GB", "de-DE", "ru-RU")


@dataclass(frozen=True)
class SlotType:
    name: str
    kind: str  # custom | builtin
    platform_names: dict[str, str] = field(default_factory=dict)

    def name_on(self, platform: str) -> str:
        return self.platform_names.get(platform, self.name)


@dataclass(frozen=True)
class Intent:
    name: str
    description: str = ""
    slots: dict[str, str] = field(default_factory=dict)  # slot name -> slot type name
    builtin: dict[str, str] = field(default_factory=dict)  # platform -> built-in intent name
    platforms_excluded: tuple[str, ...] = ()
    has_samples: bool = True

    def name_on(self, platform: str) -> str:
        return self.builtin.get(platform, self.name)

    def on(self, platform: str) -> bool:
        return platform not in self.platforms_excluded


@dataclass(frozen=True)
class SlotValue:
    id: str
    synonyms: tuple[str, ...]  # the first one is the canonical spoken value


@dataclass(frozen=True)
class LocaleModel:
    locale: str
    invocation_name: str
    samples: dict[str, tuple[str, ...]]
    slot_values: dict[str, tuple[SlotValue, ...]]
    paraphrases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    out_of_scope: tuple[str, ...] = ()

    def training(self) -> dict[str, tuple[str, ...]]:
        """What the local understanding learns from: the samples, then the paraphrases."""
        return {intent: (*self.samples.get(intent, ()), *self.paraphrases.get(intent, ()))
                for intent in {**self.samples, **self.paraphrases}}

    @property
    def language(self) -> str:
        return self.locale.split("-")[0]


@dataclass(frozen=True)
class DialogSlots:
    """Per intent, the slots the dialog asks for alone and those it reads back."""

    elicit: tuple[str, ...] = ()
    confirm: tuple[str, ...] = ()


@dataclass(frozen=True)
class LanguageModel:
    intents: dict[str, Intent]
    slot_types: dict[str, SlotType]
    locales: dict[str, LocaleModel]
    dialog_slots: dict[str, DialogSlots] = field(default_factory=dict)

    def intent_eliciting(self, slot: str, current: str | None) -> str | None:
        """The intent to ask for `slot` in: the current one when it elicits that slot,
        else the one intent that does (the pairing code: ProvideCode)."""
        if current and slot in self.dialog_slots.get(current, DialogSlots()).elicit:
            return current
        owners = [name for name, d in self.dialog_slots.items() if slot in d.elicit]
        return owners[0] if len(owners) == 1 else None

    def locale(self, locale: str) -> LocaleModel:
        """Exact locale, else the first one of the same language (en-AU -> en-US)."""
        if locale in self.locales:
            return self.locales[locale]
        language = locale.split("-")[0].lower()
        for name, model in self.locales.items():
            if name.split("-")[0].lower() == language:
                return model
        return self.locales["en-US"]

    def slot_type_of(self, intent: str, slot: str) -> SlotType:
        return self.slot_types[self.intents[intent].slots[slot]]


# libyaml's loader when PyYAML was built with it: the paraphrase files hold thousands of lines
# and the pure-Python loader takes seconds over them.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_LOADER) or {}


def _intent(name: str, spec: dict[str, Any] | None) -> Intent:
    spec = spec or {}
    excluded = tuple(p for p in NAMES if spec.get(p) is False)
    return Intent(
        name=name,
        description=spec.get("description", ""),
        slots=dict(spec.get("slots") or {}),
        builtin=dict(spec.get("builtin") or {}),
        platforms_excluded=excluded,
        has_samples=spec.get("samples", True) is not False,
    )


def _locale(name: str, raw: dict[str, Any], all_raw: dict[str, dict[str, Any]]) -> LocaleModel:
    inherited = raw.get("inherits")
    if inherited:
        base = all_raw[inherited]
        raw = {**base, **{k: v for k, v in raw.items() if k != "inherits"}}
    samples = {intent: tuple(str(s) for s in lines) for intent, lines in raw["intents"].items()}
    values = {
        type_name: tuple(SlotValue(vid, tuple(str(s) for s in syns)) for vid, syns in vals.items())
        for type_name, vals in (raw.get("slot_values") or {}).items()
    }
    extra = _paraphrases(name) or (_paraphrases(inherited) if inherited else {})
    paraphrases = {intent: tuple(str(s) for s in lines)
                   for intent, lines in (extra.get("intents") or {}).items()}
    return LocaleModel(name, raw.get("invocation_name", ""), samples, values, paraphrases,
                       tuple(str(s) for s in extra.get("out_of_scope") or ()))


def _paraphrases(locale: str) -> dict[str, Any]:
    """Every paraphrase file of the locale (`en-US.yaml`, `en-US-2.yaml`, …), merged: each
    writer's file stays whole, so who wrote what stays visible."""
    merged: dict[str, Any] = {"intents": {}, "out_of_scope": []}
    for path in sorted((MODEL_DIR / "paraphrases").glob(f"{locale}*.yaml")):
        raw = _read(path)
        for intent, lines in (raw.get("intents") or {}).items():
            merged["intents"].setdefault(intent, []).extend(lines or ())
        merged["out_of_scope"].extend(raw.get("out_of_scope") or ())
    return merged if merged["intents"] or merged["out_of_scope"] else {}


@lru_cache(maxsize=1)
def load() -> LanguageModel:
    spec = _read(MODEL_DIR / "intents.yaml")
    slot_types = {
        name: SlotType(name, t.get("kind", "custom"),
                       {k: v for k, v in t.items() if k != "kind"})
        for name, t in spec["slot_types"].items()
    }
    intents = {name: _intent(name, s) for name, s in spec["intents"].items()}
    raw = {p.stem: _read(p) for p in sorted((MODEL_DIR / "locales").glob("*.yaml"))}
    locales = {name: _locale(name, raw[name], raw) for name in LOCALES if name in raw}
    dialog = {name: DialogSlots(tuple(d.get("elicit") or ()), tuple(d.get("confirm") or ()))
              for name, d in (spec.get("dialog_slots") or {}).items()}
    return LanguageModel(intents, slot_types, locales, dialog)


def slots_in(sample: str) -> list[str]:
    return SLOT_RE.findall(sample)
