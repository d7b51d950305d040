"""The second blind NLU sets (issue 25) stay byte-for-byte as written.

They were written by a helper who never saw the model's samples or the earlier sets, and measured
once before any tuning; editing them (to match the model, or to add what it misses) would make
every later figure on them meaningless. The digests are written here and in SHA256SUMS so that
changing a file and its SHA256SUMS line together still fails.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

SET_DIR = Path(__file__).parent / "nlu_blind2"

FROZEN_DIGESTS = {
    "en-US.yaml": "d4e968fbcf03857a440374c18f49cbabc68b727d87efcb049d50c4ee6402a1af",
    "de-DE.yaml": "7ab100734b2c51c098bf7f1b85975b6157e8cfd2ed01b2b3f4b4df18715ca182",
    "ru-RU.yaml": "19db6ea2e2631672ca00dc041b9dedb77a959aa6691e70046441ad3b60407e3c",
    "en-US-in-context.yaml": "3c6fee1f12f1d651c43ddf810ec3d4524ff3a5ed3f48dae04fd97a5c556073e3",
    "de-DE-in-context.yaml": "9a4f2e954efad896d8dd81244f11c16932519a77bba0fb70bab8f5472d03998f",
    "ru-RU-in-context.yaml": "398e24e81c04906b630553a50b78e8c2b3d90ec3f2f17399c5dff178406795c7",
    "README.md": "b0cbd4a6aa12413ca5a977dec001992c8ce9de3f943c2a3b6c4dcb8ee96df68a",
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", sorted(FROZEN_DIGESTS))
def test_blind2_file_is_unchanged(name: str) -> None:
    assert _sha256(SET_DIR / name) == FROZEN_DIGESTS[name], (
        f"tests/nlu_blind2/{name} changed: these sets are frozen (see tests/nlu_blind2/README.md)"
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
    assert sum(counts.values()) >= 160
    assert len(counts) == 24
    assert min(counts.values()) >= 5
    assert counts["Fallback"] >= 30


@pytest.mark.parametrize("locale", ["en-US", "de-DE", "ru-RU"])
def test_each_in_context_answer_names_its_question(locale: str) -> None:
    data = yaml.safe_load((SET_DIR / f"{locale}-in-context.yaml").read_text(encoding="utf-8"))
    contexts = {u["context"] for u in data["utterances"]}
    assert len(data["utterances"]) >= 30
    assert contexts == {
        "readback",
        "ask_contact",
        "ask_code",
        "ask_weekday",
        "erase_confirm",
        "subscribe_confirm",
    }
