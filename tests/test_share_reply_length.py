"""Say less (issue 25): the share answer is the code first and what was sent, then one
question, with at most 25 words before the question in en, de and ru; a masked address
is never read aloud."""

from __future__ import annotations

import re
from typing import Any

import pytest

from core.services import Services
from fulfillment.app import create_app
from fulfillment.simulator.sandbox_keys import sandbox_keys
from tests.support.alexa import AlexaConversation

MAX_WORDS_BEFORE_QUESTION = 25
CODE_FIRST = {"en-US": "Your code is", "de-DE": "Ihr Code lautet", "ru-RU": "Ваш код:"}


def _plain(ssml: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", ssml)).strip()


def _before_question(text: str) -> str:
    """Everything before the last sentence when that sentence is a question."""
    sentences = re.split(r"(?<=[.!?])\s+", text)
    assert sentences[-1].endswith("?"), text
    return " ".join(sentences[:-1])


@pytest.mark.parametrize("locale", sorted(CODE_FIRST))
def test_the_share_answer_says_the_code_first_in_at_most_25_words_before_its_question(
        services: Services, demo: dict[str, Any], clock: Any, locale: str) -> None:
    client = create_app(services=services).test_client()
    keys = sandbox_keys(services)
    assert keys is not None
    talk = AlexaConversation(client=client, sign=keys.alexa_headers,
                             skill_id=demo["skill_ids"]["alexa"],
                             user_id=demo["voice_users"]["alexa"], clock=clock, locale=locale)
    talk.say("ShareProgram")
    text = _plain(talk.speech)
    assert text.startswith(CODE_FIRST[locale]), text
    words = [w for w in _before_question(text).split() if re.search(r"\w", w)]
    assert len(words) <= MAX_WORDS_BEFORE_QUESTION, (len(words), text)
    assert "*" not in text and "@" not in text
