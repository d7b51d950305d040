"""What every frozen blind NLU set's test reads: the digests of its files, the digests its
SHA256SUMS lists, how many utterances each intent has, and the questions its in-context answers
follow. Each set's test keeps its own digests and minimums; this holds the reading of them."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import yaml

PRODUCT_INTENTS = ("ShareProgram", "SendInvite", "ProvideContact", "ProvideCode",
                   "ExplainProgram", "MyReferrals", "RewardBalance", "LinkAccount",
                   "SetReminder", "StopReminders", "ListReminders", "SubscribeDigest",
                   "SubscribeDigestOnNews", "StopDigest", "DeleteMyData")
BUILTIN_INTENTS = ("Help", "WhatCanYouDo", "Stop", "Cancel", "Repeat", "NavigateHome", "Yes",
                   "No")
CONTEXTS = frozenset({"readback", "ask_contact", "ask_code", "ask_weekday", "erase_confirm",
                      "subscribe_confirm"})
LOCALES = ("en-US", "de-DE", "ru-RU")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listed_digests(set_dir: Path) -> dict[str, str]:
    """The file -> digest lines of the set's SHA256SUMS."""
    listed = {}
    for line in (set_dir / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name.strip()] = digest
    return listed


def _read(path: Path, locale: str) -> list[dict[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["locale"] == locale
    return list(data["utterances"])


def intent_counts(set_dir: Path, locale: str) -> Counter[str]:
    """Utterances per intent in the set's one-shot file of `locale`."""
    return Counter(u["intent"] for u in _read(set_dir / f"{locale}.yaml", locale))


def in_context(set_dir: Path, locale: str) -> tuple[int, set[str]]:
    """How many in-context answers the set has for `locale`, and the questions they follow."""
    answers = _read(set_dir / f"{locale}-in-context.yaml", locale)
    return len(answers), {u["context"] for u in answers}
