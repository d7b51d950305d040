"""Acting is safe (issue 25): at every step that sends, erases or subscribes, every kind of
answer that is not a yes either asks again (keeping the pending action) or does the right
thing (a no or a cancel drops it, a correction reads the new value back) — never acts.

The table is generated: each cell is a real conversation on the Alice path (the local NLU
reads the words), per locale. `python -m tests.test_acting_is_safe` prints it as Markdown
(docs/acting-safety.md holds that output). The answers were written for this test, not
taken from the blind sets."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.keys import HASH_KEY, SECRET_KEY

REASKED, RIGHT, WRONG, DROPPED = "re-asked", "did the right thing", "ACTED WRONGLY", "dropped"

# Per locale: how to reach each acting step (the turns before the question).
STEPS = {
    "en-US": {
        "friend read-back": ["send my invite to a friend", "my number is 555 555 0199"],
        "erase data": ["delete my data"],
        "digest": ["send me a weekly digest"],
        "reminder": ["remind me every friday"],
    },
    "de-DE": {
        "friend read-back": ["lade einen freund ein", "die nummer ist +49 30 901820"],
        "erase data": ["lösche meine daten"],
        "digest": ["schick mir eine wöchentliche zusammenfassung"],
        "reminder": ["erinnere mich jeden freitag"],
    },
    "ru-RU": {
        "friend read-back": ["отправь приглашение другу", "номер +7 912 345 67 89"],
        "erase data": ["удали мои данные"],
        "digest": ["присылай мне еженедельную сводку"],
        "reminder": ["напоминай мне по пятницам"],
    },
}
# Kinds of non-affirmative answer, per locale.
ANSWERS = {
    "en-US": {"no": "no", "negated": "no don't do that", "cancel": "cancel",
              "unrecognised": "hmm", "off-topic": "what's the weather like tomorrow",
              "smart home": "switch on the hallway light", "start over": "start over",
              "another request": "share the referral program", "help": "help",
              "maybe": "maybe later", "correction": "no it's 555 555 0142",
              "no apostrophe": "dont send it", "bare negation": "dont",
              "yes then negation": "sure but dont", "do not": "do not do it"},
    "de-DE": {"no": "nein", "negated": "nein mach das nicht", "cancel": "abbrechen",
              "unrecognised": "hm", "off-topic": "wie wird das wetter morgen",
              "smart home": "schalte das licht im flur ein", "start over": "von vorne",
              "another request": "teile das empfehlungsprogramm", "help": "hilfe",
              "maybe": "vielleicht später", "correction": "nein die nummer ist +49 30 901821",
              "no apostrophe": "nicht abschicken", "bare negation": "nicht",
              "yes then negation": "ja aber nicht senden", "do not": "mach das bitte nicht"},
    "ru-RU": {"no": "нет", "negated": "нет не надо", "cancel": "отмена",
              "unrecognised": "хм", "off-topic": "какая завтра погода",
              "smart home": "включи свет в коридоре", "start over": "начать сначала",
              "another request": "поделись реферальной программой", "help": "помощь",
              "maybe": "может быть потом", "correction": "нет номер +7 912 345 67 88",
              "no apostrophe": "не отправляй", "bare negation": "не надо",
              "yes then negation": "да не отправляй", "do not": "не делай этого"},
}
# What a step says when it acted (in the reply right after the answer).
DONE = {"en-US": ("on its way", "I've deleted your data", "asked Demo Shop to delete",
                  "To stop it, say", "I'll remind you"),
        "de-DE": ("unterwegs", "gelöscht", "Daten zu löschen", "Zum Beenden", "erinnere Sie"),
        "ru-RU": ("отправляется", "удалила", "удалить ваши данные", "Чтобы отключить",
                  "напомню")}
# Negations as a recognizer writes them (no apostrophe, a bare "dont", a yes taken back):
# each must drop the pending action like a no, never act and never be asked again.
NEGATIONS = ("negated", "no apostrophe", "bare negation", "yes then negation", "do not")
REASK = {"en-US": "yes or no", "de-DE": "ja oder nein", "ru-RU": "да или нет"}
READBACK = {"en-US": "Shall I send it?", "de-DE": "Soll ich sie senden?",
            "ru-RU": "Отправить?"}


def _classify(locale: str, step: str, kind: str, result) -> str:  # type: ignore[no-untyped-def]
    if result.messages or any(done in result.speech for done in DONE[locale]):
        return WRONG
    if REASK[locale] in result.speech and not result.end_session:
        return REASKED
    if kind in ("no", "cancel", "start over", *NEGATIONS):
        return RIGHT  # dropped on purpose, nothing done
    if kind == "correction" and step == "friend read-back" and READBACK[locale] in result.speech:
        return RIGHT  # the new value is read back
    if kind == "correction" and step != "friend read-back":
        return RIGHT if not result.messages else WRONG
    return DROPPED


def table() -> Iterator[tuple[str, str, str, str, str]]:
    import tempfile

    from sqlalchemy import select

    from core import demo
    from core.clock import FrozenClock
    from core.config import Settings
    from core.db import Database
    from core.models import Shop
    from core.services import bootstrap
    from fulfillment.app import create_app
    from fulfillment.simulator.turns import Simulator
    from tests.conftest import BASE_URL, CLOCK_START
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'acting.db'}")
        db.create_all()
        services = bootstrap(Settings(database_url=db.url, base_url=BASE_URL,
                                      secret_key=SECRET_KEY, hash_key=HASH_KEY,
                                      sandbox=True, embedded_worker=False), db=db,
                             clock=FrozenClock(CLOCK_START), background_clicks=False)
        try:
            demo.seed(services)
            with db.session() as session:  # the digest step exists only when it is on
                shop = session.scalar(select(Shop).where(Shop.slug == "demo"))
                shop.settings = {**(shop.settings or {}), "digest": {"enabled": True}}
            simulator = Simulator(create_app(services=services), services)
            for locale, steps in STEPS.items():
                for step, setup in steps.items():
                    for kind, answer in ANSWERS[locale].items():
                        conv = simulator.start("alice", "demo", locale, user="alex")
                        for line in setup:
                            simulator.say(conv, line)
                        result = simulator.say(conv, answer)
                        yield (locale, step, kind, answer,
                               _classify(locale, step, kind, result))
        finally:
            services.close()
            db.dispose()


@pytest.fixture(scope="module")
def cells() -> list[tuple[str, str, str, str, str]]:
    return list(table())


def test_no_non_affirmative_answer_ever_acts_at_a_send_erase_or_subscribe_step(cells):
    bad = [c for c in cells if c[4] not in (REASKED, RIGHT)]
    assert not bad, "\n".join(" | ".join(c) for c in bad)
    assert len(cells) == sum(len(s) for s in STEPS.values()) * len(ANSWERS["en-US"])


def test_an_unrecognised_answer_is_asked_again_and_a_correction_is_read_back(cells):
    for locale, step, kind, _, verdict in cells:
        if kind in ("unrecognised", "off-topic", "smart home"):
            assert verdict == REASKED, (locale, step, kind)
        if kind == "correction" and step == "friend read-back":
            assert verdict == RIGHT, (locale, step, kind)


def test_a_negation_however_written_is_a_no_that_drops_the_pending_action(cells):
    for locale, step, kind, answer, verdict in cells:
        if kind in NEGATIONS[1:]:
            assert verdict == RIGHT, (locale, step, kind, answer, verdict)


def markdown(rows: list[tuple[str, str, str, str, str]]) -> str:
    kinds = list(ANSWERS["en-US"])
    out = ["| locale | step | " + " | ".join(kinds) + " |",
           "|---|---|" + "---|" * len(kinds)]
    for locale, steps in STEPS.items():
        for step in steps:
            verdicts = {k: v for loc, st, k, _, v in rows if loc == locale and st == step}
            out.append(f"| {locale} | {step} | " + " | ".join(verdicts[k] for k in kinds)
                       + " |")
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(markdown(list(table())) + "\n")
