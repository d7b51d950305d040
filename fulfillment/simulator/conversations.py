"""YAML conversation tests: a file names the shop, assistants, locale and user, and lists
turns with expectations; each assistant replays the turns through the simulator.

    shop: demo
    assistants: [alexa, dialogflow-es, dialogflow-cx, alice]
    locale: en-US
    user: alex
    turns:
      - say: share the referral program
        expect:
          intent: ShareProgram
          speech_contains: [Your code is]
          end_session: false
          messages: [{kind: invite_self, channel: sms, to: "+15555550100"}]

Each case runs on its own fresh copy of the named shop (`isolated`): an in-memory database
seeded from the live one with the shop's settings, program and customers, so a case never
sees what an earlier case sent ("already sent today") and never writes to the live data.

A turn may use what an earlier turn of the case produced: `${pairing_code}`, `${code}`,
`${link}` (any text value in a queued message's context), in `say` and in the expectations:

      - say: the code is ${pairing_code}
        expect: {intent: ProvideCode, speech_contains: [you're linked]}
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml

from core.db import Database
from core.services import Services, bootstrap
from core.shop_copy import copy_shop
from fulfillment.simulator.turns import SimulationResult, Simulator

IN_MEMORY = "sqlite://"


@dataclass
class TurnOutcome:
    said: str
    failures: list[str]
    result: SimulationResult


@dataclass
class CaseOutcome:
    name: str
    turns: list[TurnOutcome] = field(default_factory=list)
    error: str = ""  # the case could not start (unknown shop or customer)

    @property
    def failures(self) -> list[str]:
        return [self.error] * bool(self.error) + [
            f"turn {i + 1} ({t.said!r}): {f}" for i, t in enumerate(self.turns)
            for f in t.failures]

    @property
    def passed(self) -> bool:
        return not self.failures


# An uploaded replay (the console, any support account) is untrusted: 511 bytes of nested
# YAML anchors ran 1,800 turns. Aliases are refused outright, and the file, the turns and
# the work (turns times assistants) are bounded.
MAX_UPLOAD_BYTES = 64 * 1024
MAX_TURNS = 100
MAX_REPLAYED_TURNS = 200  # turns times assistants
MAX_SAY = 500


class BadConversation(ValueError):
    """An uploaded conversation this console will not replay; the message says why."""


def read_upload(raw: bytes) -> dict[str, Any]:
    """An uploaded conversation file as a spec, or BadConversation saying what is wrong."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise BadConversation(f"The file is over {MAX_UPLOAD_BYTES // 1024} KB.")
    try:
        text = raw.decode("utf-8")
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise BadConversation("YAML anchors and aliases (& and *) are not allowed "
                                      "in a conversation file.")
        spec = yaml.safe_load(text)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BadConversation("That is not a UTF-8 YAML file.") from exc
    return checked(spec)


def checked(spec: object) -> dict[str, Any]:
    """The spec when its shape is one run_case can replay within the bounds."""
    if not isinstance(spec, dict) or not isinstance(spec.get("shop"), str):
        raise BadConversation("Upload a conversation YAML file with shop and turns.")
    turns = spec.get("turns")
    if not isinstance(turns, list) or not turns or not all(
            isinstance(t, dict) for t in turns):
        raise BadConversation("turns must be a list of turns (say and expect).")
    if len(turns) > MAX_TURNS:
        raise BadConversation(f"At most {MAX_TURNS} turns in one file.")
    for turn in turns:
        if not isinstance(turn.get("say", ""), str) or len(turn.get("say", "")) > MAX_SAY:
            raise BadConversation(f"Each say is text of at most {MAX_SAY} characters.")
        if not isinstance(turn.get("expect") or {}, dict):
            raise BadConversation("Each expect is a mapping (speech, intent, ...).")
    assistants = spec.get("assistants") or ["alexa"]
    if not isinstance(assistants, list) or not all(isinstance(a, str) for a in assistants):
        raise BadConversation("assistants must be a list of names.")
    if len(turns) * len(assistants) > MAX_REPLAYED_TURNS:
        raise BadConversation(f"At most {MAX_REPLAYED_TURNS} turns in all (turns times "
                              "assistants).")
    return spec


def load(path: Path) -> dict[str, Any]:
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for key in ("shop", "turns"):
        if key not in spec:
            raise ValueError(f"{path}: missing '{key}'")
    return spec


def cases(path: Path) -> list[tuple[str, dict[str, Any], str]]:
    """(name, spec, assistant) per assistant the file names."""
    spec = load(path)
    assistants = spec.get("assistants") or [spec.get("assistant", "alexa")]
    return [(f"{path.stem}[{a}]", spec, a) for a in assistants]


def check(expect: dict[str, Any], result: SimulationResult) -> list[str]:
    problems: list[str] = []
    if result.status != 200:
        return [f"HTTP {result.status}: {result.response}"]
    speech = result.speech.replace("\xa0", " ")
    if "intent" in expect and result.intent != expect["intent"]:
        problems.append(f"intent {result.intent!r}, expected {expect['intent']!r}")
    for name, value in (expect.get("slots") or {}).items():
        if str(result.slots.get(name)) != str(value):
            problems.append(f"slot {name}={result.slots.get(name)!r}, expected {value!r}")
    contains = expect.get("speech_contains") or []
    for fragment in [contains] if isinstance(contains, str) else contains:
        if fragment not in speech:
            problems.append(f"speech lacks {fragment!r}: {speech!r}")
    markup = expect.get("markup_contains") or []  # SSML or Alice TTS, as the speaker gets it
    for fragment in [markup] if isinstance(markup, str) else markup:
        if fragment not in result.markup:
            problems.append(f"markup lacks {fragment!r}: {result.markup!r}")
    if "speech_matches" in expect and not re.search(expect["speech_matches"], speech):
        problems.append(f"speech does not match /{expect['speech_matches']}/: {speech!r}")
    if "end_session" in expect and result.end_session != bool(expect["end_session"]):
        problems.append(f"end_session {result.end_session}, expected {expect['end_session']}")
    if expect.get("card") and not (result.card or result.link):
        problems.append("expected a card or link")
    if "qr" in expect and bool(result.image) != bool(expect["qr"]):
        problems.append(f"QR image {result.image!r}, expected {'one' if expect['qr'] else 'none'}")
    if "messages" in expect:
        want = expect["messages"] or []
        got = result.messages
        if len(got) != len(want):
            problems.append(f"{len(got)} messages queued, expected {len(want)}: "
                            f"{[(m['kind'], m['to']) for m in got]}")
        for wanted, message in zip(want, got, strict=False):
            for key in ("kind", "channel", "to"):
                if key in wanted and str(message[key]) != str(wanted[key]):
                    problems.append(f"message {key} {message[key]!r}, expected {wanted[key]!r}")
    return problems


REFERENCE = re.compile(r"\$\{([a-z_]+)\}")


def _fill(value: Any, values: dict[str, str], missing: list[str]) -> Any:
    """`value` (a string, or lists and dicts of them) with each ${name} replaced."""
    if isinstance(value, str):
        def one(match: re.Match[str]) -> str:
            if match.group(1) not in values:
                missing.append(match.group(1))
                return match.group(0)
            return values[match.group(1)]
        return REFERENCE.sub(one, value)
    if isinstance(value, list):
        return [_fill(v, values, missing) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, values, missing) for k, v in value.items()}
    return value


