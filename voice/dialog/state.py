"""What the dialog carries between turns in the platform's session attributes.

Everything is plain JSON (Alexa session attributes, Dialogflow context parameters, Alice
session_state all take JSON objects), and small: one pending question and the last speech."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voice.turn import Digits, Pause, Phone, Say, ScreenRemark, Segment, Speech, Spell

# Pending questions the next answer is about.
AWAIT_FRIEND_CONTACT = "friend_contact"
AWAIT_FRIEND_CONFIRM = "friend_confirm"
AWAIT_PAIR_CONTACT = "pair_contact"
AWAIT_PAIR_CODE = "pair_code"
AWAIT_OFFER_FRIEND = "offer_friend"
AWAIT_OFFER_SHARE = "offer_share"  # the launch offered the customer's own invite
AWAIT_REMINDER_DAY = "reminder_day"
AWAIT_REMINDER_CONFIRM = "reminder_confirm"
AWAIT_DIGEST_CONFIRM = "digest_confirm"
AWAIT_ERASE_CONFIRM = "erase_confirm"


@dataclass
class DialogState:
    awaiting: str | None = None
    after_pairing: str | None = None  # the intent to resume once the speaker is linked
    contact: dict[str, str] = field(default_factory=dict)  # {"kind": "phone"|"email", "value"}
    heard: str = ""  # the words the contact came from (consent evidence)
    retries: int = 0
    channel: str | None = None
    last: list[list[Any]] = field(default_factory=list)  # the last speech, for Repeat
    # What a yes/no question is about (reminder weekday, digest mode), small strings only.
    pending: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_session(cls, attributes: dict[str, Any] | None) -> DialogState:
        raw = (attributes or {}).get("dialog") or {}
        if not isinstance(raw, dict):
            return cls()
        return cls(
            awaiting=_str_or_none(raw.get("awaiting")),
            after_pairing=_str_or_none(raw.get("after_pairing")),
            contact={k: str(v) for k, v in (raw.get("contact") or {}).items()}
            if isinstance(raw.get("contact"), dict) else {},
            heard=str(raw.get("heard") or "")[:500],
            retries=int(raw.get("retries") or 0) if str(raw.get("retries") or 0).isdigit() else 0,
            channel=_str_or_none(raw.get("channel")),
            last=_list_of_lists(raw.get("last")),
            pending={str(k)[:32]: str(v)[:500] for k, v in (raw.get("pending") or {}).items()}
            if isinstance(raw.get("pending"), dict) else {},
        )

    def to_session(self) -> dict[str, Any]:
        return {"dialog": {
            "awaiting": self.awaiting, "after_pairing": self.after_pairing,
            "contact": self.contact, "heard": self.heard, "retries": self.retries,
            "channel": self.channel, "last": self.last, "pending": self.pending,
        }}

    def clear(self) -> None:
        self.awaiting = self.after_pairing = self.channel = None
        self.contact, self.heard, self.retries, self.pending = {}, "", 0, {}


def _str_or_none(value: Any) -> str | None:
    return str(value) if value else None


def dump_speech(speech: Speech) -> list[list[Any]]:
    out: list[list[Any]] = []
    for seg in speech.segments:
        if isinstance(seg, ScreenRemark):
            continue  # Repeat shows no image, so it must not talk about one
        if isinstance(seg, Say):
            out.append(["say", seg.text])
        elif isinstance(seg, Digits):
            out.append(["digits", list(seg.groups)])
        elif isinstance(seg, Spell):
            out.append(["spell", seg.chars])
        elif isinstance(seg, Pause):
            out.append(["pause", seg.ms])
    return out


def load_speech(raw: list[list[Any]]) -> Speech:
    segments: list[Segment] = []
    for item in raw or []:
        if not isinstance(item, list) or len(item) != 2:
            continue
        kind, value = item
        if kind == "say":
            segments.append(Say(str(value)))
        elif kind == "digits" and isinstance(value, list):
            segments.append(Digits(tuple(str(v) for v in value)))
        elif kind == "spell":
            segments.append(Spell(str(value)))
        elif kind == "pause" and isinstance(value, int):
            segments.append(Pause(value))
        elif kind == "phone" and isinstance(value, str):
            segments.append(Phone(value))
    return Speech(tuple(segments))


def _list_of_lists(value: object) -> list[list[Any]]:
    """The last speech as the platform carried it back; anything else reads as none."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, list)]
