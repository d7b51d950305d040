"""Flow 5 as use cases: link an unknown voice user to a shop customer by a one-time code.

They give a phone number or email; a 6-digit code goes there through the outbox; they say it
back (3 tries, 10 minutes). Only then is the identity linked and the address confirmed, so
marketing never reaches an address nobody proved they own. Rate-limited per voice user and
per address, since anyone can say anyone's number."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import speakers
from core.contacts import canonical_email
from core.hashing import keyed_hash
from core.messaging import outbox
from core.messaging.purpose import Purpose
from core.models import Customer, PairingChallenge, Shop, VoiceIdentity
from core.services import Services

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 3
MAX_CHALLENGES_PER_HOUR = 3


class RequestStatus(StrEnum):
    SENT = "sent"
    RATE_LIMITED = "rate_limited"


class VerifyStatus(StrEnum):
    LINKED = "linked"
    EXPIRED = "expired"  # no open challenge, too old, or out of tries: start again
    NEEDS_PIN = "needs_pin"  # nothing that reads as the six digits was said
    WRONG = "wrong"  # not the code; `tries_left` more
    LOCKED = "locked"  # not the code, and that was the last try


@dataclass(frozen=True)
class Voice:
    """The voice user asking: which assistant, their id there, what they said."""

    assistant: str
    user_id: str
    locale: str
    utterance: str = ""


@dataclass(frozen=True)
class CodeRequestOutcome:
    status: RequestStatus
    channel: str = ""
    message_id: int | None = None


@dataclass(frozen=True)
class VerifyOutcome:
    status: VerifyStatus
    customer: Customer | None = None
    tries_left: int = 0


def _code_hash(services: Services, challenge_id: int, pin: str) -> str:
    return keyed_hash(services.settings.hash_key, f"pairing:{challenge_id}:{pin}")


def _recent_challenges(session: Session, shop: Shop, since: datetime, *conditions: object,
                       ) -> int:
    return session.scalar(select(func.count(PairingChallenge.id)).where(
        PairingChallenge.shop_id == shop.id, PairingChallenge.created_at >= since,
        *conditions)) or 0  # type: ignore[arg-type]


def request_code(session: Session, services: Services, *, shop: Shop, voice: Voice,
                 contact_kind: str, address: str, from_profile: bool = False,
                 ) -> CodeRequestOutcome:
    """Queue a one-time code to `address` (an E.164 phone or a normalized email)."""
    now = services.clock()
    hour_ago = now - timedelta(hours=1)
    by_user = _recent_challenges(session, shop, hour_ago,
                                 PairingChallenge.assistant == voice.assistant,
                                 PairingChallenge.assistant_user_id == voice.user_id)
    by_address = _recent_challenges(session, shop, hour_ago,
                                    PairingChallenge.address == address)
    if by_user >= MAX_CHALLENGES_PER_HOUR or by_address >= MAX_CHALLENGES_PER_HOUR:
        return CodeRequestOutcome(RequestStatus.RATE_LIMITED)
    pin = f"{secrets.randbelow(10**6):06d}"
    channel = "sms" if contact_kind == "phone" else "email"
    challenge = PairingChallenge(
        shop_id=shop.id, assistant=voice.assistant, assistant_user_id=voice.user_id,
        channel=channel, address=address, code_hash="", expires_at=now + CODE_TTL,
        created_at=now)
    session.add(challenge)
    session.flush()
    challenge.code_hash = _code_hash(services, challenge.id, pin)
    message = outbox.enqueue(
        session, hash_key=services.settings.hash_key, shop_id=shop.id, now=now,
        kind="pairing_code", purpose=Purpose.TRANSACTIONAL, channel=channel, recipient=address,
        idempotency_key=f"pairing:{challenge.id}", locale=voice.locale,
        context={"pairing_code": pin, "shop_name": shop.name},
        evidence={"assistant": voice.assistant, "at": now.isoformat(),
                  "utterance": voice.utterance, "from_profile": from_profile,
                  "confirmed": False})
    session.flush()
    return CodeRequestOutcome(RequestStatus.SENT, channel, message.id)


def verify_code(session: Session, services: Services, *, shop: Shop, voice: Voice,
                pin: str | None) -> VerifyOutcome:
    """Check the spoken code against the voice user's open challenge; on a match, link the
    voice identity to the customer with that address (made if new) and confirm it."""
    now = services.clock()
    challenge = session.scalar(
        select(PairingChallenge)
        .where(PairingChallenge.shop_id == shop.id,
               PairingChallenge.assistant == voice.assistant,
               PairingChallenge.assistant_user_id == voice.user_id,
               PairingChallenge.verified_at.is_(None))
        .order_by(PairingChallenge.id.desc()).limit(1).with_for_update())
    if challenge is None or challenge.expires_at <= now or challenge.attempts >= MAX_TRIES:
        return VerifyOutcome(VerifyStatus.EXPIRED)
    if pin is None:
        return VerifyOutcome(VerifyStatus.NEEDS_PIN)
    challenge.attempts += 1
    if not hmac.compare_digest(challenge.code_hash, _code_hash(services, challenge.id, pin)):
        left = MAX_TRIES - challenge.attempts
        return VerifyOutcome(VerifyStatus.LOCKED if left <= 0 else VerifyStatus.WRONG,
                             tries_left=max(left, 0))
    challenge.verified_at = now
    return VerifyOutcome(VerifyStatus.LINKED, _link(session, shop, voice, challenge, now))


def _link(session: Session, shop: Shop, voice: Voice, challenge: PairingChallenge,
          now: datetime) -> Customer:
    """The customer with this address, or a new one; the address is now confirmed."""
    if challenge.channel == "sms":
        customer = session.scalar(select(Customer).where(
            Customer.shop_id == shop.id, Customer.phone == challenge.address))
    else:
        customer = session.scalar(select(Customer).where(
            Customer.shop_id == shop.id,
            Customer.email_canonical == canonical_email(challenge.address)))
    if customer is None:
        customer = Customer(shop_id=shop.id, name="", locale=voice.locale)
        session.add(customer)
    if challenge.channel == "sms":
        customer.phone, customer.phone_confirmed_at = challenge.address, now
    else:
        customer.email = challenge.address
        customer.email_canonical = canonical_email(challenge.address)
        customer.email_confirmed_at = now
    session.flush()
    identity = session.scalar(select(VoiceIdentity).where(
        VoiceIdentity.shop_id == shop.id, VoiceIdentity.assistant == voice.assistant,
        VoiceIdentity.assistant_user_id == challenge.assistant_user_id))
    if identity is None:
        identity = VoiceIdentity(shop_id=shop.id, assistant=voice.assistant,
                                 assistant_user_id=challenge.assistant_user_id,
                                 customer_id=customer.id)
        session.add(identity)
    identity.customer_id, identity.linked_at = customer.id, now
    session.flush()
    return customer


def customer_for_voice(session: Session, shop_id: int, assistant: str,
                       voice_user_id: str | None) -> Customer | None:
    """The customer this voice user was linked to at this shop, if any (read FOR KEY SHARE,
    see core.speakers, which reads their code with them)."""
    found = speakers.speaker(session, shop_id, assistant, voice_user_id)
    return found.customer if found is not None else None