def produced(result: SimulationResult) -> dict[str, str]:
    """The values a turn's messages carry (the pairing code, the code, the link)."""
    found: dict[str, str] = {}
    for message in result.messages:
        for key, value in (message.get("context") or {}).items():
            if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
                found[str(key)] = str(value)
    return found


def run_case(simulator: Simulator, name: str, spec: dict[str, Any],
             assistant: str) -> CaseOutcome:
    locale = spec.get("locales", {}).get(assistant) if isinstance(spec.get("locales"),
                                                                  dict) else None
    conv = simulator.start(assistant, spec["shop"], locale or spec.get("locale", "en-US"),
                           user=str(spec.get("user", "alex")), screen=bool(spec.get("screen")))
    outcome = CaseOutcome(name)
    values: dict[str, str] = {}
    for turn in spec["turns"]:
        missing: list[str] = []
        said = _fill(str(turn.get("say", "")), values, missing)
        expect = _fill(turn.get("expect") or {}, values, missing)
        result = simulator.say(conv, said)
        problems = [f"${{{name}}} was not produced by an earlier turn" for name in missing]
        outcome.turns.append(TurnOutcome(said, problems + check(expect, result), result))
        values.update(produced(result))
    return outcome


@contextmanager
def isolated(live: Services, shop: str) -> Iterator[Simulator]:
    """A simulator over a fresh in-memory database holding a copy of `shop` from the live
    database (which is only read); everything the case writes vanishes with it."""
    from fulfillment.app import create_app

    db = Database(IN_MEMORY, clock=live.clock)
    services: Services | None = None
    try:
        db.create_all()
        copy_shop(live.db, db, shop)
        services = bootstrap(live.settings.with_(database_url=IN_MEMORY, embedded_worker=False),
                             db=db, clock=live.clock, background_clicks=False)
        # Adapters a caller configured that a copy should use too (fakes in tests, local
        # stand-ins); the copy's verifier and sandbox keys are its own.
        services.adapters.yandex_dialogs_url = live.adapters.yandex_dialogs_url
        services.adapters.alexa_profile = live.adapters.alexa_profile
        yield Simulator(create_app(services=services), services)
    finally:
        if services is not None:
            services.close()
        db.dispose()




