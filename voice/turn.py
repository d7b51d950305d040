"""The platform-neutral conversation contract: every adapter turns its platform's request
into a Turn and renders a Reply back; `voice.dialog` maps Turn -> Reply and knows no platform.

Speech is kept structured (segments), not as a string, so each platform renders it its own
way: SSML for Alexa and Dialogflow (voice.speech.to_ssml), Alice's TTS markup
(voice.speech.to_alice_tts), plain text for screens and logs (to_plain below)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import phonenumbers

# Whose voice users a turn comes from: an assistant's `speaker` in core.assistants, or
# "console" for the staff console's typed turns.
Assistant = str


class Intent(StrEnum):
    """The neutral intent names of voice/model/intents.yaml (a test keeps the two equal)
    and the two pseudo-intents for requests that are not intents. For comparing and
    dispatching: a Turn's intent is the plain str an adapter made, equal to its member."""

    LAUNCH = "Launch"
    SESSION_ENDED = "SessionEnded"
    CANCEL = "Cancel"
    DELETE_MY_DATA = "DeleteMyData"
    EXPLAIN_PROGRAM = "ExplainProgram"
    FALLBACK = "Fallback"
    HELP = "Help"
    LINK_ACCOUNT = "LinkAccount"
    LIST_REMINDERS = "ListReminders"
    MY_REFERRALS = "MyReferrals"
    NAVIGATE_HOME = "NavigateHome"
    NO = "No"
    PROVIDE_CODE = "ProvideCode"
    PROVIDE_CONTACT = "ProvideContact"
    REPEAT = "Repeat"
    REWARD_BALANCE = "RewardBalance"
    SEND_INVITE = "SendInvite"
    SET_REMINDER = "SetReminder"
    SHARE_PROGRAM = "ShareProgram"
    STOP = "Stop"
    STOP_DIGEST = "StopDigest"
    STOP_REMINDERS = "StopReminders"
    SUBSCRIBE_DIGEST = "SubscribeDigest"
    SUBSCRIBE_DIGEST_ON_NEWS = "SubscribeDigestOnNews"
    WHAT_CAN_YOU_DO = "WhatCanYouDo"
    YES = "Yes"


# Plain str on purpose: the adapters put them into Turns next to platform names, and they
# travel on as data (the console's YAML export takes only exact str).
LAUNCH: str = Intent.LAUNCH.value
SESSION_ENDED: str = Intent.SESSION_ENDED.value


@dataclass(frozen=True)
class Say:
    """Text to speak; may contain untrusted values (shop and customer names): renderers
    escape it."""

    text: str


@dataclass(frozen=True)
class ScreenRemark(Say):
    """Words about what the screen shows ("Your QR code is on the screen"): spoken only in
    an answer that carries the image (the adapter drops them when its card, APL document or
    rich content has no image) and never repeated by Repeat, which shows nothing."""


@dataclass(frozen=True)
class Digits:
    """Digits read one by one (a code's digits, a phone number), in the given groups."""

    groups: tuple[str, ...]


@dataclass(frozen=True)
class Spell:
    """Characters spelled one by one (an email read back, a letters-only code)."""

    chars: str


@dataclass(frozen=True)
class Pause:
    ms: int = 300


@dataclass(frozen=True)
class Phone:
    """A phone number (E.164) read back the way people say it: with its country code, in
    the groups of its own country ("+7 916 123-45-67", "+1 415-555-0199")."""

    e164: str

    @property
    def shown(self) -> str:
        try:
            number = phonenumbers.parse(self.e164)
        except phonenumbers.NumberParseException:
            return self.e164
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


Segment = Say | Digits | Spell | Pause | Phone
_PUNCTUATION = (",", ".", "!", "?", ";", ":")


@dataclass(frozen=True)
class Speech:
    segments: tuple[Segment, ...] = ()

    def __add__(self, other: Speech) -> Speech:
        return Speech(self.segments + other.segments)

    @classmethod
    def of(cls, *parts: Segment | str) -> Speech:
        return cls(tuple(Say(p) if isinstance(p, str) else p for p in parts))

    def to_plain(self) -> str:
        out: list[str] = []
        for seg in self.segments:
            if isinstance(seg, Say):
                out.append(seg.text)
            elif isinstance(seg, Digits):
                out.append(" ".join(seg.groups))
            elif isinstance(seg, Spell):
                out.append(seg.chars)
            elif isinstance(seg, Phone):
                out.append(seg.shown)
        text = ""
        for part in (p.strip() for p in out if p.strip()):
            text += part if not text or part.startswith(_PUNCTUATION) else " " + part
        return text

    def __bool__(self) -> bool:
        return bool(self.segments)

    def for_screen(self, image_shown: bool) -> Speech:
        """This speech as said in an answer that does (or does not) show its image."""
        if image_shown:
            return self
        return Speech(tuple(s for s in self.segments if not isinstance(s, ScreenRemark)))


class DeviceReminderStatus(StrEnum):
    CREATED = "created"
    NO_PERMISSION = "no_permission"  # the customer has not allowed it for the skill yet
    FAILED = "failed"


@dataclass(frozen=True)
class DeviceReminder:
    status: DeviceReminderStatus
    token: str | None = None  # the platform's handle, to delete it later


class DeviceReminders(Protocol):
    """Capability: a weekly reminder on the customer's own device (Alexa's chime)."""

    permission: str  # what the permissions card asks for when NO_PERMISSION

    def create(self, *, weekday: int, local_time: str, timezone: str, locale: str, text: str,
               first: datetime, now: datetime) -> DeviceReminder: ...

    def delete(self, token: str) -> bool: ...


@dataclass(frozen=True)
class ContactLookup:
    """Capability: the phone or email the customer shared with their assistant (Alexa's
    Customer Profile API); `permissions` are asked for when it gives nothing."""

    lookup: Callable[[], dict[str, str] | None]
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class Capabilities:
    """What this request's device and platform can do beyond speaking; the dialog asks
    here and never imports a platform."""

    device_reminders: DeviceReminders | None = None
    contact_lookup: ContactLookup | None = None


@dataclass
class Turn:
    assistant: Assistant
    locale: str  # BCP 47, e.g. en-US, de-DE, ru-RU
    shop_slug: str
    voice_user_id: str | None
    intent: str  # neutral intent name from voice/model, or LAUNCH / SESSION_ENDED
    slots: dict[str, str] = field(default_factory=dict)
    utterance: str = ""
    session: dict[str, Any] = field(default_factory=dict)  # attributes carried between turns
    new_session: bool = False
    has_screen: bool = False
    # Platform facts for logs and the adapter's own answer ({"request_id": ..., "kind": "es"}).
    platform: dict[str, Any] = field(default_factory=dict)
    capabilities: Capabilities = field(default_factory=Capabilities)


@dataclass
class Reply:
    speech: Speech
    reprompt: Speech | None = None
    card_title: str | None = None
    card_text: str | None = None
    image_url: str | None = None  # the QR as PNG, for screens
    link_url: str | None = None  # the invite link (Alice button, Dialogflow card button)
    end_session: bool = False
    elicit_slot: str | None = None  # the one value asked for (Alexa: Dialog.ElicitSlot)
    confirm_slot: str | None = None  # the value read back for a yes/no (Dialog.ConfirmSlot)
    session: dict[str, Any] = field(default_factory=dict)
    ask_permissions: tuple[str, ...] = ()  # e.g. Alexa profile permissions to request
    message_ids: list[int] = field(default_factory=list)  # outbox rows this turn queued
    intent: str = ""  # what the dialog handled (for logs and the console)
