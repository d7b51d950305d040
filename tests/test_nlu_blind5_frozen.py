"""The fifth blind NLU sets stay byte-for-byte as written.

They were written by helper B5 who never saw the model's samples, paraphrases or the earlier sets,
and are measured once at the end of the session; editing them (to match the model, or to add what
it misses) would make every figure on them meaningless. The digests are written here and in
SHA256SUMS so that changing a file and its SHA256SUMS line together still fails.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

SET_DIR = Path(__file__).parent / "nlu_blind5"

FROZEN_DIGESTS = {
    "en-US.yaml": "a482ba258dfe7386e3e85edc420e1a7acd248c41c297b528cdc043804aae715c",
    "de-DE.yaml": "0f1fed1aa5d0eff28758799bd41ae59cc223b4e8f748208c03365bfe6cb3de54",
    "ru-RU.yaml": "2c1b22da08f0e24e80029a1b570d54ff16fb8041017f8f269072a244e5c79186",
    "en-US-in-context.yaml": "cecb55cf9e5fe830db917490279edecfc1cab7711d1ae94bdbd164d3aa887b81",
    "de-DE-in-context.yaml": "45d44994104a843bba695e2aa6dc48a8bd09b6002ee07710bf2fb3e24a41eda2",
    "ru-RU-in-context.yaml": "e764281976457435bbc1eb7723e8d3a3d0a5420fbb80b4e493a2a8888f91b9b8",
    "README.md": "b5711fc67273f5de5149167693aed200d2769be722ef965bc34839e792f91d7b",
}

CONTEXTS = {
    "readback",
    "ask_contact",
    "ask_code",
    "ask_weekday",
    "erase_confirm",
    "subscribe_confirm",
}

BUILTINS = ("Help", "WhatCanYouDo", "Stop", "Cancel", "Repeat", "NavigateHome", "Yes", "No")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", sorted(FROZEN_DIGESTS))
def test_blind5_file_is_unchanged(name: str) -> None:
    assert _sha256(SET_DIR / name) == FROZEN_DIGESTS[name], (
        f"tests/nlu_blind5/{name} changed: these sets are frozen (see tests/nlu_blind5/README.md)"
    )


def test_sha256sums_lists_the_same_digests() -> None:
    listed = {}
    for line in (SET_DIR / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name.strip()] = digest
    assert listed == FROZEN_DIGESTS


@pytest.mark.parametrize("locale", ["en-US", "de-DE", "ru-RU"])
def test_each_locale_set_covers_every_intent_with_enough_utterances(locale: str) -> None:
    data = yaml.safe_load((SET_DIR / f"{locale}.yaml").read_text(encoding="utf-8"))
    assert data["locale"] == locale
    counts: dict[str, int] = {}
    for utterance in data["utterances"]:
        counts[utterance["intent"]] = counts.get(utterance["intent"], 0) + 1
    assert sum(counts.values()) >= 260
    assert len(counts) == 24
    assert counts["ShareProgram"] >= 18
    assert counts["SendInvite"] >= 18
    assert all(counts[name] >= 6 for name in BUILTINS)
    assert min(n for name, n in counts.items() if name not in BUILTINS) >= 9
    assert counts["Fallback"] >= 70


@pytest.mark.parametrize("locale", ["en-US", "de-DE", "ru-RU"])
def test_each_in_context_answer_names_its_question(locale: str) -> None:
    data = yaml.safe_load((SET_DIR / f"{locale}-in-context.yaml").read_text(encoding="utf-8"))
    assert data["locale"] == locale
    contexts = {u["context"] for u in data["utterances"]}
    assert len(data["utterances"]) >= 60
    assert contexts == CONTEXTS
