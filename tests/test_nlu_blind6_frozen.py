"""The sixth blind NLU sets stay byte-for-byte as written.

They were written by helper B6, who never saw the model's samples, paraphrases or the earlier
sets, and are measured once at the end of the session; editing them (to match the model, or to add
what it misses) would make every later figure on them meaningless. The digests are written here
and in SHA256SUMS so that changing a file and its SHA256SUMS line together still fails.
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

SET_DIR = Path(__file__).parent / "nlu_blind6"

FROZEN_DIGESTS = {
    "en-US.yaml": "fe06d890d6835783e870c0aebf1a4c08500d65e2ec215e3011f3839724e34b2d",
    "de-DE.yaml": "265363aec09fcc1fb8e73c55206de8ab920f0aeb2ed4318209928552ca8cfade",
    "ru-RU.yaml": "53f7000e30196496ef9eadb6d6b9eed88b563ccd76ae8f5c24d17bc5b13051b0",
    "en-US-in-context.yaml": "79807f54656c45bad98e4a27be6a6a4fef2e341dceb0dddaf30cd3fdaf0b5344",
    "de-DE-in-context.yaml": "4d56c94789c3e36df294349ebc71a9295ad98afc2b48bb95f2e571e237d81870",
    "ru-RU-in-context.yaml": "29dbe581516d009b5f8725125c8122da12eaf7a02b70cd710ad9b2f32139cd66",
    "README.md": "8f867b906b691b33ff19ab0f8b216ac823afac021532c088c15f8a055dce2a7d",
}


@pytest.mark.parametrize("name", sorted(FROZEN_DIGESTS))
def test_blind6_file_is_unchanged(name: str) -> None:
    assert sha256(SET_DIR / name) == FROZEN_DIGESTS[name], (
        f"tests/nlu_blind6/{name} changed: these sets are frozen (see tests/nlu_blind6/README.md)"
    )


def test_sha256sums_lists_the_same_digests() -> None:
    assert listed_digests(SET_DIR) == FROZEN_DIGESTS


@pytest.mark.parametrize("locale", LOCALES)
def test_each_locale_set_covers_every_intent_with_enough_utterances(locale: str) -> None:
    counts = intent_counts(SET_DIR, locale)
    assert sum(counts.values()) >= 260
    assert set(counts) == {*PRODUCT_INTENTS, *BUILTIN_INTENTS, "Fallback"}
    assert counts["ShareProgram"] >= 18
    assert counts["SendInvite"] >= 18
    assert min(counts[name] for name in PRODUCT_INTENTS) >= 9
    assert min(counts[name] for name in BUILTIN_INTENTS) >= 6
    assert counts["Fallback"] >= 70


@pytest.mark.parametrize("locale", LOCALES)
def test_each_in_context_answer_names_its_question(locale: str) -> None:
    answers, contexts = in_context(SET_DIR, locale)
    assert answers >= 60
    assert contexts == CONTEXTS
