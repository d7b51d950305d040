"""How the program editor's preview shows Salute saying the terms: its SSML and the bubble."""

from __future__ import annotations

from voice.platforms.salute.adapter import MAX_BUBBLE, to_ssml
from voice.speech import truncate
from voice.turn import Speech


def blocks(speech: Speech) -> list[dict[str, str]]:
    return [{"key": "salute_ssml", "title": "Salute (SSML)", "id": "pv-salute",
             "text": to_ssml(speech)},
            {"key": "salute_bubble", "title": "Salute (bubble on screen)",
             "id": "pv-salute-bubble",
             "text": truncate(" ".join(speech.to_plain().split()), MAX_BUBBLE)}]
