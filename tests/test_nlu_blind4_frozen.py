"""The fourth blind NLU sets stay byte-for-byte as written.

They were written by a helper (B4) who never saw the model's samples, the understanding code or
the earlier sets, and they are measured once, at the end of the session; editing them (to match
the model, or to add what it misses) would make that figure meaningless. The digests are written
here and in SHA256SUMS so that changing a file and its SHA256SUMS line together still fails.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

SET_DIR = Path(__file__).parent / "nlu_blind4"

FROZEN_DIGESTS = {
    "en-US.yaml": "8f54f3b9a6daeef74a4c36eab72ce99df802a9f7cdad50806d1f51a7cc09783b",
    "de-DE.yaml": "bb57781ff4c5bea5a2bdd319d33571b934a4ada2eff1f29841e3024fd5e29d89",
    "ru-RU.yaml": "3ec10f2aff60d6638b04e766d3037bec65c92235c5f34d5fdfb6e208e49597d6",
    "en-US-in-context.yaml": "ec9bf859780d011aed689d3d7ae73d43614e0d16ffbc767e4986b6c3100414cf",
    "de-DE-in-context.yaml": "c33c172c0916cc090b58d330557afeb448767b1555ac885993ac46eaffcc1c5f",
    "ru-RU-in-context.yaml": "f143520957d92b63a90c6eb140cb370a63b861e26f31c178ae9f929a1d3f9cff",
    "README.md": "f3ebb9a5399a3e1e2b5cfd632c8bcc3d9e159a5dc83839bf6142a32a8f4e565f",
}

PRODUCT_INTENTS = (
    "ShareProgram",
    "SendInvite",
    "ProvideContact",
    "ProvideCode",
    "ExplainProgram",
    "MyReferrals",
    "RewardBalance",
    "LinkAccount",
    "SetReminder",
    "StopReminders",
    "ListReminders",
    "SubscribeDigest",
    "SubscribeDigestOnNews",
    "StopDigest",
    "DeleteMyData",
)
BUILTIN_INTENTS = ("Help", "WhatCanYouDo", "Stop", "Cancel", "Repeat", "NavigateHome", "Yes", "No")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", sorted(FROZEN_DIGESTS))
def test_blind4_file_is_unchanged(name: str) -> None:
    assert _sha256(SET_DIR / name) == FROZEN_DIGESTS[name], (
        f"tests/nlu_blind4/{name} changed: these sets are frozen (see tests/nlu_blind4/README.md)"
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
    assert sum(counts.values()) >= 210
    assert set(counts) == {*PRODUCT_INTENTS, *BUILTIN_INTENTS, "Fallback"}
    assert counts["ShareProgram"] >= 15
    assert counts["SendInvite"] >= 15
    assert min(counts[name] for name in PRODUCT_INTENTS) >= 8
    assert min(counts[name] for name in BUILTIN_INTENTS) >= 5
    assert counts["Fallback"] >= 55


@pytest.mark.parametrize("locale", ["en-US", "de-DE", "ru-RU"])
def test_each_in_context_answer_names_its_question(locale: str) -> None:
    data = yaml.safe_load((SET_DIR / f"{locale}-in-context.yaml").read_text(encoding="utf-8"))
    assert data["locale"] == locale
    contexts = {u["context"] for u in data["utterances"]}
    assert len(data["utterances"]) >= 50
    assert contexts == {
        "readback",
        "ask_contact",
        "ask_code",
        "ask_weekday",
        "erase_confirm",
        "subscribe_confirm",
    }
