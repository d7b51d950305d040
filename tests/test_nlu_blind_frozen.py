"""The blind NLU sets (tests/nlu_blind) are frozen: they were written by someone who never saw the
model's samples, and they only measure generalization while nobody edits them to fit the model.
The digests are written here as well as in SHA256SUMS, so changing a set means changing this file
too, visibly, in the same commit."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

BLIND = Path(__file__).resolve().parent / "nlu_blind"

FROZEN = {
    "en-US.yaml": "d1cb52a8a2d99e1ce037d1b2eedfe669043486cb83d651e9089b7d16afd3a840",
    "de-DE.yaml": "7850d4b5105da5da1137d6ef12ce6ebd006b71d587abb0017f1b8b2939825b4f",
    "ru-RU.yaml": "e47570c7a88deabadeddfd52ae07e7f15903e1bb7b138b11faae63f4ca80efd7",
    "en-US-in-context.yaml": "b898ee69f6047958609aa6eebf6474a0f4f6290408c024fd8cb7caef56fd2176",
    "de-DE-in-context.yaml": "dcb1cc83b0c5dbc6d666cd966e91d298a470122e7564e6ab238964582dce3d9c",
    "ru-RU-in-context.yaml": "1f84f31bae69ca24b5c6b4aa7a0a9aa047d1b3e6043db5d6e3f62daafab4d662",
}


def _digest(name: str) -> str:
    return hashlib.sha256((BLIND / name).read_bytes()).hexdigest()


@pytest.mark.parametrize("name", sorted(FROZEN))
def test_blind_set_is_byte_for_byte_the_frozen_one(name: str) -> None:
    assert _digest(name) == FROZEN[name], (
        f"tests/nlu_blind/{name} changed after it was frozen; the blind figures no longer mean "
        "what they meant (see tests/nlu_blind/README.md)")


def test_sha256sums_file_lists_exactly_the_frozen_digests() -> None:
    listed = {}
    for line in (BLIND / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name.lstrip("*")] = digest
    assert listed == FROZEN


def test_no_unfrozen_set_sits_beside_the_frozen_ones() -> None:
    assert {p.name for p in BLIND.glob("*.yaml")} == set(FROZEN)


@pytest.mark.parametrize("name", sorted(FROZEN))
def test_blind_set_is_large_enough_to_mean_something(name: str) -> None:
    data = yaml.safe_load((BLIND / name).read_text(encoding="utf-8"))
    utterances = data["utterances"]
    minimum = 40 if "in-context" in name else 180
    assert len(utterances) >= minimum
    # YAML 1.1 reads a bare Yes / No as a boolean: every intent must stay a name.
    assert all(isinstance(u["intent"], str) for u in utterances)
