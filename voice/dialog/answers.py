"""What an answer means given the question it answers: "friday" after "on which day?" is a
weekday, "four one five …" after "what's your friend's number?" is that contact.

One function, used by the router to read a pending question's answer and by `nlu-eval` to
measure short answers in their context (the `context:` key of a held-out file), so the
figure measures what the dialog does. Pure: no database, no speech."""

from __future__ import annotations

from dataclasses import dataclass, field

from core import reminders
from voice.dialog.slots import parse_contact, parse_pin
from voice.dialog.state import (
    AWAIT_DIGEST_CONFIRM,
    AWAIT_ERASE_CONFIRM,
    AWAIT_FRIEND_CONFIRM,
    AWAIT_FRIEND_CONTACT,
    AWAIT_OFFER_FRIEND,
    AWAIT_OFFER_SHARE,
    AWAIT_PAIR_CODE,
    AWAIT_PAIR_CONTACT,
    AWAIT_REMINDER_CONFIRM,
    AWAIT_REMINDER_DAY,
)
from voice.nlu import topics
from voice.nlu.understanding import FILLERS, normalize
from voice.nlu.weekdays import weekday_in
from voice.turn import Intent

# The held-out files' names for the questions (tests/nlu_blind/README.md) -> dialog state.
CONTEXTS = {
    "readback": AWAIT_FRIEND_CONFIRM,
    "ask_contact": AWAIT_FRIEND_CONTACT,
    "ask_code": AWAIT_PAIR_CODE,
    "ask_weekday": AWAIT_REMINDER_DAY,
    "erase_confirm": AWAIT_ERASE_CONFIRM,
    "subscribe_confirm": AWAIT_DIGEST_CONFIRM,
}
YES_NO_QUESTIONS = frozenset({AWAIT_FRIEND_CONFIRM, AWAIT_ERASE_CONFIRM, AWAIT_DIGEST_CONFIRM,
                              AWAIT_REMINDER_CONFIRM, AWAIT_OFFER_FRIEND, AWAIT_OFFER_SHARE})
CONTACT_QUESTIONS = frozenset({AWAIT_FRIEND_CONTACT, AWAIT_PAIR_CONTACT})
# At a yes/no question, these read from a negated sentence are its no: a yes, nothing
# understood, a cancel said as a negated verb ("nicht abschicken"; "never mind" stays a
# cancel) or a request to do what the question offers ("dont send it" -> SendInvite).
NEGATABLE = frozenset({Intent.YES, Intent.FALLBACK, Intent.CANCEL, Intent.SHARE_PROGRAM,
                       Intent.SEND_INVITE, Intent.SET_REMINDER, Intent.SUBSCRIBE_DIGEST,
                       Intent.SUBSCRIBE_DIGEST_ON_NEWS, Intent.DELETE_MY_DATA,
                       Intent.WHAT_CAN_YOU_DO, Intent.HELP, Intent.REPEAT})


# What a yes/no question's answer leaves the conversation with (never read as a day).
_LEAVING = frozenset({Intent.STOP, Intent.CANCEL, Intent.NO, Intent.NAVIGATE_HOME,
                      Intent.STOP_REMINDERS})
# Readings an opening "yes"/"no" overrides at a yes/no question.
_WEAKER_THAN_AN_ANSWER = frozenset({Intent.FALLBACK, Intent.CANCEL, Intent.HELP,
                                    Intent.WHAT_CAN_YOU_DO, Intent.REPEAT})


@dataclass(frozen=True)
class Answer:
    """The answer as the dialog takes it: an intent and the values it carries."""

    intent: str
    slots: dict[str, str] = field(default_factory=dict)


def read_answer(awaiting: str | None, intent: str, slots: dict[str, str], utterance: str,
                locale: str, *, allow_fictional: bool = True) -> Answer:
    """`intent`/`slots` as understood without context, read as the answer to `awaiting`."""
    if awaiting in CONTACT_QUESTIONS and intent in (Intent.PROVIDE_CONTACT, Intent.SEND_INVITE,
                                                   Intent.FALLBACK):
        contact = parse_contact(slots, utterance, locale, allow_fictional=allow_fictional)
        if contact is None:
            return Answer(Intent.FALLBACK)
        return Answer(Intent.PROVIDE_CONTACT, {contact.kind: contact.value})
    if awaiting == AWAIT_PAIR_CODE and intent in (Intent.PROVIDE_CODE, Intent.PROVIDE_CONTACT,
                                                 Intent.FALLBACK):
        pin = parse_pin(slots, utterance)
        return Answer(Intent.PROVIDE_CODE, {"pin": pin}) if pin else Answer(Intent.FALLBACK)
    if awaiting == AWAIT_REMINDER_DAY and intent not in _LEAVING and \
            weekday_in(slots.get("weekday", "") or utterance, locale) is not None:
        # "maybe thursday", «может в четверг»: a day said is the answer, whatever else
        day = weekday_in(slots.get("weekday", "") or utterance, locale)
        return Answer(Intent.SET_REMINDER, {"weekday": reminders.WEEKDAYS[day or 0]})
    if awaiting == AWAIT_REMINDER_DAY and intent in (Intent.SET_REMINDER, Intent.FALLBACK):
        day = weekday_in(slots.get("weekday", "") or utterance, locale)
        if day is None:
            return Answer(Intent.FALLBACK)
        return Answer(Intent.SET_REMINDER, {"weekday": reminders.WEEKDAYS[day]})
    if awaiting == AWAIT_FRIEND_CONFIRM and intent in (
            Intent.PROVIDE_CONTACT, Intent.SEND_INVITE) and (slots.get("phone")
                                                             or slots.get("email")):
        contact = parse_contact(slots, utterance, locale, allow_fictional=allow_fictional)
        if contact is not None:
            return Answer(Intent.PROVIDE_CONTACT, {contact.kind: contact.value})
    if awaiting in YES_NO_QUESTIONS and topics.hesitates(_words(utterance),
                                                         locale.split("-")[0]):
        # "hmm let me think", «не знаю», "weiß nicht": no answer yet — asked again
        return Answer(Intent.FALLBACK)
    if awaiting in YES_NO_QUESTIONS and intent in _WEAKER_THAN_AN_ANSWER:
        # "no i changed my mind", "ja ich bin sicher", «да я уверена»: the opening word
        # answers the question when the rest was not understood (or read as a generic
        # request for help); anything else stays unrecognised (re-asked).
        language = locale.split("-")[0]
        opening = topics.opening_answer(_words(utterance), language)
        if opening is not None:
            return Answer(opening)
    if awaiting in YES_NO_QUESTIONS and intent in (Intent.STOP_DIGEST, Intent.STOP_REMINDERS) \
            and topics.opening_answer(_words(utterance), locale.split("-")[0]) == "No":
        return Answer(Intent.NO)  # "no, no digests" when the digest is offered: a no
    if awaiting in YES_NO_QUESTIONS and intent in NEGATABLE and topics.is_negated(
            _words(utterance), locale.split("-")[0], cancelling=intent == Intent.CANCEL):
        # "dont send it", "please dont", «не стоит», "nicht abschicken": a negated answer
        # is a no — never a yes, and never a new request to do the thing refused.
        return Answer(Intent.NO)
    return Answer(intent, dict(slots))


def _words(utterance: str) -> list[str]:
    return [w for w in normalize(utterance).split() if w not in FILLERS]
