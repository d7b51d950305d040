"""Rendering structured Speech for each platform.

Untrusted text (shop names like `AT&T <3`, customer names, an email read back) only ever
becomes escaped character data: the renderers build every tag themselves, and no value is
placed inside a tag or an attribute. Alexa's limits are enforced here, once."""

from __future__ import annotations

import re

from voice.turn import Digits, Pause, Phone, Say, Speech, Spell

ALEXA_MAX_SPEECH = 8000  # characters of SSML, <speak> included
ALICE_MAX_TTS = 1024
ALICE_MAX_TEXT = 1024
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                              "'": "&apos;"})
# Characters XML 1.0 forbids even when escaped; a name pasted from a spreadsheet may hold them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Alice's TTS markup gives meaning to + (stress), sil <[ms]>, and - / * in some voices.
_ALICE_SPECIAL = re.compile(r"[+<>\[\]*^#@\\|{}]")


def xml_text(text: str) -> str:
    """Character data safe anywhere between SSML tags."""
    return _XML_INVALID.sub("", text).translate(_XML_ESCAPES)


def _ssml_segment(seg: object) -> str:
    if isinstance(seg, Say):
        return xml_text(seg.text)
    if isinstance(seg, Digits):
        groups = [g for g in seg.groups if g]
        return '<break time="150ms"/>'.join(
            f'<say-as interpret-as="digits">{xml_text(g)}</say-as>' for g in groups
        )
    if isinstance(seg, Spell):
        return f'<say-as interpret-as="spell-out">{xml_text(seg.chars)}</say-as>'
    if isinstance(seg, Pause):
        return f'<break time="{max(0, min(int(seg.ms), 10_000))}ms"/>'
    if isinstance(seg, Phone):
        return f'<say-as interpret-as="telephone">{xml_text(seg.shown)}</say-as>'
    raise TypeError(f"unknown speech segment {seg!r}")


def _join(parts: list[str]) -> str:
    """Segments joined by a space, except before punctuation."""
    out = ""
    for part in parts:
        if not part:
            continue
        if out and not part.startswith((",", ".", "!", "?", ";", ":")):
            out += " "
        out += part
    return out


def ssml_body(speech: Speech) -> str:
    return _join([_ssml_segment(s) for s in speech.segments])


def to_ssml(speech: Speech, limit: int = ALEXA_MAX_SPEECH) -> str:
    """`<speak>...</speak>`, cut at a segment boundary if it would pass Alexa's limit."""
    parts: list[str] = []
    used = len("<speak></speak>")
    for seg in speech.segments:
        rendered = _ssml_segment(seg)
        if used + len(rendered) + 1 > limit:
            break
        parts.append(rendered)
        used += len(rendered) + 1
    return f"<speak>{_join(parts)}</speak>"


def alice_safe(text: str) -> str:
    """Untrusted text for Alice's TTS: her markup characters removed, not interpreted."""
    return re.sub(r"\s+", " ", _ALICE_SPECIAL.sub(" ", text)).strip()


def to_alice_tts(speech: Speech, limit: int = ALICE_MAX_TTS) -> str:
    parts: list[str] = []
    for seg in speech.segments:
        if isinstance(seg, Say):
            parts.append(alice_safe(seg.text))
        elif isinstance(seg, Digits):
            parts.append(" - ".join(" ".join(g) for g in seg.groups if g))
        elif isinstance(seg, Spell):
            parts.append(" ".join(alice_safe(seg.chars)))
        elif isinstance(seg, Pause):
            parts.append(f"sil <[{max(0, min(int(seg.ms), 5000))}]>")
        elif isinstance(seg, Phone):  # "плюс семь девятьсот шестнадцать сто двадцать три…"
            parts.append("плюс " + " ".join(re.findall(r"\d+", seg.shown)))
    text = ""
    for part in (p for p in parts if p):
        text += part if not text or part.startswith((",", ".", "!", "?")) else " " + part
    return truncate(text, limit)


def truncate(text: str, limit: int) -> str:
    """Cut at a word boundary with an ellipsis: Alice and Dialogflow refuse longer texts."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def to_display_text(speech: Speech, limit: int = ALICE_MAX_TEXT) -> str:
    """What a screen shows: digits grouped as spoken (`ALEX-0924 77` reads as it sounds)."""
    return truncate(speech.to_plain(), limit)
