"""Flow 5: link an unknown voice user to a shop customer by a spoken one-time code.

They say a phone number or email; a 6-digit code goes there through the outbox; they say it
back (3 tries, 10 minutes). Only then is the identity linked and the address confirmed, so
marketing never reaches an address nobody proved they own. Rate-limited per voice user and
per address, since anyone can say anyone's number."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select

from core.contacts import canonical_email, mask_email
from core.hashing import keyed_hash
from core.messaging import outbox
from core.models import Customer, PairingChallenge, VoiceIdentity
from voice.dialog.context import DialogContext
from voice.dialog.slots import Contact, parse_contact, parse_pin
from voice.dialog.state import AWAIT_PAIR_CODE, AWAIT_PAIR_CONTACT
from voice.turn import Reply, Speech

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 3
MAX_CHALLENGES_PER_HOUR = 3
PROFILE_PERMISSIONS = ("alexa::profile:mobile_number:read", "alexa::profile:email:read")


def _code_hash(ctx: DialogContext, challenge_key: str, pin: str) -> str:
    return keyed_hash(ctx.services.settings.hash_key, f"pairing:{challenge_key}:{pin}")


def start(ctx: DialogContext, resume_intent: str) -> Reply:
    """Ask who they are; on Alexa, try the Customer Profile API first when it was granted."""
    ctx.state.awaiting = AWAIT_PAIR_CONTACT
    ctx.state.after_pairing = resume_intent
    ctx.state.retries = 0
    lookup: Callable[[], dict[str, str] | None] | None = ctx.turn.platform.get("profile_lookup")
    permissions: tuple[str, ...] = ()
    if lookup is not None:
        profile = lookup()
        if profile and (profile.get("phone") or profile.get("email")):
            # A mobile number first: texts reach the speaker's owner sooner than email.
            key = "phone" if profile.get("phone") else "email"
            ctx.turn.slots = {key: profile[key]}
            ctx.turn.utterance = ""
            return contact_heard(ctx, from_profile=True)
        permissions = PROFILE_PERMISSIONS
    question = ctx._("What's your phone number or email address?")
    speech = Speech.of(ctx._("First I need to link this device to your account at %(shop)s.",
                             shop=ctx.shop.name), question)
    return ctx.ask(speech, Speech.of(question), elicit_slot="phone",
                   ask_permissions=permissions)


def contact_heard(ctx: DialogContext, *, from_profile: bool = False) -> Reply:
    contact = parse_contact(ctx.turn.slots, ctx.turn.utterance, ctx.turn.locale,
                            allow_fictional=ctx.services.settings.messaging_mode == "sandbox")
    if contact is None:
        ctx.state.retries += 1
        if ctx.state.retries >= 3:
            return ctx.tell(Speech.of(ctx._("Sorry, I couldn't get that. Please try again "
                                            "later.")))
        question = ctx._("Please say your phone number, or your email address.")
        return ctx.ask(Speech.of(ctx._("Sorry, I didn't catch a phone number or an email "
                                       "address."), question), Speech.of(question),
                       elicit_slot="phone")
    return _send_code(ctx, contact, from_profile)


def _send_code(ctx: DialogContext, contact: Contact, from_profile: bool) -> Reply:
    now = ctx.services.clock()
    assistant, user = ctx.assistant, ctx.turn.voice_user_id or ""
    hour_ago = now - timedelta(hours=1)
    by_user = ctx.session.scalar(select(func.count(PairingChallenge.id)).where(
        PairingChallenge.shop_id == ctx.shop.id, PairingChallenge.assistant == assistant,
        PairingChallenge.assistant_user_id == user, PairingChallenge.created_at >= hour_ago))
    by_address = ctx.session.scalar(select(func.count(PairingChallenge.id)).where(
        PairingChallenge.shop_id == ctx.shop.id, PairingChallenge.address == contact.value,
        PairingChallenge.created_at >= hour_ago))
    if (by_user or 0) >= MAX_CHALLENGES_PER_HOUR or (by_address or 0) >= MAX_CHALLENGES_PER_HOUR:
        return ctx.tell(Speech.of(ctx._("I've sent several codes already. Please try again in "
                                        "an hour.")), intent="LinkAccount:rate_limited")
    pin = f"{secrets.randbelow(10**6):06d}"
    channel = "sms" if contact.kind == "phone" else "email"
    challenge = PairingChallenge(
        shop_id=ctx.shop.id, assistant=assistant, assistant_user_id=user, channel=channel,
        address=contact.value, code_hash="", expires_at=now + CODE_TTL, created_at=now)
    ctx.session.add(challenge)
    ctx.session.flush()
    challenge.code_hash = _code_hash(ctx, str(challenge.id), pin)
    message = outbox.enqueue(
        ctx.session, hash_key=ctx.services.settings.hash_key, shop_id=ctx.shop.id,
                now=ctx.services.clock(),
        kind="pairing_code", channel=channel, recipient=contact.value,
        idempotency_key=f"pairing:{challenge.id}", locale=ctx.turn.locale,
        context={"pairing_code": pin, "shop_name": ctx.shop.name},
        evidence={"assistant": assistant, "at": now.isoformat(), "utterance":
                  ctx.turn.utterance, "from_profile": from_profile, "confirmed": False},
    )
    ctx.session.flush()
    ctx.state.awaiting = AWAIT_PAIR_CODE
    ctx.state.retries = 0
    where = (ctx._("the number ending in %(digits)s", digits=" ".join(contact.value[-4:]))
             if contact.kind == "phone" else mask_email(contact.value))
    question = ctx._("What is the six-digit code?")
    reply = ctx.ask(Speech.of(ctx._("I've sent a six-digit code to %(where)s.", where=where),
                              question), Speech.of(question), elicit_slot="pin")
    reply.message_ids = [message.id]
    return reply


def code_heard(ctx: DialogContext, resume: Callable[[DialogContext, Customer], Reply]) -> Reply:
    now = ctx.services.clock()
    challenge = ctx.session.scalar(
        select(PairingChallenge)
        .where(PairingChallenge.shop_id == ctx.shop.id,
               PairingChallenge.assistant == ctx.assistant,
               PairingChallenge.assistant_user_id == (ctx.turn.voice_user_id or ""),
               PairingChallenge.verified_at.is_(None))
        .order_by(PairingChallenge.id.desc()).limit(1).with_for_update()
    )
    if challenge is None or challenge.expires_at <= now or challenge.attempts >= MAX_TRIES:
        ctx.state.awaiting = AWAIT_PAIR_CONTACT
        question = ctx._("What's your phone number or email address?")
        return ctx.ask(Speech.of(ctx._("That code has expired. Let's start again."), question),
                       Speech.of(question))
    pin = parse_pin(ctx.turn.slots, ctx.turn.utterance)
    if pin is None:
        return ctx.ask(Speech.of(ctx._("Please say the six digits of the code.")),
                       elicit_slot="pin")
    challenge.attempts += 1
    if not hmac.compare_digest(challenge.code_hash, _code_hash(ctx, str(challenge.id), pin)):
        left = MAX_TRIES - challenge.attempts
        if left <= 0:
            return ctx.tell(Speech.of(ctx._("That's not the code I sent, and that was the last "
                                            "try. Please start again later.")))
        return ctx.ask(Speech.of(ctx._("That's not the code I sent."), ctx.ngettext(
            "You have %(num)s try left.", "You have %(num)s tries left.", left)),
            elicit_slot="pin")
    challenge.verified_at = now
    customer = _link(ctx, challenge)
    after, channel = ctx.state.after_pairing, ctx.state.channel
    ctx.state.clear()
    ctx.state.channel = channel
    ctx.customer = customer
    ctx.turn.intent = after or "LinkAccount"
    reply = resume(ctx, customer)
    reply.speech = Speech.of(ctx._("Thanks, you're linked.")) + reply.speech
    return reply


def _link(ctx: DialogContext, challenge: PairingChallenge) -> Customer:
    """The customer with this address, or a new one; the address is now confirmed."""
    now = ctx.services.clock()
    if challenge.channel == "sms":
        customer = ctx.session.scalar(select(Customer).where(
            Customer.shop_id == ctx.shop.id, Customer.phone == challenge.address))
    else:
        customer = ctx.session.scalar(select(Customer).where(
            Customer.shop_id == ctx.shop.id,
            Customer.email_canonical == canonical_email(challenge.address)))
    if customer is None:
        customer = Customer(shop_id=ctx.shop.id, name="", locale=ctx.turn.locale)
        ctx.session.add(customer)
    if challenge.channel == "sms":
        customer.phone, customer.phone_confirmed_at = challenge.address, now
    else:
        customer.email = challenge.address
        customer.email_canonical = canonical_email(challenge.address)
        customer.email_confirmed_at = now
    ctx.session.flush()
    identity = ctx.session.scalar(select(VoiceIdentity).where(
        VoiceIdentity.shop_id == ctx.shop.id, VoiceIdentity.assistant == ctx.assistant,
        VoiceIdentity.assistant_user_id == challenge.assistant_user_id))
    if identity is None:
        identity = VoiceIdentity(shop_id=ctx.shop.id, assistant=ctx.assistant,
                                 assistant_user_id=challenge.assistant_user_id,
                                 customer_id=customer.id)
        ctx.session.add(identity)
    identity.customer_id, identity.linked_at = customer.id, now
    ctx.session.flush()
    return customer

