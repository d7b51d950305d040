"""The third blind NLU sets stay byte-for-byte as written.

They were written by helper B3 from the blind brief alone, never having seen the model's samples,
the NLU code or the earlier sets, and are measured by someone else before any tuning; editing them
(to match the model, or to add what it misses) would make every later figure on them meaningless.
The digests are written here and in SHA256SUMS so that changing a file and its SHA256SUMS line
together still fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.frozen_sets import (
    BUILTIN_INTENTS,
    CONTEXTS,
    LOCALES,
    PRODUCT_INTENTS,
    in_context,
    intent_counts,
    listed_digests,
    sha256,
)

SET_DIR = Path(__file__).parent / "nlu_blind3"

FROZEN_DIGESTS = {
    "en-US.yaml": "cba06024957c3d83ccb16e8071e10771d652c873b6eff387adfdb2613685fabe",
    "de-DE.yaml": "f08da1208485c500f32750c8b7516f2d0432c26fae47518410da1ebaf3c19a91",
    "ru-RU.yaml": "445f2dd688a79eda418ebd7b4b6c65f9f52e3451f642ea6452696121094f35a2",
    "en-US-in-context.yaml": "865650180ecedb1f530202e9edc4c20c02a7eae20b853cc148203fd388667a16",
    "de-DE-in-context.yaml": "b014231658c3ebfdf2c7691c7fe3a9f98ba288ce3cc124e9d29d3023bc83e010",
    "ru-RU-in-context.yaml": "ec89f133963ec977540754cf09031181f11f6741ceb5113d530eb4329ead582f",
    "README.md": "986dcdc086b3fc1e71425541afb91f661739009e375e7e457081bee6dfc40324",
}


@pytest.mark.parametrize("name", sorted(FROZEN_DIGESTS))
def test_blind3_file_is_unchanged(name: str) -> None:
    assert sha256(SET_DIR / name) == FROZEN_DIGESTS[name], (
        f"tests/nlu_blind3/{name} changed: these sets are frozen (see tests/nlu_blind3/README.md)"
    )


def test_sha256sums_lists_the_same_digests() -> None:
    assert listed_digests(SET_DIR) == FROZEN_DIGESTS


@pytest.mark.parametrize("locale", LOCALES)
def test_each_locale_set_covers_every_intent_with_enough_utterances(locale: str) -> None:
    counts = intent_counts(SET_DIR, locale)
    assert sum(counts.values()) >= 210
    assert set(counts) == {*PRODUCT_INTENTS, *BUILTIN_INTENTS, "Fallback"}
    assert counts["ShareProgram"] >= 15
    assert counts["SendInvite"] >= 15
    assert min(counts[name] for name in PRODUCT_INTENTS) >= 8
    assert min(counts[name] for name in BUILTIN_INTENTS) >= 5
    assert counts["Fallback"] >= 55


@pytest.mark.parametrize("locale", LOCALES)
def test_each_in_context_answer_names_its_question(locale: str) -> None:
    answers, contexts = in_context(SET_DIR, locale)
    assert answers >= 50
    assert contexts == CONTEXTS
