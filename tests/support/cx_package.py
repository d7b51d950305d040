"""Reading a Dialogflow CX JSON package with the dialogflowcx_v3 messages."""

from __future__ import annotations

from typing import Any


def without_message_languages(document: Any) -> Any:
    """The document with each fulfillment message's languageCode checked and taken off: the
    JSON package keeps every language's messages in one file, each marked with its
    language, beside the ResponseMessage's own fields (as with training phrases)."""
    if isinstance(document, list):
        return [without_message_languages(item) for item in document]
    if not isinstance(document, dict):
        return document
    out = {key: without_message_languages(value) for key, value in document.items()}
    for message in out.get("messages", []) if isinstance(out.get("messages"), list) else []:
        assert message.pop("languageCode") in {"en", "de", "ru"}, message
    return out
