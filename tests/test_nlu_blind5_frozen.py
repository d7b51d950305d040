"""The fifth blind NLU sets stay byte-for-byte as written.

They were written by helper B5 who never saw the model's samples, paraphrases or the earlier sets,
and are measured once at the end of the session; editing them (to match the model, or to add what
it misses) would make every figure on them meaningless. The digests are written here and in
SHA256SUMS so that changing a file and its SHA256SUMS line together still fails.
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


@pytest.mark.parametrize("name", sorted(FROZEN_DIGESTS))
def test_blind5_file_is_unchanged(name: str) -> None:
    assert sha256(SET_DIR / name) == FROZEN_DIGESTS[name], (
        f"tests/nlu_blind5/{name} changed: these sets are frozen (see tests/nlu_blind5/README.md)"
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
