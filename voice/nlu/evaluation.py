"""Measured understanding: run held-out utterances through the local NLU (and, with a
platform, through that platform's request and adapter) and count what came out right.

A held-out file is YAML: `locale` (default for its items) and `utterances`, each with
`text`, `intent`, optional `slots` (the values as the dialog needs them: E.164 phones,
lower-case emails, channel ids, digits), optional `locale` and optional `context`: the
question the utterance answers (readback, ask_contact, ask_code, ask_weekday, erase_confirm,
subscribe_confirm). An answer in context is read the way the dialog reads it
(voice.dialog.answers), so "friday" after "on which day?" counts as the weekday it is.
Intent accuracy counts every utterance; slot exact match counts the utterances where the
expected or the understood slots are not empty, and needs the whole dict equal. Pure: no
Flask, no database."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.assistants import VARIANTS
from voice import model as language_model
from voice.dialog.answers import CONTEXTS, read_answer
from voice.nlu.understanding import understand
from voice.simulation.requests import Conversation, Utterance, build
from voice.turn import Turn

# Intents that send, erase, subscribe or say yes to one of those.
ACTING_INTENTS = frozenset({"ShareProgram", "SendInvite", "SetReminder", "SubscribeDigest",
                            "SubscribeDigestOnNews", "DeleteMyData", "Yes"})
PLATFORMS = ("local", *VARIANTS)  # the local NLU alone, or through an assistant's adapter
EVAL_SHOP = "nlu-eval"


@dataclass(frozen=True)
class Case:
    text: str
    locale: str
    intent: str
    slots: dict[str, str] = field(default_factory=dict)
    context: str | None = None


@dataclass(frozen=True)
class Outcome:
    case: Case
    intent: str
    slots: dict[str, str]

    @property
    def intent_ok(self) -> bool:
        return self.intent == self.case.intent

    @property
    def has_slots(self) -> bool:
        return bool(self.case.slots or self.slots)

    @property
    def slots_ok(self) -> bool:
        return self.slots == self.case.slots


@dataclass
class Report:
    platform: str
    outcomes: list[Outcome]
    seconds: float

    def _of(self, locale: str | None) -> list[Outcome]:
        return [o for o in self.outcomes if locale is None or o.case.locale == locale]

    @property
    def locales(self) -> list[str]:
        return sorted({o.case.locale for o in self.outcomes})

    def intent_accuracy(self, locale: str | None = None) -> float:
        rows = self._of(locale)
        return sum(o.intent_ok for o in rows) / len(rows) if rows else 1.0

    def slot_exact_match(self, locale: str | None = None) -> float:
        rows = [o for o in self._of(locale) if o.has_slots]
        return sum(o.slots_ok for o in rows) / len(rows) if rows else 1.0

    def slot_cases(self, locale: str | None = None) -> int:
        return sum(o.has_slots for o in self._of(locale))

    def confusions(self) -> list[tuple[tuple[str, str], int]]:
        """(expected, understood) pairs, most frequent first."""
        pairs = Counter((o.case.intent, o.intent) for o in self.outcomes if not o.intent_ok)
        return sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))

    def per_intent(self) -> list[tuple[str, dict[str, tuple[int, int]]]]:
        """Per expected intent and locale: (understood right, utterances)."""
        table: dict[str, dict[str, tuple[int, int]]] = {}
        for o in self.outcomes:
            right, total = table.setdefault(o.case.intent, {}).get(o.case.locale, (0, 0))
            table[o.case.intent][o.case.locale] = (right + o.intent_ok, total + 1)
        return sorted(table.items())

    def acting_on_fallback(self) -> list[Outcome]:
        """Out-of-scope speech (expected Fallback) understood as an intent that acts."""
        return [o for o in self.outcomes
                if o.case.intent == "Fallback" and o.intent in ACTING_INTENTS]

    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.intent_ok or (o.has_slots and not o.slots_ok)]

    @property
    def ms_per_utterance(self) -> float:
        return 1000 * self.seconds / len(self.outcomes) if self.outcomes else 0.0


class HeldOutError(ValueError):
    """A held-out file that is not the documented shape."""


def load_cases(paths: Iterable[Path], locale: str | None = None) -> list[Case]:
    known = set(language_model.load().intents)
    cases: list[Case] = []
    for path in paths:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(raw, dict) or not isinstance(raw.get("utterances"), list):
            raise HeldOutError(f"{path}: expected a mapping with an 'utterances' list")
        default = str(raw.get("locale") or "en-US")
        for n, item in enumerate(raw["utterances"], 1):
            if not isinstance(item, dict) or not item.get("text") or not item.get("intent"):
                raise HeldOutError(f"{path} #{n}: each utterance needs text and intent")
            if item["intent"] not in known:
                raise HeldOutError(f"{path} #{n}: unknown intent {item['intent']!r}")
            context = item.get("context")
            if context is not None and context not in CONTEXTS:
                raise HeldOutError(f"{path} #{n}: unknown context {context!r} (one of "
                                   f"{', '.join(CONTEXTS)})")
            case = Case(str(item["text"]), str(item.get("locale") or default),
                        str(item["intent"]),
                        {str(k): str(v) for k, v in (item.get("slots") or {}).items()},
                        str(context) if context else None)
            if locale is None or case.locale == locale:
                cases.append(case)
    return cases


def evaluate(cases: list[Case], platform: str = "local", names: tuple[str, ...] = ()) -> Report:
    """`names`: the shop's own names the utterances say ("acme"), as a live shop's are known."""
    if platform not in PLATFORMS:
        raise ValueError(f"platform must be one of {', '.join(PLATFORMS)}")
    read = _READERS[platform] if platform != "local" or not names else (
        lambda case: _local(case, names))
    for locale in sorted({case.locale for case in cases}):
        understand("warm up", locale)  # the per-locale index is built once per process
    started = time.perf_counter()
    outcomes = [Outcome(case, *_in_context(case, *read(case))) for case in cases]
    return Report(platform, outcomes, time.perf_counter() - started)


def _in_context(case: Case, intent: str, slots: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The platform's reading, taken as the answer to the case's question (if any)."""
    if case.context is None:
        return intent, slots
    answer = read_answer(CONTEXTS[case.context], intent, slots, case.text, case.locale)
    return answer.intent, dict(answer.slots)


