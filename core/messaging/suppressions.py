"""Opt-outs: who must not be messaged again, and how they come back. A STOP to our shared
number stops every shop's texts to that number (shop_id NULL); an unsubscribe link stops one
shop's channel. Recipients are kept only as keyed hashes."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import webhook_events
from core.hashing import keyed_hash
from core.models import Customer, Message, Shop, Suppression
from core.services import Services

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "REVOKE", "OPTOUT", "OPT OUT",
              "CANCEL"}
START_WORDS = {"START", "UNSTOP", "YES"}


class KeywordResult(StrEnum):
    STOPPED = "stopped"
    RESUMED = "resumed"
    IGNORED = "ignored"  # not a keyword, or already in that state


def inbound_keyword(session: Session, services: Services, *, channel: str, phone: str,
                    body: str) -> KeywordResult:
    """A reply to our number: STOP-like words suppress, START-like words lift."""
    word = " ".join(body.upper().split())
    recipient_hash = keyed_hash(services.settings.hash_key, phone)
    active = session.scalars(select(Suppression).where(
        Suppression.channel == channel, Suppression.recipient_hash == recipient_hash,
        Suppression.shop_id.is_(None), Suppression.lifted_at.is_(None))).all()
    if word in STOP_WORDS and not active:
        session.add(Suppression(shop_id=None, channel=channel, recipient_hash=recipient_hash,
                                reason=f"inbound {word}", created_at=services.clock()))
        return KeywordResult.STOPPED
    if word in START_WORDS and active:
        for row in active:
            row.lifted_at = services.clock()
        return KeywordResult.RESUMED
    return KeywordResult.IGNORED


def unsubscribe(session: Session, services: Services, *, shop_id: int, channel: str,
                recipient_hash: str, reason: str = "unsubscribe link") -> bool:
    """Suppress one shop's channel for this recipient; False when it already was."""
    exists = session.scalar(select(Suppression.id).where(
        Suppression.shop_id == shop_id, Suppression.channel == channel,
        Suppression.recipient_hash == recipient_hash, Suppression.lifted_at.is_(None)))
    if exists is not None:
        return False
    session.add(Suppression(shop_id=shop_id, channel=channel, recipient_hash=recipient_hash,
                            reason=reason, created_at=services.clock()))
    customer_id = session.scalar(select(Message.customer_id).where(
        Message.shop_id == shop_id, Message.recipient_hash == recipient_hash,
        Message.customer_id.is_not(None)).limit(1))
    customer = session.get(Customer, customer_id) if customer_id else None
    webhook_events.emit(session, shop_id=shop_id, event_type="customer.opted_out",
                        key=f"{channel}:{recipient_hash}:{services.clock().isoformat()}",
                        now=services.clock(), payload={
                            "channel": channel, "reason": reason,
                            "customer_id": customer.external_id if customer else None})
    return True


def shop_name(session: Session, shop_id: int) -> str:
    """For the unsubscribe page: whose messages these were ("" for a shop since deleted)."""
    return session.scalar(select(Shop.name).where(Shop.id == shop_id)) or ""
