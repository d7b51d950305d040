"""Why a message is sent decides when it may go.

Transactional: one-time codes and what the customer just asked for and is waiting on (their
own invite, a staff account mail, a reward they earned): sent at once, any hour; the speaker
has just said "I've sent a code" and the code expires in minutes. Marketing: invites to
friends, digests, reminders: consent, quiet hours and caps apply. A kind this table does not
know is marketing, the side that waits."""

from __future__ import annotations

from enum import StrEnum


class Purpose(StrEnum):
    TRANSACTIONAL = "transactional"
    MARKETING = "marketing"


KIND_PURPOSE: dict[str, Purpose] = {
    "pairing_code": Purpose.TRANSACTIONAL,
    "invite_self": Purpose.TRANSACTIONAL,
    "reward_notice": Purpose.TRANSACTIONAL,
    "staff_verify": Purpose.TRANSACTIONAL,
    "staff_reset": Purpose.TRANSACTIONAL,
    "staff_invite": Purpose.TRANSACTIONAL,
    "store_data_request": Purpose.TRANSACTIONAL,
    "invite_friend": Purpose.MARKETING,
    "digest": Purpose.MARKETING,
    "reminder": Purpose.MARKETING,
}


def purpose_of(kind: str) -> Purpose:
    return KIND_PURPOSE.get(kind, Purpose.MARKETING)
