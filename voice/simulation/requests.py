"""Genuine platform requests built from a neutral description, and the facts read back from
the platform's answer. Used by `simulate`, the console and the YAML conversation tests, so
all of them exercise the same webhook code the assistants call."""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.assistants import VARIANTS, of_variant

PLATFORMS = VARIANTS  # what the simulator offers: core.assistants' variants
# The webhook each variant's requests go to ({shop}, and {token} where the URL has one).
ENDPOINTS = {key: of_variant(key).path.replace("{slug}", "{shop}") for key in VARIANTS}


@dataclass
class Utterance:
    """What the person said and what the assistant's own NLU would have made of it."""

    text: str
    intent: str
    slots: dict[str, str] = field(default_factory=dict)


@dataclass
class Conversation:
    platform: str
    shop: str
    locale: str
    user_id: str
    skill_id: str = ""
    screen: bool = False
    session_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: Any = None  # what the platform carries: attributes / context / parameters
    turns: int = 0
    path_token: str = ""  # the secret last segment of the webhook URL, where it has one


def _module(conv: Conversation) -> Any:
    from voice.platforms import of_variant_module

    return of_variant_module(conv.platform, "simulate")


def build(conv: Conversation, said: Utterance, now: datetime) -> dict[str, Any]:
    """The request the assistant would send (voice/platforms/<name>/simulate.py)."""
    body: dict[str, Any] = _module(conv).build(conv, said, now)
    conv.turns += 1
    return body


def headers(conv: Conversation, raw: bytes, keys: Any, services: Any) -> dict[str, str]:
    """How the assistant would authenticate `raw`, with the sandbox's `keys`."""
    made: dict[str, str] = _module(conv).headers(conv, raw, keys, services)
    return made


# --- reading the answer back ------------------------------------------------------------

@dataclass
class Answer:
    speech: str  # what a person hears, as text
    markup: str  # SSML (Alexa, Dialogflow) or Alice TTS
    end_session: bool
    card: dict[str, Any] | None
    image: str | None
    link: str | None


def read(conv: Conversation, response: dict[str, Any]) -> Answer:
    """Also stores what the platform would carry into the next turn."""
    answer: Answer = _module(conv).read(conv, response)
    return answer


def plain(ssml: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", " ", ssml)).replace("\xa0", " ")
    return re.sub(r"\s+([,.!?])", r"\1", " ".join(text.split()))


def link_in(text: str) -> str | None:
    match = re.search(r"https?://\S+", text)
    return match.group(0) if match else None
