"""The fourth blind NLU sets stay byte-for-byte as written.

They were written by a helper (B4) who never saw the model's samples, the understanding code or
the earlier sets, and they are measured once, at the end of the session; editing them (to match
the model, or to add what it misses) would make that figure meaningless. The digests are written
here and in SHA256SUMS so that changing a file and its SHA256SUMS line together still fails.
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


@pytest.mark.parametrize("name", sorted(FROZEN_DIGESTS))
def test_blind4_file_is_unchanged(name: str) -> None:
    assert sha256(SET_DIR / name) == FROZEN_DIGESTS[name], (
        f"tests/nlu_blind4/{name} changed: these sets are frozen (see tests/nlu_blind4/README.md)"
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
