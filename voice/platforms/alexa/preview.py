"""How the program editor's preview shows Alexa saying the terms."""

from __future__ import annotations

from voice.speech import to_ssml
from voice.turn import Speech


def blocks(speech: Speech) -> list[dict[str, str]]:
    """(key, title, element id, text) of each thing the preview shows."""
    return [{"key": "alexa_ssml", "title": "Alexa (SSML)", "id": "pv-alexa",
             "text": to_ssml(speech)}]
