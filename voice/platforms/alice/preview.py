"""How the program editor's preview shows Alice saying the terms: her TTS markup and the
text on the screen."""

from __future__ import annotations

from voice.speech import ALICE_MAX_TEXT, to_alice_tts, truncate
from voice.turn import Speech


def blocks(speech: Speech) -> list[dict[str, str]]:
    """(key, title, element id, text) of each thing the preview shows."""
    text = truncate(speech.to_plain().replace("\xa0", " "), ALICE_MAX_TEXT) or "…"
    return [{"key": "alice_tts", "title": "Alice (TTS)", "id": "pv-alice",
             "text": to_alice_tts(speech)},
            {"key": "alice_text", "title": "Alice (text on screen)", "id": "pv-alice-text",
             "text": text}]