def run_isolated(live: Services, name: str, spec: dict[str, Any],
                 assistant: str) -> CaseOutcome:
    """One case on its own copy of the shop it names."""
    with isolated(live, str(spec["shop"])) as simulator:
        return run_case(simulator, name, spec, assistant)


def junit(outcomes: list[CaseOutcome]) -> str:
    failures = sum(1 for o in outcomes if not o.passed)
    lines = [f'<testsuite name="conversations" tests="{len(outcomes)}" failures="{failures}">']
    for o in outcomes:
        lines.append(f'  <testcase name="{escape(o.name)}">')
        if not o.passed:
            lines.append(f'    <failure message="{escape(o.failures[0], {chr(34): "&quot;"})}">'
                         f"{escape(chr(10).join(o.failures))}</failure>")
        lines.append("  </testcase>")
    lines.append("</testsuite>")
    return "\n".join(lines) + "\n"


def _as_references(text: str, values: dict[str, str]) -> str:
    """Each produced value said in `text` (as typed, or digit by digit) -> ${name}; the
    longest first, so a code is not cut by a shorter value inside it."""
    for name, value in sorted(values.items(), key=lambda kv: -len(kv[1])):
        if len(value) < 4:
            continue  # too short to be told apart from ordinary words
        for form in (value, " ".join(value)) if value.isdigit() else (value,):
            text = text.replace(form, "${" + name + "}")
    return text


def to_yaml(shop: str, assistant: str, locale: str, user: str,
            results: list[SimulationResult]) -> str:
    """A console session as a test file: what was said and what came back, as expected. A
    value an earlier turn produced (the pairing code just sent) is written as a reference,
    `${pairing_code}`, so the file passes on replay when the code is a new one."""
    turns = []
    values: dict[str, str] = {}
    for r in results:
        expect: dict[str, Any] = {"intent": r.intent, "end_session": r.end_session}
        first = re.split(r"(?<=[.!?])\s", r.speech.strip())[0] if r.speech else ""
        if first:
            expect["speech_contains"] = [first]
        expect["messages"] = [{"kind": m["kind"], "channel": m["channel"], "to": m["to"]}
                              for m in r.messages]
        turns.append({"say": _as_references(r.utterance, values), "expect": expect})
        values.update(produced(r))
    return yaml.safe_dump({"shop": shop, "assistants": [assistant], "locale": locale,
                           "user": user, "turns": turns}, allow_unicode=True, sort_keys=False)