# --- one reader per platform: the case -> (intent, slots) the dialog would see -----------

def _local(case: Case, names: tuple[str, ...] = ()) -> tuple[str, dict[str, str]]:
    got = understand(case.text, case.locale, names=names)
    return got.intent, dict(got.slots)


def _request(platform: str, case: Case) -> dict[str, Any]:
    """The platform's request as its NLU would send it: our intent and slots under the
    parameter names the export declares (the slot names of intents.yaml)."""
    got = understand(case.text, case.locale)
    conv = Conversation(platform=platform, shop=EVAL_SHOP, locale=case.locale,
                        user_id="nlu-eval-user")
    from datetime import UTC, datetime  # only a request timestamp, never a decision

    return build(conv, Utterance(case.text, got.intent, dict(got.slots)),
                 datetime(2026, 1, 1, tzinfo=UTC))


def _from_turn(turn: Turn) -> tuple[str, dict[str, str]]:
    return turn.intent, {k: v for k, v in turn.slots.items() if k != "name"}


def _platform(platform: str) -> Callable[[Case], tuple[str, dict[str, str]]]:
    def read(case: Case) -> tuple[str, dict[str, str]]:
        from voice.platforms import of_variant_module

        simulate = of_variant_module(platform, "simulate")
        turn: Turn = simulate.understood(_request(platform, case), EVAL_SHOP, case.locale)
        return _from_turn(turn)
    return read


_READERS: dict[str, Callable[[Case], tuple[str, dict[str, str]]]] = {
    "local": _local, **{key: _platform(key) for key in VARIANTS}}


def render(report: Report, examples: int = 25) -> str:
    """The text the CLI prints."""
    lines = [f"platform: {report.platform}",
             f"{'locale':<8} {'utterances':>10} {'intent':>7} {'slot cases':>10} {'slots':>6}"]
    for loc in [*report.locales, None]:
        rows = report._of(loc)
        lines.append(f"{loc or 'all':<8} {len(rows):>10} {report.intent_accuracy(loc):>7.3f} "
                     f"{report.slot_cases(loc):>10} {report.slot_exact_match(loc):>6.3f}")
    lines.append(f"time: {report.ms_per_utterance:.3f} ms per utterance")
    fallbacks = [o for o in report.outcomes if o.case.intent == "Fallback"]
    acting = report.acting_on_fallback()
    lines.append(f"out-of-scope reaching an acting intent: {len(acting)} of {len(fallbacks)}"
                 + "".join(f"\n  [{o.case.locale}] {o.case.text!r} -> {o.intent}"
                           for o in acting))
    lines.append("per intent (right/utterances): " + " ".join(report.locales))
    for intent, by_locale in report.per_intent():
        cells = " ".join(f"{'{}/{}'.format(*by_locale[loc]) if loc in by_locale else '-':>7}"
                         for loc in report.locales)
        lines.append(f"  {intent:<22} {cells}")
    confusions = report.confusions()
    lines.append("confusion pairs (expected -> understood):" if confusions
                 else "confusion pairs: none")
    lines += [f"  {want} -> {got}: {n}" for (want, got), n in confusions]
    misses = report.misses()
    if misses:
        lines.append(f"misses ({len(misses)}, first {min(examples, len(misses))}):")
    for o in misses[:examples]:
        where = f" ({o.case.context})" if o.case.context else ""
        lines.append(f"  [{o.case.locale}]{where} {o.case.text!r}: want {o.case.intent} "
                     f"{json.dumps(o.case.slots, ensure_ascii=False)}, got {o.intent} "
                     f"{json.dumps(o.slots, ensure_ascii=False)}")
    return "\n".join(lines)
