"""How the program editor's preview shows Dialogflow's text answer to the terms."""

from __future__ import annotations

from voice.platforms.dialogflow.adapter import ES_MAX_TEXT
from voice.speech import truncate
from voice.turn import Speech


def blocks(speech: Speech) -> list[dict[str, str]]:
    """(key, title, element id, text) of each thing the preview shows."""
    return [{"key": "dialogflow_text", "title": "Dialogflow (text)", "id": "pv-dialogflow",
             "text": truncate(speech.to_plain().replace("\xa0", " "), ES_MAX_TEXT)}]
